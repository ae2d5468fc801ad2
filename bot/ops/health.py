"""`python -m bot health`: is the running bot alive? For Docker's HEALTHCHECK and for admins.

    config ─► <database>.heartbeat ─► read ─► judge(heartbeat, now, max_age) ─► a line, 0 or 1

The bot rewrites its heartbeat every `INTERVAL_SECONDS` (bot/heartbeat.py). A heartbeat older
than `--max-age` (default three intervals: one late write is not an outage) means the bot is
hung or gone; a fresh heartbeat whose poll cycles stopped finishing hours ago means polling
is stuck. Not being connected to Discord is reported but is no failure: the bot keeps polling
and queueing through an outage and reconnects by itself, which a restart would not speed up.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.clock import Clock, system_clock
from bot.config import ConfigError, load_settings
from bot.heartbeat import (
    INTERVAL_SECONDS,
    Heartbeat,
    HeartbeatError,
    heartbeat_path,
    read_heartbeat,
)
from bot.roles import EVERY_FEED, Role, process_name

EXIT_HEALTHY, EXIT_UNHEALTHY, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG = Path("config.toml")
DEFAULT_MAX_AGE_SECONDS = 3 * INTERVAL_SECONDS
# The poller finishes a cycle at least every minute or so when nothing is due, and a cycle
# with many new items (article pages, LLM summaries) can take long: hours without one is stuck.
POLL_STALL = timedelta(hours=6)


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    line: str


def judge(heartbeat: Heartbeat | None, now: datetime, *, max_age: float) -> Verdict:
    """Whether the bot that wrote `heartbeat` is alive at `now`, in one line."""
    if heartbeat is None:
        return Verdict(False, "the bot is not running or has not started yet")
    age = max(0.0, (now - heartbeat.written_at).total_seconds())
    if age > max_age:
        return Verdict(
            False,
            f"last heartbeat {describe_age(age)} ago (pid {heartbeat.pid}, written at "
            f"{_utc(heartbeat.written_at)}); the bot is hung or has stopped",
        )
    gateway = "connected to Discord" if heartbeat.gateway_connected else "not connected to Discord"
    if not heartbeat.polls:
        return Verdict(
            True,
            f"healthy: heartbeat {describe_age(age)} ago, pid {heartbeat.pid}, {gateway}, "
            f"polls no feeds (another process does), version {heartbeat.version}",
        )
    cycle = heartbeat.last_cycle_finished_at
    waiting_since = cycle or heartbeat.started_at
    if now - waiting_since > POLL_STALL:
        since = describe_age((now - waiting_since).total_seconds())
        what = f"the last poll cycle finished {since} ago" if cycle else f"no poll cycle in {since}"
        return Verdict(False, f"{what} (pid {heartbeat.pid}); polling looks stuck")
    polled = (
        f"last poll cycle {describe_age((now - cycle).total_seconds())} ago"
        if cycle
        else "first poll cycle still running"
    )
    return Verdict(
        True,
        f"healthy: heartbeat {describe_age(age)} ago, pid {heartbeat.pid}, {gateway}, "
        f"{polled}, version {heartbeat.version}",
    )


def describe_age(seconds: float) -> str:
    """`45 s`, `5 min`, `3 h`, `2 days`: how a person says how long ago."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _utc(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when.utcoffset() == timedelta() else str(when)


def health_command(
    args: argparse.Namespace,
    *,
    clock: Clock = system_clock,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print one line; 0 when the bot's heartbeat is fresh, 1 when it is not (the line says
    why), 2 for a bad config or --max-age (on stderr). Docker counts every non-zero code as a
    failed check."""
    out, err = out or sys.stdout, err or sys.stderr
    max_age = DEFAULT_MAX_AGE_SECONDS if args.max_age is None else args.max_age
    if not math.isfinite(max_age) or max_age <= 0:
        print(f"error: --max-age must be a positive number of seconds (got {max_age})", file=err)
        return EXIT_USAGE
    try:
        settings = load_settings(Path(args.config or DEFAULT_CONFIG))
    except ConfigError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    process = process_name(Role(args.role), args.shard or EVERY_FEED)
    path = heartbeat_path(settings.storage.database, process)
    if path is None:
        print("unhealthy: storage.database is :memory:, which keeps no heartbeat", file=out)
        return EXIT_UNHEALTHY
    try:
        heartbeat = read_heartbeat(path)
    except HeartbeatError as exc:
        print(f"unhealthy: {exc}", file=out)
        return EXIT_UNHEALTHY
    verdict = judge(heartbeat, clock(), max_age=max_age)
    if verdict.healthy:
        print(verdict.line, file=out)
        return EXIT_HEALTHY
    where = f" (no heartbeat at {path})" if heartbeat is None else ""
    print(f"unhealthy: {verdict.line}{where}", file=out)
    return EXIT_UNHEALTHY
