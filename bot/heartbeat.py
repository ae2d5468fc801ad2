"""The running bot's heartbeat: a small JSON file beside the database, rewritten every
`INTERVAL_SECONDS`, that `python -m bot health` (bot/ops/health.py) reads.

    HeartbeatWriter: vitals() ─► Heartbeat ─► JSON ─► temp file ─► rename over <database>.heartbeat

Each process of a multi-worker Bazaar (`run --role …`) beats in a file of its own,
`<database>.<process>.heartbeat` (`bot.roles.process_name`: `poller-0of2`, `publisher`...).

Beside the database because that is the one place the bot is sure to be able to write (the
Docker volume, the systemd state directory) and that `health` can find from the same config.
The file is replaced by a rename, so a reader sees the previous beat or the next, never half
of one; it is removed when the bot stops cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot import __version__
from bot.clock import Clock, system_clock
from bot.waiting import cancelling

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 30.0
SUFFIX = ".heartbeat"


class HeartbeatError(Exception):
    """A heartbeat file could not be read; the message says why."""


@dataclass(frozen=True)
class Vitals:
    """What the bot reports at each beat."""

    gateway_connected: bool
    last_cycle_finished_at: datetime | None
    polls: bool = True  # whether this process polls feeds (a publisher or gateway does not)


@dataclass(frozen=True)
class Heartbeat:
    """One beat, as written to the file."""

    written_at: datetime
    started_at: datetime
    pid: int
    gateway_connected: bool
    last_cycle_finished_at: datetime | None
    version: str
    polls: bool = True

    def to_json(self) -> str:
        return json.dumps(
            {
                "written_at": self.written_at.isoformat(),
                "started_at": self.started_at.isoformat(),
                "pid": self.pid,
                "gateway_connected": self.gateway_connected,
                "last_cycle_finished_at": _iso_or_none(self.last_cycle_finished_at),
                "version": self.version,
                "polls": self.polls,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Heartbeat:
        """Parse a heartbeat file's text; `HeartbeatError` if it is not one."""
        try:
            raw = json.loads(text)
            last_cycle = raw["last_cycle_finished_at"]
            beat = cls(
                written_at=_aware(raw["written_at"]),
                started_at=_aware(raw["started_at"]),
                pid=raw["pid"],
                gateway_connected=raw["gateway_connected"],
                last_cycle_finished_at=None if last_cycle is None else _aware(last_cycle),
                version=raw["version"],
                polls=raw.get("polls", True),  # written by a Bazaar from before the roles
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise HeartbeatError(f"not a heartbeat ({exc.__class__.__name__}: {exc})") from None
        if not isinstance(beat.pid, int) or not all(
            isinstance(flag, bool) for flag in (beat.gateway_connected, beat.polls)
        ):
            raise HeartbeatError(
                "not a heartbeat (pid, gateway_connected or polls of the wrong type)"
            )
        return beat


def _iso_or_none(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _aware(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return when


def heartbeat_path(database: Path, process: str = "") -> Path | None:
    """Where the bot's process named `process` (`bot.roles.process_name`; '' for the one
    process of role all) keeps its heartbeat; None for an in-memory database."""
    if str(database) == ":memory:":
        return None
    return database.with_name(f"{database.name}{'.' + process if process else ''}{SUFFIX}")


def write_heartbeat(path: Path, beat: Heartbeat) -> None:
    """Replace the file at `path` with `beat` atomically: a temporary file in the same
    directory, then a rename over the old one."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            # mkstemp makes it 0600; `health` may run as another user (root, a healthcheck).
            os.fchmod(file.fileno(), 0o644)
            file.write(beat.to_json())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_heartbeat(path: Path) -> Heartbeat | None:
    """The last beat at `path`; None when there is no file; `HeartbeatError` when there is one
    that cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise HeartbeatError(f"cannot read {path}: {exc}") from None
    return Heartbeat.from_json(text)


def next_beat_delay(began: datetime, now: datetime, interval: float) -> float:
    """Seconds until the beat after one that began at `began`: on schedule even when a write
    was slow, never negative."""
    return max(0.0, interval - (now - began).total_seconds())


Sleep = Callable[[float], Awaitable[None]]


class HeartbeatWriter:
    """A small task owned by the bot: `start()` writes a beat at once and then every
    `interval` seconds; `stop()` ends it and removes the file. Write errors are logged (once
    per outage) and never stop the bot: `health` then sees the heartbeat go stale."""

    def __init__(
        self,
        path: Path | None,
        vitals: Callable[[], Vitals],
        *,
        clock: Clock = system_clock,
        interval: float = INTERVAL_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.path = path
        self._vitals = vitals
        self._now = clock
        self._interval = interval
        self._sleep = sleep
        self._started_at = clock()
        self._pid = os.getpid()
        self._task: asyncio.Task[None] | None = None
        self._write: asyncio.Task[None] | None = None
        self._failing = False

    @classmethod
    def for_database(
        cls,
        database: Path,
        vitals: Callable[[], Vitals],
        *,
        process: str = "",
        clock: Clock = system_clock,
    ) -> HeartbeatWriter:
        """The writer for the bot's process `process` that uses `database` (it writes
        nothing for `:memory:`)."""
        return cls(heartbeat_path(database, process), vitals, clock=clock)

    def start(self) -> None:
        if self.path is not None and self._task is None:
            self._task = asyncio.create_task(self.run(), name="bazaar-heartbeat")

    async def stop(self) -> None:
        """End the task, wait for a write in flight, remove the file. Safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._write is not None:
            # A write runs in a thread that cancelling cannot stop: let it land first, so
            # that it cannot put the file back after it was removed.
            await asyncio.gather(self._write, return_exceptions=True)
        if self.path is not None and self._task is not None:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(self.path.unlink, missing_ok=True)

    async def run(self) -> None:
        while True:
            began = self._now()
            await self._beat_logged()
            await self._sleep(next_beat_delay(began, self._now(), self._interval))

    async def beat(self) -> Heartbeat:
        """Write one beat now and return it."""
        assert self.path is not None
        vitals = self._vitals()
        beat = Heartbeat(
            written_at=self._now(),
            started_at=self._started_at,
            pid=self._pid,
            gateway_connected=vitals.gateway_connected,
            last_cycle_finished_at=vitals.last_cycle_finished_at,
            version=__version__,
            polls=vitals.polls,
        )
        self._write = asyncio.create_task(asyncio.to_thread(write_heartbeat, self.path, beat))
        await asyncio.shield(self._write)
        return beat

    async def _beat_logged(self) -> None:
        try:
            await self.beat()
        except Exception as exc:
            if cancelling():
                raise
            if not self._failing:
                log.warning(
                    "cannot write the heartbeat %s (%s: %s); `python -m bot health` will "
                    "report the bot as down until it can",
                    self.path,
                    exc.__class__.__name__,
                    exc,
                )
            self._failing = True
        else:
            if self._failing:
                log.info("the heartbeat %s is written again", self.path)
            self._failing = False
