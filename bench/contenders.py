"""The pollers under test, each run in a process of its own so CPU and memory are its own.

`run_contender` is the child's entry point: it sets up (fresh database, every feed
followed), says "ready", then runs one phase per "phase" message it receives and sends back
a `PhaseResult`, until told to stop. Setup is not timed; each phase is.

- bazaar: the pipeline as the bot builds it (`bot.pipeline.build_pipeline`).
- reader: lemon24/reader, `update_feeds(workers=8, scheduled=False)`.
- floor: the same GETs (conditional after the first) with a bare httpx client, no parsing.
"""

from __future__ import annotations

import asyncio
import cProfile
import dataclasses
import io
import os
import pstats
import resource
import sqlite3
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.http.clients import HttpClients
    from bot.pipeline import Pipeline
    from bot.store import Store

CONCURRENCY = 8
CHANNELS = 20
LAG_TICK = 0.010


@dataclass(frozen=True)
class ContenderConfig:
    name: str  # "bazaar", "reader" or "floor"
    urls: tuple[str, ...]
    workdir: Path
    profile_phase: str | None = None  # run this phase under cProfile (bazaar only)


@dataclass(frozen=True)
class Lag:
    """How late a 10 ms sleep on the event loop woke up, in milliseconds."""

    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: list[float]) -> Lag:
        if not samples:
            return cls(0.0, 0.0, 0.0)
        ordered = sorted(samples)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return cls(statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000)


@dataclass(frozen=True)
class PhaseResult:
    contender: str
    phase: str
    wall: float
    cpu: float
    peak_rss_mib: float
    rss_is_lifetime_peak: bool  # the kernel could not reset the peak before the phase
    rows: int  # reader's entries, Bazaar's items, the floor's bodies read
    failed: int  # feeds that failed (Bazaar's report, reader's broken feeds, floor errors)
    stories: int | None = None
    outbox: int | None = None
    lag: Lag | None = None
    profile: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Measured:
    """What a contender's phase body reports; timing and memory are measured around it."""

    rows: int
    failed: int
    stories: int | None = None
    outbox: int | None = None
    lag: Lag | None = None
    profile: str = ""


# --- measuring ---------------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LagMonitor:
    """Sleeps LAG_TICK in a loop on the event loop and records how late it wakes."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LagMonitor:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_TICK)
            self.samples.append(max(0.0, time.perf_counter() - started - LAG_TICK))


class ThreadProfiles:
    """cProfile for every thread started while installed (cProfile sees only the thread it
    runs in; Bazaar parses and summarizes in executor threads and runs SQL in aiosqlite's)."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def install(self) -> None:
        threading.setprofile(self._start)

    def uninstall(self) -> None:
        threading.setprofile(None)  # type: ignore[arg-type]

    def _start(self, frame: object, event: str, arg: object) -> None:
        # Called once, by the first event of a new thread: hand the thread to cProfile.
        sys.setprofile(None)
        profile = cpu_profile()
        with self._lock:
            self.profiles.append(profile)
        profile.enable()


def cpu_profile() -> cProfile.Profile:
    """A profiler on this thread's CPU clock: time a thread spends waiting does not count."""
    return cProfile.Profile(time.thread_time)


def profile_report(profiles: list[cProfile.Profile], top: int = 15) -> str:
    """Two top-`top` lists over all threads: CPU in the function itself (any code), and
    CPU including callees (Bazaar's own functions, to see which step of the poll costs)."""
    stats = pstats.Stats(profiles[0], stream=io.StringIO())
    for profile in profiles[1:]:
        stats.add(profile)
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(tottime for _, _, tottime, _, _ in table.values()) or 1.0
    by_self = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:top]
    ours = [item for item in table.items() if f"{os.sep}bot{os.sep}" in item[0][0]]
    by_cumulative = sorted(ours, key=lambda item: item[1][3], reverse=True)[:top]
    lines = [
        f"CPU seconds profiled, all threads: {total:.2f}",
        "",
        "self CPU s   %  calls  function",
    ]
    lines += [_profile_line(key, value, value[2], total) for key, value in by_self]
    lines += ["", "cumulative CPU s   %  calls  function (bot/ only)"]
    lines += [_profile_line(key, value, value[3], total) for key, value in by_cumulative]
    return "\n".join(lines)


def _profile_line(
    key: tuple[str, int, str],
    value: tuple[int, int, float, float, object],
    seconds: float,
    total: float,
) -> str:
    path, line, function = key
    where = function if path == "~" else f"{_short_path(path)}:{line}({function})"
    return f"{seconds:>10.2f} {100 * seconds / total:>4.0f} {value[1]:>6}  {where}"


