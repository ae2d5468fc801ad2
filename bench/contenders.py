"""The pollers under test, each run in a process of its own so CPU and memory are its own.

`run_contender` is the child's entry point: it sets up (fresh database, every feed
followed), says "ready", then runs one phase per "phase" message it receives and sends back
a `PhaseResult`, until told to stop. Set-up is not timed; each phase is, and the rows are
counted after the clock stops.

- bazaar: the pipeline as the bot builds it (`bot.pipeline.build_pipeline`).
- reader: lemon24/reader, `update_feeds(workers=8, scheduled=False)`.
- floor: the same GETs (conditional after the first) with a bare aiohttp session, no parsing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bench.measure import (
    Lag,
    LagMonitor,
    PhaseMeter,
    PhaseResult,
    ThreadProfiles,
    cpu_profile,
    profile_report,
)

# bot (and discord.py with it) is imported only in Bazaar's process, so that reader's and the
# floor's memory is their own.
if TYPE_CHECKING:
    import aiohttp

    from bot.config import Settings
    from bot.http.clients import HttpClients
    from bot.pipeline import Pipeline
    from bot.reports import CycleReport
    from bot.store import Store

CONCURRENCY = 8
CHANNELS = 20


@dataclass(frozen=True)
class ContenderConfig:
    name: str  # "bazaar", "reader" or "floor"
    urls: tuple[str, ...]
    workdir: Path
    profile_phase: str | None = None  # run this phase under cProfile (bazaar only)


# --- the child process -------------------------------------------------------------------


def run_contender(config: ContenderConfig, conn: Connection) -> None:
    """Entry point of a contender's process: set up, then answer phase messages."""
    logging.basicConfig(level=logging.WARNING, format=f"[{config.name}] %(levelname)s %(message)s")
    # reader warns of every feed that its vendored feedparser finds no Content-Type for
    # (it does not see the one the farm sends); the feeds are parsed all the same.
    logging.getLogger("reader").setLevel(logging.ERROR)
    try:
        if config.name == "reader":
            _serve_reader(config, conn)
        else:
            # The loop the bot's processes run on (bot/event_loop.py), for the floor too.
            import bot.event_loop

            with bot.event_loop.fastest_event_loop():
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

    def phase(name: str) -> PhaseResult:
        with PhaseMeter() as meter:
            # scheduled=False: every feed, every phase, like poll_feeds(followed_feeds()).
            reader.update_feeds(workers=CONCURRENCY, scheduled=False)
        entries = reader.get_entry_counts().total
        return meter.result("reader", name, rows=entries, failed=reader.get_feed_counts().broken)

    while (message := conn.recv()) != "stop":
        conn.send(("result", phase(message)))
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
        if config.name == "bazaar":
            import bot.cpu

            # A child of multiprocessing ends with os._exit: no atexit joins the workers.
            bot.cpu.shutdown()


class AsyncRunner(Protocol):
    """A contender that runs on an event loop: Bazaar, the floor."""

    async def phase(self, name: str, *, profiled: bool) -> PhaseResult: ...

    async def close(self) -> None: ...


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
    import bot.heap
    import bot.http.clients
    import bot.pipeline
    import bot.store

    settings = bazaar_settings(database)
    store = await bot.store.Store.open(settings.storage.database)
    clients = bot.http.clients.open_http_clients(settings)
    pipeline = bot.pipeline.build_pipeline(settings, store, clients)
    bot.heap.collect_less_often()  # as the bot does when it starts
    await pipeline.start_workers()
    return Bazaar(store, clients, pipeline)


class BazaarRunner(AsyncRunner):
    def __init__(self, bazaar: Bazaar, database: Path) -> None:
        self._bazaar = bazaar
        self._database = database

    async def phase(self, name: str, *, profiled: bool) -> PhaseResult:
        if profiled:
            return await self._profiled_phase(name)
        with PhaseMeter() as meter:
            report, lag = await self._poll()
        result = self._result(meter, name, report, lag)
        return dataclasses.replace(result, search=await self._index_for_search())

    async def _index_for_search(self) -> tuple[int, float, float]:
        """What the poller does after each cycle, measured apart from it (reader indexes for
        search only when asked: `update_search`, not part of `update_feeds`)."""
        with PhaseMeter() as meter:
            indexed = await self._bazaar.store.index_for_search()
        return indexed, meter.wall, meter.cpu

    async def _poll(self) -> tuple[CycleReport, Lag]:
        async with LagMonitor() as lag:
            feeds = await self._bazaar.store.followed_feeds()
            report = await self._bazaar.pipeline.poll_feeds(feeds, now=datetime.now(UTC))
        return report, Lag.of(lag.samples)

    def _result(self, meter: PhaseMeter, name: str, report: CycleReport, lag: Lag) -> PhaseResult:
        from bot.reports import FeedStatus

        items, stories, outbox = self._counts()
        failed = report.count(FeedStatus.FAILED)
        return meter.result(
            "bazaar", name, rows=items, failed=failed, stories=stories, outbox=outbox, lag=lag
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
            with PhaseMeter() as meter:
                report, lag = await self._poll()
            main.disable()
            await self._bazaar.close()  # ends aiosqlite's thread
            executor.shutdown(wait=True)
        finally:
            threads.uninstall()
            loop.set_default_executor(ThreadPoolExecutor())
        self._bazaar = await open_bazaar(self._database)
        result = self._result(meter, name, report, lag)
        return dataclasses.replace(
            result,
            profile=profile_report([main, *threads.profiles]),
            search=await self._index_for_search(),
        )

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
    """GET every feed with a bare aiohttp session (the wire under Bazaar's httpx), CONCURRENCY
    at once, conditional after the first phase; read each body, parse nothing: the lower
    bound of a poll on this farm."""

    def __init__(self, urls: tuple[str, ...]) -> None:
        self._urls = urls
        self._validators: dict[str, dict[str, str]] = {}
        self._session: aiohttp.ClientSession | None = None

    async def phase(self, name: str, *, profiled: bool) -> PhaseResult:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CONCURRENCY),
                timeout=aiohttp.ClientTimeout(total=30),
            )
        slots = asyncio.Semaphore(CONCURRENCY)
        with PhaseMeter() as meter:
            async with LagMonitor() as lag:
                outcomes = await asyncio.gather(*(self._get(url, slots) for url in self._urls))
        return meter.result(
            "floor",
            name,
            rows=sum(1 for o in outcomes if o == 200),
            failed=sum(1 for o in outcomes if o not in (200, 304)),
            lag=Lag.of(lag.samples),
        )

    async def _get(self, url: str, slots: asyncio.Semaphore) -> int:
        import aiohttp

        assert self._session is not None
        async with slots:
            try:
                async with self._session.get(url, headers=self._validators.get(url, {})) as got:
                    await got.read()
            except aiohttp.ClientError:
                return 0
        validators = {}
        if etag := got.headers.get("ETag"):
            validators["If-None-Match"] = etag
        if modified := got.headers.get("Last-Modified"):
            validators["If-Modified-Since"] = modified
        self._validators[url] = validators
        return got.status

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _floor(config: ContenderConfig) -> FloorRunner:
    return FloorRunner(config.urls)
