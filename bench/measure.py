"""Measuring a phase from inside a contender's process: time, CPU, peak RSS, event-loop
lag, and (on request) a CPU profile of every thread."""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

LAG_TICK = 0.010  # seconds the lag monitor sleeps between wake-ups


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
    # Bazaar: the search index brought up to date after the cycle (items, wall s, CPU s)
    search: tuple[int, float, float] | None = None
    # CPU seconds by thread (named as Python names them) and "workers" (child processes)
    cpu_split: tuple[tuple[str, float], ...] = ()


def child_pids() -> list[int]:
    """This process's live children (Bazaar's CPU worker processes), from /proc."""
    pids = []
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            pids += [int(pid) for pid in children.read_text().split()]
        except OSError:
            continue
    return pids


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process and its children; False if
    not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        for pid in child_pids():
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    """The peak RSS of this process plus that of each live child."""
    try:
        return sum(_peak_rss_kib(f"/proc/{pid}") for pid in ["self", *child_pids()]) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_rss_kib(proc: str) -> int:
    for line in Path(f"{proc}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_by_thread() -> dict[str, float]:
    """CPU seconds of each thread of this process, by its Python name (threads of one pool
    share a name: "ThreadPoolExecutor-0_1" counts as "ThreadPoolExecutor-0"), and of the
    live children together as "workers"."""
    ticks = os.sysconf("SC_CLK_TCK")
    names = {thread.native_id: _pool_name(thread.name) for thread in threading.enumerate()}
    split: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        seconds = _stat_seconds(task / "stat", ticks)
        name = names.get(int(task.name), "other")
        split[name] = split.get(name, 0.0) + seconds
    split["workers"] = sum(_stat_seconds(Path(f"/proc/{pid}/stat"), ticks) for pid in child_pids())
    return split


def _pool_name(name: str) -> str:
    return name.rsplit("_", 1)[0] if "_" in name and name.rsplit("_", 1)[1].isdigit() else name


def _stat_seconds(stat: Path, ticks: int) -> float:
    """User and system CPU seconds of a /proc stat file (0 if the task has ended)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def cpu_seconds() -> float:
    """CPU seconds of this process and of its live children (their worker processes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = (_stat_seconds(Path(f"/proc/{pid}/stat"), ticks) for pid in child_pids())
    return time.process_time() + sum(children)


class PhaseMeter:
    """Measures a phase: wall and CPU seconds (all threads of the process) and peak RSS.

    with PhaseMeter() as meter:
        poll()
    return meter.result("reader", "cold", rows=..., failed=...)
    """

    def __enter__(self) -> PhaseMeter:
        self._resettable = reset_peak_rss()
        self._split = cpu_by_thread()
        self._cpu, self._wall = cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = cpu_seconds() - self._cpu
        after = cpu_by_thread()
        # A thread that ended during the phase is gone from /proc: its CPU is not split.
        self.split = tuple(
            (name, seconds - self._split.get(name, 0.0)) for name, seconds in after.items()
        )
        self.peak_rss_mib = peak_rss_mib()

    def result(
        self,
        contender: str,
        phase: str,
        *,
        rows: int,
        failed: int,
        stories: int | None = None,
        outbox: int | None = None,
        lag: Lag | None = None,
    ) -> PhaseResult:
        return PhaseResult(
            contender,
            phase,
            self.wall,
            self.cpu,
            self.peak_rss_mib,
            not self._resettable,
            rows,
            failed,
            stories,
            outbox,
            lag,
            cpu_split=tuple(sorted(self.split, key=lambda part: -part[1])),
        )


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
