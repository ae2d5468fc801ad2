"""Benchmark: one poll of N feeds by Bazaar's pipeline against lemon24/reader, on a local farm.

    python bench/poll.py --feeds 1000     # the full run
    python bench/poll.py --feeds 1000 --runs 3   # three full runs, and each ratio's median
    python bench/poll.py --quick          # 20 feeds, a smoke test for CI (exit 1 if broken)
    python bench/poll.py --feeds 200 --profile   # also cProfile Bazaar's changed phase

A farm process (bench/farm.py) serves N generated feeds on 127.0.0.1 (1/3 Atom, 2/3 RSS,
40 entries each, ~78 KB), with ETag/Last-Modified and 304s. Each contender runs in a
process of its own, on a fresh database, through three phases:

    cold     every feed is new: 40 entries each to store
    warm     polled again at once: every feed answers 304 (5 rounds, the contenders
             taking turns; the median round is reported, every round is checked)
    changed  after a bump (+2 entries in every feed): 2 new entries each

Per phase and contender: wall and CPU seconds, peak RSS, rows stored, GETs the farm served
(and how many were 304), and for Bazaar its stories, outbox rows and event-loop lag. The
"floor" is the same GETs with a bare httpx client and no parsing: the lower bound. Ratios are
reader/Bazaar (above 1: Bazaar is faster). Counts are checked against the farm; the exit
code is 1 only if a contender crashed or a count is inconsistent, never for speed.

Needs the bench extra: pip install -e '.[bench]' (reader==3.26 and sgmllib3k)
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python bench/poll.py`

from bench.contenders import ContenderConfig, run_contender  # noqa: E402
from bench.farm import FarmError, FarmProcess  # noqa: E402
from bench.farm_content import BUMP_ENTRIES, ENTRIES_PER_FEED  # noqa: E402
from bench.measure import PhaseResult  # noqa: E402

PHASES = ("cold", "warm", "changed")
# The warm phase changes nothing (every feed answers 304), so it is run this many times, the
# contenders taking turns each round, and the median round is the one reported: one warm
# poll of 1,000 feeds takes under a second, and a single one moved by a quarter from run to
# run with the machine. The cold and changed phases each run once: they change the stores.
WARM_ROUNDS = 5
CONTENDERS = ("floor", "reader", "bazaar")
QUICK_FEEDS = 20
STOP_SECONDS = 10.0


class BenchError(Exception):
    """A contender crashed, hung past its timeout, or the farm failed."""


@dataclass(frozen=True)
class Served:
    gets: int
    not_modified: int


@dataclass
class Row:
    result: PhaseResult
    served: Served
    round_walls: tuple[float, ...] = ()  # every round's wall, when the phase had rounds


@dataclass
class Run:
    feeds: int
    setup: dict[str, float] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)  # one per phase and contender
    tried: list[Row] = field(default_factory=list)  # every round of every phase, checked
    farm_entries: dict[str, int] = field(default_factory=dict)  # per phase
    mean_body_bytes: float = 0.0
    farm_setup: float = 0.0  # seconds to generate the feeds and answer
    farm_rss_mib: float = 0.0  # the farm process's peak, at the end

    def get(self, contender: str, phase: str) -> Row | None:
        for row in self.rows:
            if row.result.contender == contender and row.result.phase == phase:
                return row
        return None


class Contender:
    """A contender's process and the pipe that drives it; always stopped on exit."""

    def __init__(self, config: ContenderConfig, timeout: float) -> None:
        self.name = config.name
        self._timeout = timeout
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process: BaseProcess = context.Process(
            target=run_contender, args=(config, child), name=f"bench-{config.name}"
        )
        self._process.start()
        child.close()

    def wait_ready(self, timeout: float) -> float:
        kind, value = self._receive(timeout, "setting up")
        if kind != "ready":
            raise BenchError(f"{self.name}: unexpected message {kind!r}")
        return float(value)

    def run_phase(self, phase: str) -> PhaseResult:
        self._conn.send(phase)
        kind, value = self._receive(self._timeout, f"the {phase} phase")
        if kind != "result":
            raise BenchError(f"{self.name}: unexpected message {kind!r}")
        return value

    def _receive(self, timeout: float, doing: str) -> tuple[str, object]:
        if not self._conn.poll(timeout):
            raise BenchError(f"{self.name} did not finish {doing} within {timeout:g} s")
        try:
            kind, value = self._conn.recv()
        except EOFError:
            raise BenchError(f"{self.name} exited while {doing}") from None
        if kind == "error":
            raise BenchError(f"{self.name} crashed while {doing}:\n{value}")
        return kind, value

    def stop(self) -> None:
        try:
            if self._process.is_alive():
                self._conn.send("stop")
                self._process.join(STOP_SECONDS)
        except OSError:
            pass  # the pipe is already closed: the process is gone or going
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(STOP_SECONDS)
        self._conn.close()


