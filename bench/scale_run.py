"""Running one layout of the simulated hosted Bazaar: its processes, what they log, what
they hold in memory, and what reached the fake Discord.

- `BotProcess`: one `python bench/scale_bot.py … -- run …` (the real bot against the fake,
  with a lag monitor), its JSON log in a file, its peak RSS (and its CPU workers') from /proc;
- `Database`: the layout's database (a SQLite file, or a PostgreSQL DSN): size and counts;
- `posts_in` / `delivery_problems`: the bot's posts in the fake, and every way they differ
  from exactly once per channel (doubled, lost, unrecorded).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.fake_discord import JSON, FakeDiscord

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "bench" / "scale_bot.py"
STOP_SECONDS = 30.0
CYCLE_LINE = "polled "  # "polled N feed(s): U updated, M not modified, F failed; Q queued"
START_LINE = "starting"


@dataclass(frozen=True)
class Cycle:
    """What a process logged about its poll cycle."""

    seconds: float  # from its "starting" line to its "polled N feed(s)" line
    feeds: int
    failed: int
    queued: int


class BotProcess:
    def __init__(self, name: str, args: list[str], config: Path, workdir: Path) -> None:
        self.name = name
        self.args = args
        self.config = config
        self.log_path = workdir / f"{name}.log"
        self.lag_path = workdir / f"{name}.lag.json"
        self.process: asyncio.subprocess.Process | None = None
        self.polls = "poller" in args or "--role" not in args  # role poller or all

    async def start(self, fake: FakeDiscord) -> None:
        self.lag_path.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self._log_offset = self.log_path.stat().st_size
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(LAUNCHER),
                "--lag-file",
                str(self.lag_path),
                "--discord-base",
                fake.base_url,
                "--discord-gateway",
                fake.gateway_url,
                "--",
                "--log-format",
                "json",
                "run",
                *self.args,
                "--config",
                str(self.config),
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env={**os.environ, "DISCORD_TOKEN": "fake-token", "PYTHONUNBUFFERED": "1"},
            )

    @property
    def exited(self) -> int | None:
        assert self.process is not None
        return self.process.returncode

    def log_entries(self) -> list[JSON]:
        """This run's JSON log lines (other lines, e.g. a traceback to stderr, as text)."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            lines = log.read().decode(errors="replace").splitlines()
        entries = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"message": line, "level": "TEXT"}
            entries.append(entry if isinstance(entry, dict) else {"message": line})
        return entries

    def cycle(self) -> Cycle | None:
        """The first poll cycle of this run, once logged."""
        started: datetime | None = None
        for entry in self.log_entries():
            message = str(entry.get("message", ""))
            if started is None and START_LINE in message and "Bazaar" in message:
                started = datetime.fromisoformat(entry["time"])
            elif message.startswith(CYCLE_LINE) and started is not None:
                ended = datetime.fromisoformat(entry["time"])
                numbers = [int(w) for w in message.replace(";", " ").split() if w.isdigit()]
                feeds, _updated, _unchanged, failed, queued = (numbers + [0] * 5)[:5]
                return Cycle((ended - started).total_seconds(), feeds, failed, queued)
        return None

    def errors(self) -> list[str]:
        return [
            f"{self.name}: {entry.get('message', '')[:300]}"
            for entry in self.log_entries()
            if entry.get("level") in ("ERROR", "CRITICAL")
            or str(entry.get("message", "")).startswith("Traceback")
        ]

    def peak_rss_mib(self) -> float:
        """VmHWM of the process and of each of its descendants (the CPU workers)."""
        assert self.process is not None
        return sum(_vm_hwm_kib(pid) for pid in _tree(self.process.pid)) / 1024

    def lag(self) -> JSON | None:
        try:
            return json.loads(self.lag_path.read_text())
        except (OSError, ValueError):
            return None

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after STOP_SECONDS; the exit code (None if killed or
        never started)."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                return None
        return self.process.returncode


def _tree(pid: int) -> list[int]:
    pids, seen = [pid], []
    while pids:
        current = pids.pop()
        seen.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pids += [int(child) for child in children.read_text().split()]
            except OSError:
                continue
    return seen