def _short_path(path: str) -> str:
    parts = Path(path).parts
    for anchor in ("bot", "site-packages", "python3.11"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + (anchor != "bot") :])
    return Path(path).name


def measured(phase: str, contender: str, body: Callable[[], Measured]) -> PhaseResult:
    """Run `body`, timing it (wall and process CPU) and taking its peak RSS."""
    resettable = reset_peak_rss()
    cpu, wall = time.process_time(), time.perf_counter()
    result = body()
    return _result(phase, contender, wall, cpu, resettable, result)


async def measured_async(
    phase: str, contender: str, body: Callable[[], Awaitable[Measured]]
) -> PhaseResult:
    """`measured` for a coroutine function."""
    resettable = reset_peak_rss()
    cpu, wall = time.process_time(), time.perf_counter()
    result = await body()
    return _result(phase, contender, wall, cpu, resettable, result)


def _result(
    phase: str, contender: str, wall: float, cpu: float, resettable: bool, result: Measured
) -> PhaseResult:
    return PhaseResult(
        contender,
        phase,
        time.perf_counter() - wall,
        time.process_time() - cpu,
        peak_rss_mib(),
        not resettable,
        result.rows,
        result.failed,
        result.stories,
        result.outbox,
        result.lag,
        result.profile,
    )


# --- the child process -------------------------------------------------------------------


def run_contender(config: ContenderConfig, conn: Connection) -> None:
    """Entry point of a contender's process: set up, then answer phase messages."""
    import logging

    logging.basicConfig(level=logging.WARNING, format=f"[{config.name}] %(levelname)s %(message)s")
    # reader warns of every feed that its vendored feedparser finds no Content-Type for
    # (it does not see the one the farm sends); the feeds are parsed all the same.
    logging.getLogger("reader").setLevel(logging.ERROR)
    try:
        if config.name == "reader":
            _serve_reader(config, conn)
        else:
            asyncio.run(_serve_async(config, conn))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        raise
    finally:
        conn.close()


def _serve_reader(config: ContenderConfig, conn: Connection) -> None:
    from reader import make_reader

    started = time.perf_counter()
    reader = make_reader(str(config.workdir / "reader.sqlite"))
    for url in config.urls:
        reader.add_feed(url)
    conn.send(("ready", time.perf_counter() - started))

    def phase() -> Measured:
        # scheduled=False: every feed, every phase, as Bazaar's poll_feeds(followed_feeds()).
        reader.update_feeds(workers=CONCURRENCY, scheduled=False)
        entries = reader.get_entry_counts().total
        return Measured(rows=entries, failed=reader.get_feed_counts().broken)

    while (message := conn.recv()) != "stop":
        conn.send(("result", measured(message, "reader", phase)))
    reader.close()


async def _serve_async(config: ContenderConfig, conn: Connection) -> None:
    started = time.perf_counter()
    runner = await (_bazaar if config.name == "bazaar" else _floor)(config)
    try:
        conn.send(("ready", time.perf_counter() - started))
        while (message := await asyncio.to_thread(conn.recv)) != "stop":
            result = await runner.phase(message, profiled=message == config.profile_phase)
            conn.send(("result", result))
    finally:
        await runner.close()


class AsyncRunner:
    async def phase(self, name: str, *, profiled: bool) -> PhaseResult:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


@dataclass
class Bazaar:
    """The bot's poll as `bot.pipeline.build_pipeline` makes it, on one database."""

    store: Store
    clients: HttpClients
    pipeline: Pipeline

    async def close(self) -> None:
        await self.clients.aclose()
        await self.store.close()


def bazaar_settings(database: Path) -> Settings:
    import bot.config

    return bot.config.parse_settings(
        {
            "storage": {"database": str(database)},
            "polling": {
                "full_articles": False,
                "max_concurrent_fetches": CONCURRENCY,
                "interval_seconds": 60,
                "min_interval_seconds": 1,
            },
            "network": {
                "allow_private_networks": True,
                "per_host_delay_seconds": 0,
                "per_host_concurrency": CONCURRENCY,
            },
            "llm": {"enabled": False},
            "discussions": {"enabled": False},
        },
        base_dir=database.parent,
        environ={},
    )


async def open_bazaar(database: Path) -> Bazaar:
    import bot.http.clients
    import bot.pipeline
    import bot.store

    settings = bazaar_settings(database)
    store = await bot.store.Store.open(settings.storage.database)
    clients = bot.http.clients.open_http_clients(settings)
    return Bazaar(store, clients, bot.pipeline.build_pipeline(settings, store, clients))


