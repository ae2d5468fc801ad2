"""Benchmark: a hosted Bazaar on this machine, N feeds followed by S servers, in several
layouts of processes, against the fake Discord of the tests.

    python bench/scale.py                        # 10,000 feeds, 1,000 servers, every layout
    python bench/scale.py --sizes 1000,10000     # how it grows (one table per size)
    python bench/scale.py --quick                # 100 feeds, 20 servers: a smoke test (CI)

The farm of the poll benchmark (bench/farm.py) serves N generated feeds on 127.0.0.1 (40
entries each, ETag, a bump adding 2 to every feed). S servers, one channel each, follow
20–100 feeds each, drawn by a Zipf-like popularity (heavy overlap). The fake Discord
(tests/fake_discord.py) holds the servers and limits sends per channel as Discord does (5
per 5 s). Each layout starts on a fresh database, every process of it an OS process:

    single    python -m bot run                 (role all), SQLite
    workers   --role poller --shard 0/2, --role poller --shard 1/2, --role publisher, SQLite
    postgres  the same processes on PostgreSQL (storage.url), if this Bazaar supports it

and runs two phases, each with its processes started afresh on the database of the phase
before: `first` (every feed new: 40 entries each, one backfill post per follow) and
`changed` (after a bump: 2 new entries in every feed, each posted in every channel
following it). Per phase: the poll cycle's time (from the logs), posts that reached the fake
and their rate, event-loop lag and peak RSS per process, the database's size. The exit
code is 1 if a process crashed or a count is wrong (items stored, a post lost or doubled),
never for speed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.farm import FarmError, FarmProcess  # noqa: E402
from bench.farm_content import BUMP_ENTRIES, ENTRIES_PER_FEED  # noqa: E402
from bench.scale_run import (  # noqa: E402
    BotProcess,
    Database,
    delivery_problems,
    posts_in,
    posts_per_minute,
    wait_until_published,
)
from bench.scale_world import (  # noqa: E402
    POSTS_PER_HOUR,
    Follows,
    add_servers,
    bot_config,
    poll_all_now,
    seed_store,
)
from tests.fake_discord import FakeDiscord  # noqa: E402

LAYOUTS = ("single", "workers", "postgres")
WORKERS = {
    "poller-0": ["--role", "poller", "--shard", "0/2"],
    "poller-1": ["--role", "poller", "--shard", "1/2"],
    "publisher": ["--role", "publisher"],
}
SEND_RATE_LIMIT = (5, 5.0)  # Discord's per-channel limit on message sends
PHASES = ("first", "changed")


@dataclass
class ProcessFigures:
    name: str
    rss_mib: float
    lag: dict[str, float] | None
    cycle_seconds: float | None = None
    exit_code: int | None = None


@dataclass
class Phase:
    name: str
    cycle_seconds: float  # the slowest poller's cycle
    posts: int  # posts that reached the fake in this phase
    expected: int
    posts_per_minute: float
    drain_seconds: float  # from the processes' start to the last post of the phase
    db_mib: float
    items: int
    processes: list[ProcessFigures] = field(default_factory=list)
    drained: bool = True


@dataclass
class LayoutRun:
    layout: str
    feeds: int
    servers: int
    phases: list[Phase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: str = ""
    setup_seconds: float = 0.0
    followed_feeds: int = 0  # only followed feeds are polled


def postgres_support() -> str:
    """Why the postgres layout cannot run here ('' if it can)."""
    from bot.config import StorageSettings

    if "url" not in {f.name for f in dataclasses.fields(StorageSettings)}:
        return "this Bazaar has no storage.url yet (bot/config.py): PostgreSQL is not selectable"
    return ""


async def run_layout(
    layout: str, farm: FarmProcess, follows: Follows, args: argparse.Namespace, workdir: Path
) -> LayoutRun:
    result = LayoutRun(layout, farm.feeds, len(follows.per_server))
    result.followed_feeds = sum(1 for n in follows.followers() if n)
    if layout == "postgres" and (reason := postgres_support()):
        result.skipped = reason
        return result
    directory = workdir / layout
    directory.mkdir()
    # Outside the private work directory: as root, the cluster runs as the postgres user.
    postgres_dir = Path(tempfile.gettempdir()) / f"bazaar-scale-pg-{os.getpid()}-{farm.feeds}"
    if layout == "postgres":
        dsn = await asyncio.to_thread(_postgres, "start", postgres_dir)
        location, storage = dsn, f'url = "{dsn}"'
    else:
        location = str(directory / "bazaar.db")
        storage = f'database = "{location}"'
    fake = FakeDiscord(send_rate_limit=SEND_RATE_LIMIT)
    try:
        servers = add_servers(fake, follows)
        channels = [server.channel_id for server in servers]
        config = directory / "config.toml"
        config.write_text(bot_config(storage))
        started = time.perf_counter()
        await seed_store(location, servers, farm.urls())
        result.setup_seconds = time.perf_counter() - started
        await fake.start()
        database = Database(location)
        for phase in PHASES:
            if phase == "changed":
                farm.bump()
                await poll_all_now(location)
            names = {"single": {"all": []}}.get(layout, WORKERS)
            processes = [BotProcess(n, a, config, directory) for n, a in names.items()]
            result.phases.append(
                await run_phase(phase, processes, fake, channels, database, farm, args, result)
            )
            print(f"  {layout} {phase}: done", file=sys.stderr)
        result.problems += delivery_problems(fake, channels, database)
        failed = sum(n for (_, status), n in database.outbox().items() if status == "failed")
        if failed:
            result.problems.append(f"{failed} outbox row(s) failed")
    finally:
        await fake.stop()
        if args.keep:
            kept = workdir.with_name(f"{workdir.name}-kept")
            shutil.copytree(directory, kept / layout)
            print(f"  {layout}: kept {location if layout == 'postgres' else kept}", file=sys.stderr)
        elif layout == "postgres":
            await asyncio.to_thread(_postgres, "stop", postgres_dir)
    return result


def _postgres(command: str, directory: Path) -> str:
    """`tests/postgres_server.py start|stop DIR`; what it printed last (start: the DSN)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "postgres_server.py"), command, str(directory)],
        check=command == "start",
        capture_output=True,
        text=True,
    )
    return (done.stdout.strip().splitlines() or [""])[-1]