def _vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Database:
    """The layout's database, read by the bench (never while it would race a write that
    matters: counts are read after a cycle, or by a read-only connection)."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.postgres = location.startswith(("postgresql://", "postgres://"))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.location) as db:
                return [tuple(row) for row in db.execute(sql).fetchall()]
        db = sqlite3.connect(f"file:{self.location}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def size_mib(self) -> float:
        if self.postgres:
            return self.rows("SELECT pg_database_size(current_database())")[0][0] / 2**20
        files = [Path(self.location + suffix) for suffix in ("", "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 2**20

    def outbox(self) -> dict[tuple[str, str], int]:
        """Outbox rows by (kind, status)."""
        rows = self.rows("SELECT kind, status, COUNT(*) FROM outbox GROUP BY kind, status")
        return {(kind, status): count for kind, status, count in rows}

    def posts_expected(self, per_hour: int) -> int:
        """Posts the fake should have when the publishers are idle: per channel, every
        post row, but at most `per_hour` (the servers' setting; the run is under an hour)."""
        rows = self.rows(
            "SELECT channel_id, COUNT(*) FROM outbox WHERE kind = 'post' "
            "AND status IN ('pending', 'sending', 'posted') GROUP BY channel_id"
        )
        return sum(min(per_hour, count) for _, count in rows)

    def items(self) -> int:
        return int(self.rows("SELECT COUNT(*) FROM items")[0][0])

    def posted_messages(self) -> dict[int, tuple[int, str]]:
        """Message id → (channel, kind) of every outbox row recorded as posted."""
        rows = self.rows(
            "SELECT message_id, channel_id, kind FROM outbox "
            "WHERE status = 'posted' AND message_id IS NOT NULL"
        )
        return {int(m): (int(c), str(k)) for m, c, k in rows}


def posts_in(fake: FakeDiscord, channel_ids: list[int], since: float = 0.0) -> list[JSON]:
    """The bot's posts (messages with an embed) in the servers' channels, those the fake
    took at or after `since` (Unix seconds) if given."""
    bot_id = str(fake.bot_user_id)
    return [
        message
        for channel in channel_ids
        for message in fake.messages[channel]
        if message["author"]["id"] == bot_id
        and message["embeds"]
        and (not since or _sent_at(message) >= since)
    ]


def _sent_at(message: JSON) -> float:
    return datetime.fromisoformat(message["timestamp"]).timestamp()


def posts_per_minute(posts: list[JSON]) -> tuple[float, float, float]:
    """(posts a minute from the first to the last, time of the first, of the last) by the
    fake's timestamps."""
    if not posts:
        return 0.0, 0.0, 0.0
    times = sorted(_sent_at(m) for m in posts)
    span = times[-1] - times[0]
    return (60 * (len(times) - 1) / span if span > 0 else 0.0), times[0], times[-1]


async def wait_until_published(
    fake: FakeDiscord,
    channel_ids: list[int],
    expected: int,
    within: float,
    *,
    quiet: float = 2.0,
) -> bool:
    """Wait until the fake has `expected` posts and no request came for `quiet` seconds
    (notes and recaps follow their posts), at most `within` seconds; True if it did."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if len(posts_in(fake, channel_ids)) >= expected:
            seen = len(fake.requests)
            await asyncio.sleep(quiet)
            if len(fake.requests) == seen:
                return True
            continue
        await asyncio.sleep(0.5)
    return False


def delivery_problems(fake: FakeDiscord, channel_ids: list[int], database: Database) -> list[str]:
    """A story posted twice in a channel, a note twice in a thread, a post recorded but not
    in the fake (lost) or in the fake but not recorded (sent again after a restart)."""
    problems = []
    recorded = database.posted_messages()
    bot_id = str(fake.bot_user_id)
    in_fake: set[int] = set()
    for channel in channel_ids:
        urls: Counter[str] = Counter()
        for message in fake.messages[channel]:
            if message["author"]["id"] != bot_id:
                continue
            in_fake.add(int(message["id"]))
            urls.update(embed.get("url") or "" for embed in message["embeds"])
        problems += [
            f"channel {channel}: {url} posted {n} times" for url, n in urls.items() if n > 1
        ]
    for thread in fake.threads:
        notes = Counter(
            m["content"] for m in fake.messages[int(thread["id"])] if m["author"]["id"] == bot_id
        )
        in_fake.update(
            int(m["id"]) for m in fake.messages[int(thread["id"])] if m["author"]["id"] == bot_id
        )
        problems += [
            f"thread {thread['id']}: {text[:60]!r} sent {n} times"
            for text, n in notes.items()
            if n > 1
        ]
    lost = [m for m in recorded if m not in in_fake]
    unrecorded = [m for m in in_fake if m not in recorded]
    if lost:
        problems.append(f"{len(lost)} message(s) recorded as posted are not in Discord: {lost[:5]}")
    if unrecorded:
        problems.append(
            f"{len(unrecorded)} bot message(s) in Discord are not recorded: {unrecorded[:5]}"
        )
    return problems