@contextmanager
def contenders(
    names: tuple[str, ...], urls: tuple[str, ...], workdir: Path, args: argparse.Namespace
) -> Iterator[dict[str, Contender]]:
    with ExitStack() as stack:
        started: dict[str, Contender] = {}
        for name in names:
            directory = workdir / name
            directory.mkdir()
            profile = args.profile if name == "bazaar" else None
            config = ContenderConfig(name, urls, directory, profile_phase=profile)
            started[name] = Contender(config, args.phase_timeout)
            stack.callback(started[name].stop)
        yield started


def run(args: argparse.Namespace) -> Run:
    names = tuple(n for n in CONTENDERS if n in args.contenders)
    result = Run(args.feeds)
    with (
        tempfile.TemporaryDirectory(prefix="bazaar-bench-") as workdir,
        FarmProcess(args.feeds, args.seed, args.phase_timeout) as farm,
    ):
        result.farm_setup = farm.start_seconds
        result.mean_body_bytes = farm.stats()["mean_body_bytes"]
        with contenders(names, tuple(farm.urls()), Path(workdir), args) as running:
            for name, contender in running.items():
                result.setup[name] = contender.wait_ready(args.phase_timeout)
                print(f"  {name}: set up in {result.setup[name]:.1f} s", file=sys.stderr)
            for phase in PHASES:
                if phase == "changed":
                    farm.bump()
                result.farm_entries[phase] = int(farm.stats()["entries"])
                rounds = WARM_ROUNDS if phase == "warm" and args.profile != "warm" else 1
                tried: dict[str, list[Row]] = {name: [] for name in running}
                for _ in range(rounds):
                    for name, contender in running.items():
                        tried[name].append(_timed_phase(farm, contender, phase))
                for rows in tried.values():
                    result.tried += rows
                    result.rows.append(_median(rows))
        result.farm_rss_mib = farm.stats()["peak_rss_mib"]
    return result


def _timed_phase(farm: FarmProcess, contender: Contender, phase: str) -> Row:
    before = farm.stats()
    started = time.perf_counter()
    phase_result = contender.run_phase(phase)
    after = farm.stats()
    print(
        f"  {contender.name} {phase}: {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    served = Served(
        int(after["gets"] - before["gets"]), int(after["not_modified"] - before["not_modified"])
    )
    return Row(phase_result, served)