async def run_phase(
    phase: str,
    processes: list[BotProcess],
    fake: FakeDiscord,
    channels: list[int],
    database: Database,
    farm: FarmProcess,
    args: argparse.Namespace,
    result: LayoutRun,
) -> Phase:
    before = len(posts_in(fake, channels))
    started = time.time()
    # A publisher of its own is started once the pollers' cycle is logged: it would pick
    # the new posts up only at its next round anyway (every 30 s, cogs/publisher.py), as
    # nothing wakes it across processes. A process of role all publishes while it polls.
    for process in processes:
        if process.polls:
            await process.start(fake)
    where = f"{result.layout} {phase}"
    try:
        cycles = await _wait_for_cycles(processes, args.phase_timeout, where, result)
        for process in processes:
            if not process.polls:
                await process.start(fake)
        # Off the loop: the fake Discord serves the bots from this process's loop.
        expected = await asyncio.to_thread(database.posts_expected, POSTS_PER_HOUR)
        drained = await wait_until_published(fake, channels, expected, args.publish_seconds)
        figures = [
            ProcessFigures(p.name, p.peak_rss_mib(), None, cycles.get(p.name)) for p in processes
        ]
    finally:
        codes = [await process.stop() for process in processes]
    for figure, process, code in zip(figures, processes, codes, strict=True):
        figure.lag, figure.exit_code = process.lag(), code
        if code != 0:
            result.problems.append(f"{where}: {process.name} exited with {code}")
        result.problems += [f"{where}: {line}" for line in process.errors()[:5]]
    phase_posts = posts_in(fake, channels, since=started)
    rate, _first, last = posts_per_minute(phase_posts)
    per_feed = ENTRIES_PER_FEED + (BUMP_ENTRIES if phase == "changed" else 0)
    entries = result.followed_feeds * per_feed
    items = await asyncio.to_thread(database.items)
    if items != entries:
        result.problems.append(f"{where}: {items} items stored, the farm has {entries}")
    total = len(posts_in(fake, channels))
    if not drained:
        print(f"  {where}: {total} of {expected} posts within the budget", file=sys.stderr)
    elif total != expected:
        result.problems.append(f"{where}: {total} posts in Discord, {expected} expected")
    return Phase(
        phase,
        max((c for c in cycles.values()), default=0.0),
        len(phase_posts),
        expected - before,
        rate,
        (last - started) if phase_posts else 0.0,
        database.size_mib(),
        items,
        figures,
        drained,
    )


async def _wait_for_cycles(
    processes: list[BotProcess], within: float, where: str, result: LayoutRun
) -> dict[str, float]:
    """Each polling process's cycle seconds, once each has logged its cycle."""
    deadline = time.monotonic() + within
    cycles: dict[str, float] = {}
    while time.monotonic() < deadline:
        for process in processes:
            if process.process is not None and process.exited is not None:
                raise BenchError(f"{where}: {process.name} exited early with {process.exited}")
            if process.polls and process.name not in cycles:
                cycle = process.cycle()
                if cycle is not None:
                    cycles[process.name] = cycle.seconds
                    if cycle.failed:
                        result.problems.append(f"{where}: {process.name}: {cycle.failed} failed")
        if len(cycles) == sum(p.polls for p in processes):
            return cycles
        await asyncio.sleep(0.5)
    raise BenchError(f"{where}: no poll cycle within {within:g} s")