class BazaarRunner(AsyncRunner):
    def __init__(self, bazaar: Bazaar, database: Path) -> None:
        self._bazaar = bazaar
        self._database = database

    async def phase(self, name: str, *, profiled: bool) -> PhaseResult:
        if profiled:
            return await self._profiled_phase(name)
        return await measured_async(name, "bazaar", self._poll)

    async def _poll(self) -> Measured:
        from bot.reports import FeedStatus

        async with LagMonitor() as lag:
            feeds = await self._bazaar.store.followed_feeds()
            report = await self._bazaar.pipeline.poll_feeds(feeds, now=datetime.now(UTC))
        items, stories, outbox = self._counts()
        return Measured(
            rows=items,
            failed=report.count(FeedStatus.FAILED),
            stories=stories,
            outbox=outbox,
            lag=Lag.of(lag.samples),
        )

    async def _profiled_phase(self, name: str) -> PhaseResult:
        """The phase under cProfile, in every thread: the store, clients and pipeline are
        opened again (as after a restart; the state is all in the database) with new worker
        threads, so each thread that works in this phase starts under a profiler."""
        await self._bazaar.close()
        threads = ThreadProfiles()
        threads.install()
        main = cpu_profile()
        loop = asyncio.get_running_loop()
        try:
            executor = ThreadPoolExecutor(thread_name_prefix="profiled")
            loop.set_default_executor(executor)
            self._bazaar = await open_bazaar(self._database)
            main.enable()
            result = await measured_async(name, "bazaar", self._poll)
            main.disable()
            await self._bazaar.close()  # ends aiosqlite's thread
            executor.shutdown(wait=True)
        finally:
            threads.uninstall()
            loop.set_default_executor(ThreadPoolExecutor())
        self._bazaar = await open_bazaar(self._database)
        return dataclasses.replace(result, profile=profile_report([main, *threads.profiles]))

    def _counts(self) -> tuple[int, int, int]:
        with sqlite3.connect(f"file:{self._database}?mode=ro", uri=True) as db:
            items, stories, outbox = (
                db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("items", "stories", "outbox")
            )
        return items, stories, outbox

    async def close(self) -> None:
        await self._bazaar.close()


async def _bazaar(config: ContenderConfig) -> BazaarRunner:
    import bot.models

    database = config.workdir / "bazaar.sqlite"
    bazaar = await open_bazaar(database)
    for index, url in enumerate(config.urls):
        await bazaar.store.subscribe(
            url,
            1000 + index % CHANNELS,
            source=bot.models.SubscriptionSource.COMMAND,
            guild_id=1,
        )
    return BazaarRunner(bazaar, database)


class FloorRunner(AsyncRunner):
    """GET every feed with a bare httpx client, CONCURRENCY at once, conditional after the
    first phase; read each body, parse nothing: the lower bound of a poll on this farm."""

    def __init__(self, urls: tuple[str, ...]) -> None:
        import httpx

        self._urls = urls
        self._validators: dict[str, dict[str, str]] = {}
        self._client = httpx.AsyncClient(
            timeout=30.0, limits=httpx.Limits(max_connections=CONCURRENCY)
        )

    async def phase(self, name: str, *, profiled: bool) -> PhaseResult:
        return await measured_async(name, "floor", self._get_all)

    async def _get_all(self) -> Measured:
        slots = asyncio.Semaphore(CONCURRENCY)
        async with LagMonitor() as lag:
            outcomes = await asyncio.gather(*(self._get(url, slots) for url in self._urls))
        return Measured(
            rows=sum(1 for o in outcomes if o == 200),
            failed=sum(1 for o in outcomes if o not in (200, 304)),
            lag=Lag.of(lag.samples),
        )

    async def _get(self, url: str, slots: asyncio.Semaphore) -> int:
        import httpx

        async with slots:
            try:
                response = await self._client.get(url, headers=self._validators.get(url, {}))
            except httpx.HTTPError:
                return 0
        validators = {}
        if etag := response.headers.get("ETag"):
            validators["If-None-Match"] = etag
        if modified := response.headers.get("Last-Modified"):
            validators["If-Modified-Since"] = modified
        self._validators[url] = validators
        return response.status_code

    async def close(self) -> None:
        await self._client.aclose()


async def _floor(config: ContenderConfig) -> FloorRunner:
    return FloorRunner(config.urls)