def _median(rows: list[Row]) -> Row:
    """The round of median wall (of an even number, the faster of the middle two), with
    every round's wall."""
    if len(rows) == 1:
        return rows[0]
    ordered = sorted(rows, key=lambda row: row.result.wall)
    middle = ordered[(len(ordered) - 1) // 2]
    return dataclasses.replace(middle, round_walls=tuple(row.result.wall for row in rows))


# --- checks ------------------------------------------------------------------------------


def problems(run: Run) -> list[str]:
    """What is inconsistent: a GET count, a 304 count, a stored count, a failed feed."""
    found = []
    for row in run.tried:
        r, where = row.result, f"{row.result.contender} {row.result.phase}"
        if row.served.gets != run.feeds:
            found.append(f"{where}: the farm served {row.served.gets} GETs for {run.feeds} feeds")
        expected_304 = run.feeds if r.phase == "warm" else 0
        if row.served.not_modified != expected_304:
            found.append(f"{where}: {row.served.not_modified} answers were 304, not {expected_304}")
        if r.failed:
            found.append(f"{where}: {r.failed} feed(s) failed")
        if r.contender == "floor":
            expected = 0 if r.phase == "warm" else run.feeds
            if r.rows != expected:
                found.append(f"{where}: read {r.rows} bodies, not {expected}")
        elif r.rows != run.farm_entries[r.phase]:
            found.append(f"{where}: stored {r.rows} rows, the farm has {run.farm_entries[r.phase]}")
        if r.contender == "bazaar" and r.phase == "cold" and not r.outbox:
            found.append(f"{where}: queued no posts")
        if r.search is not None and r.search[0] != r.rows - _stored_before(run, r):
            found.append(f"{where}: indexed {r.search[0]} items for search, not every new one")
    return found


# --- the report --------------------------------------------------------------------------


def report(run: Run, profiled: str | None) -> str:
    lines = [
        f"{run.feeds} feeds, {ENTRIES_PER_FEED} entries each (+{BUMP_ENTRIES} in changed), "
        f"mean body {run.mean_body_bytes / 1024:.1f} KiB; one process per contender",
        f"farm: ready in {run.farm_setup:.1f} s, peak RSS {run.farm_rss_mib:.0f} MiB; set-up "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in run.setup.items())
        + (f"; Bazaar's {profiled} phase under cProfile (its times inflated)" if profiled else ""),
        "",
        f"{'phase':<8}{'contender':<10}{'wall s':>8}{'CPU s':>8}{'RSS MiB':>9}{'rows':>8}"
        f"{'stories':>8}{'outbox':>8}{'GETs':>7}{'304s':>7}{'lag p50/p99/max ms':>21}",
    ]
    for phase in PHASES:
        for row in (r for r in run.rows if r.result.phase == phase):
            lines.append(_line(row))
            if row.round_walls:
                walls = ", ".join(f"{wall:.2f}" for wall in row.round_walls)
                lines.append(f"{'':<8}the median of {len(row.round_walls)} rounds: {walls} s")
            if row.result.contender == "bazaar" and row.result.cpu_split:
                lines.append(f"{'':<8}CPU by thread: {_split(row.result)}")
            if (search := row.result.search) is not None:
                lines.append(
                    f"{'':<8}then the search index (after the cycle, as the poller does): "
                    f"{search[0]} items, {search[1]:.2f} s, CPU {search[2]:.2f} s"
                )
        lines.append(_ratio(run, phase))
    return "\n".join(lines)


def _line(row: Row) -> str:
    r = row.result
    lag = f"{r.lag.p50:.1f} / {r.lag.p99:.1f} / {r.lag.max:.0f}" if r.lag else "-"
    rss = f"{r.peak_rss_mib:.0f}" + ("*" if r.rss_is_lifetime_peak else "")
    return (
        f"{r.phase:<8}{r.contender:<10}{r.wall:>8.2f}{r.cpu:>8.2f}{rss:>9}{r.rows:>8}"
        f"{_maybe(r.stories):>8}{_maybe(r.outbox):>8}{row.served.gets:>7}"
        f"{row.served.not_modified:>7}{lag:>21}"
    )


def _split(result: PhaseResult) -> str:
    parts = [(name, seconds) for name, seconds in result.cpu_split if seconds >= 0.01]
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in parts)


def _stored_before(run: Run, result: PhaseResult) -> int:
    before = PHASES[: PHASES.index(result.phase)]
    return run.farm_entries[before[-1]] if before else 0