class BenchError(Exception):
    """A process crashed or hung, or the farm failed."""


# --- the report ---------------------------------------------------------------------------


def table(run: LayoutRun) -> str:
    head = f"{run.layout}: {run.feeds:,} feeds, {run.servers:,} servers"
    if run.skipped:
        return f"{head}: skipped ({run.skipped})"
    lines = [
        f"{head} (set-up {run.setup_seconds:.0f} s)",
        "phase    cycle s   posts  expected  posts/min  drain s  items    DB MiB",
    ]
    for p in run.phases:
        mark = "" if p.drained else "  (budget ran out)"
        lines.append(
            f"{p.name:<8} {p.cycle_seconds:>7.1f} {p.posts:>7,} {p.expected:>9,} "
            f"{p.posts_per_minute:>10,.0f} {p.drain_seconds:>8.1f} {p.items:>6,} "
            f"{p.db_mib:>9.1f}{mark}"
        )
    lines.append("  process     phase    RSS MiB  lag p50/p99/max ms")
    for p in run.phases:
        for f in p.processes:
            lag = f.lag
            lag_text = f"{lag['p50']:.1f} / {lag['p99']:.1f} / {lag['max']:.0f}" if lag else "-"
            lines.append(f"  {f.name:<11} {p.name:<8} {f.rss_mib:>7.0f}  {lag_text}")
    return "\n".join(lines)


def _sizes(text: str) -> list[int]:
    return [int(size) for size in text.split(",") if size.strip()]


def _range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--sizes", type=_sizes, help="several feed counts, e.g. 1000,10000")
    parser.add_argument("--servers", type=int, default=1_000, help="default 1,000")
    parser.add_argument(
        "--follows", type=_range, default=(20, 100), help="feeds per server (default 20-100)"
    )
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help="default: all three")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave each layout's files (and PostgreSQL running) to look into; prints where",
    )
    parser.add_argument(
        "--publish-seconds",
        type=float,
        default=600.0,
        help="most a phase waits for its posts after the cycle (default 600)",
    )
    parser.add_argument(
        "--phase-timeout", type=float, help="for a cycle (default 120 + 0.2 s a feed)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="100 feeds, 20 servers following 1-4, no postgres"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.servers, args.follows = [100], 20, (1, 4)
        args.layouts, args.publish_seconds = "single,workers", 40.0
    args.sizes = args.sizes or [args.feeds]
    args.layouts = [name for name in args.layouts.split(",") if name]
    unknown = set(args.layouts) - set(LAYOUTS)
    if unknown:
        parser.error(f"unknown layout(s): {', '.join(sorted(unknown))}")
    return args


async def run_all(args: argparse.Namespace) -> list[LayoutRun]:
    runs = []
    for feeds in args.sizes:
        timeout = args.phase_timeout or 120 + 0.2 * feeds
        args_for_size = argparse.Namespace(**{**vars(args), "phase_timeout": timeout})
        follows = Follows.generate(feeds, args.servers, *args.follows, seed=args.seed)
        print(f"{feeds:,} feeds: {follows.describe()}")
        for layout in args.layouts:
            with (
                tempfile.TemporaryDirectory(prefix="bazaar-scale-") as workdir,
                FarmProcess(feeds, args.seed, timeout) as farm,
            ):
                try:
                    run = await run_layout(layout, farm, follows, args_for_size, Path(workdir))
                except BenchError as exc:
                    run = LayoutRun(layout, feeds, args.servers, problems=[str(exc)])
                    _print_logs(Path(workdir) / layout)
            runs.append(run)
            print(table(run), flush=True)
            print()
    return runs


def _print_logs(directory: Path, lines: int = 15) -> None:
    for log in sorted(directory.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {log.name}\n" + "\n".join(tail), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"fake Discord: sends limited to {SEND_RATE_LIMIT[0]} per {SEND_RATE_LIMIT[1]:g} s per "
        "channel (429 + Retry-After); Discord's global 50 requests/s is not modelled"
    )
    try:
        runs = asyncio.run(run_all(args))
    except FarmError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problems = [f"{run.layout} {run.feeds}: {p}" for run in runs for p in run.problems]
    for problem in problems:
        print(f"PROBLEM {problem}")
    print("checks: " + ("failed" if problems else "ok (0 lost, 0 doubled, every item stored)"))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