def _ratio(run: Run, phase: str) -> str:
    ratios = _ratios(run, phase)
    if ratios is None:
        return ""
    wall, cpu = ratios
    return f"{'':<8}reader/Bazaar: wall {wall:.3g}x, CPU {cpu:.3g}x\n"


def _ratios(run: Run, phase: str) -> tuple[float, float] | None:
    """reader/Bazaar in `phase`: wall and CPU; None without both."""
    reader, bazaar = run.get("reader", phase), run.get("bazaar", phase)
    if reader is None or bazaar is None:
        return None
    return (
        reader.result.wall / bazaar.result.wall,
        reader.result.cpu / max(bazaar.result.cpu, 1e-9),
    )


def summary(runs: list[Run]) -> str:
    """Each phase's reader/Bazaar wall ratio in every run, and their median: the machine's
    speed moves by a third within minutes, and one run lands on whatever it gives then."""
    lines = [f"reader/Bazaar (wall) over {len(runs)} runs, each on fresh databases and farm:"]
    for phase in PHASES:
        walls = [ratios[0] for run in runs if (ratios := _ratios(run, phase)) is not None]
        if not walls:
            continue
        each = ", ".join(f"{wall:.3g}x" for wall in walls)
        lines.append(f"  {phase:<8} median {statistics.median(walls):.3g}x  ({each})")
    return "\n".join(lines) if len(lines) > 1 else ""


def _maybe(value: int | None) -> str:
    return "-" if value is None else str(value)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Rows: reader's entries, Bazaar's items, the floor's bodies read. "
        "RSS is the peak during the phase (* = since the process started). "
        "Ratios are reader/Bazaar: above 1 means Bazaar is faster.",
    )
    parser.add_argument(
        "--feeds", type=int, default=1000, metavar="N", help="feeds in the farm (default 1000)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_FEEDS} feeds: a smoke test for CI (fails on crashes and wrong counts only)",
    )
    parser.add_argument("--seed", type=int, default=1, help="of the generated feeds (default 1)")
    parser.add_argument(
        "--contenders",
        metavar="NAMES",
        default=",".join(CONTENDERS),
        help=f"comma-separated subset of {','.join(CONTENDERS)} (default: all)",
    )
    parser.add_argument(
        "--phase-timeout",
        type=float,
        metavar="SECONDS",
        help="seconds any one phase (or set-up) may take (default: 120 + 1.5 per feed)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        metavar="N",
        help="repeat the whole run N times (fresh farm and databases), then print each "
        "ratio's median (default 1)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="changed",
        choices=PHASES,
        help="cProfile one of Bazaar's phases (default: changed), print the top functions",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.feeds = QUICK_FEEDS
    if args.feeds < 1:
        parser.error("--feeds must be at least 1")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.contenders = tuple(c.strip() for c in args.contenders.split(",") if c.strip())
    if unknown := set(args.contenders) - set(CONTENDERS):
        parser.error(f"unknown contender(s): {', '.join(sorted(unknown))}")
    if args.phase_timeout is None:
        args.phase_timeout = 120 + 1.5 * args.feeds
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import reader  # noqa: F401
    except ImportError:
        if "reader" in args.contenders:
            print("reader is missing: pip install 'reader==3.26'", file=sys.stderr)
            return 2
    runs: list[Run] = []
    found: list[str] = []
    for number in range(1, args.runs + 1):
        if args.runs > 1:
            print(f"run {number} of {args.runs}", file=sys.stderr)
        try:
            result = run(args)
        except (BenchError, FarmError) as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        runs.append(result)
        heading = f"run {number} of {args.runs}: " if args.runs > 1 else ""
        print(heading + report(result, args.profile))
        if args.profile and (row := result.get("bazaar", args.profile)):
            print(f"Bazaar's {args.profile} phase, all threads (cProfile):\n" + row.result.profile)
        found += problems(result)
    if args.runs > 1 and (text := summary(runs)):
        print(text)
    for problem in found:
        print(f"INCONSISTENT: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
