"""The heartbeat writer: one beat at once, then one every interval by the injected clock,
each replacing the file whole; write errors never stop it; stopping removes the file."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

import bot.heartbeat
from bot import __version__
from bot.heartbeat import (
    Heartbeat,
    HeartbeatError,
    HeartbeatWriter,
    Vitals,
    heartbeat_path,
    next_beat_delay,
    read_heartbeat,
    write_heartbeat,
)
from tests.clock import TestClock

CONNECTED = Vitals(gateway_connected=True, last_cycle_finished_at=None)


class ClockedSleep:
    """A sleep that moves the test clock instead of waiting, and records each beat's file;
    after `beats` sleeps it blocks until the test stops the writer."""

    def __init__(self, clock: TestClock, path: Path, beats: int) -> None:
        self.clock = clock
        self.path = path
        self.beats = beats
        self.delays: list[float] = []
        self.files: list[Heartbeat] = []
        self.done = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        beat = read_heartbeat(self.path)
        assert beat is not None
        self.files.append(beat)
        self.delays.append(seconds)
        if len(self.delays) == self.beats:
            self.done.set()
            await asyncio.Event().wait()
        self.clock.advance(timedelta(seconds=seconds))


def test_the_heartbeat_lives_beside_the_database(tmp_path: Path) -> None:
    assert heartbeat_path(tmp_path / "bazaar.db") == tmp_path / "bazaar.db.heartbeat"
    assert heartbeat_path(Path(":memory:")) is None


async def test_a_beat_is_written_at_once_with_the_bots_vitals(
    clock: TestClock, tmp_path: Path
) -> None:
    path = tmp_path / "bazaar.db.heartbeat"
    cycle = clock() - timedelta(minutes=3)
    writer = HeartbeatWriter(path, lambda: Vitals(False, cycle), clock=clock)

    beat = await writer.beat()

    assert read_heartbeat(path) == beat
    assert beat.pid == os.getpid()
    assert beat.gateway_connected is False
    assert beat.last_cycle_finished_at == cycle
    assert beat.version == __version__
    assert beat.started_at <= beat.written_at <= clock()
    # Readable by whoever runs `health` (root, the healthcheck), and no temporary left behind.
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert names_in(tmp_path) == [path.name]


def names_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_a_beat_replaces_the_file_whole_never_in_place(clock: TestClock, tmp_path: Path) -> None:
    path = tmp_path / "bazaar.db.heartbeat"
    first = Heartbeat(clock(), clock(), 7, True, None, "1")
    second = Heartbeat(clock() + timedelta(seconds=30), clock(), 7, False, clock(), "1")
    write_heartbeat(path, first)
    seen: list[tuple[Heartbeat | None, Heartbeat]] = []
    real_replace = os.replace

    def replace(source: str, target: Path) -> None:
        # At the moment of the rename the old beat is still whole and the new one complete.
        seen.append((read_heartbeat(Path(target)), Heartbeat.from_json(Path(source).read_text())))
        real_replace(source, target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.heartbeat.os, "replace", replace)
        write_heartbeat(path, second)

    assert seen == [(first, second)]
    assert read_heartbeat(path) == second


def test_a_failed_write_leaves_the_last_beat_and_no_temporary(
    clock: TestClock, tmp_path: Path
) -> None:
    path = tmp_path / "bazaar.db.heartbeat"
    first = Heartbeat(clock(), clock(), 7, True, None, "1")
    write_heartbeat(path, first)

    def replace(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.heartbeat.os, "replace", replace)
        with pytest.raises(OSError, match="No space"):
            write_heartbeat(path, Heartbeat(clock(), clock(), 7, False, None, "1"))

    assert read_heartbeat(path) == first
    assert names_in(tmp_path) == [path.name]


async def test_beats_follow_the_schedule_of_the_injected_clock(
    clock: TestClock, tmp_path: Path
) -> None:
    path = tmp_path / "bazaar.db.heartbeat"
    sleep = ClockedSleep(clock, path, beats=4)
    writer = HeartbeatWriter(path, lambda: CONNECTED, clock=clock, interval=30, sleep=sleep)
    start = clock()

    writer.start()
    await asyncio.wait_for(sleep.done.wait(), 10)
    await writer.stop()

    written = [beat.written_at for beat in sleep.files]
    assert start <= written[0] < start + timedelta(seconds=5)
    for earlier, later in itertools.pairwise(written):
        # 30 s of clock apart; the writes themselves take a moment of the machine's time.
        assert timedelta(seconds=30) <= later - earlier < timedelta(seconds=35)
    assert all(0 < delay <= 30 for delay in sleep.delays)
    assert {beat.started_at for beat in sleep.files} == {writer._started_at}


def test_a_slow_write_does_not_push_the_schedule_back(clock: TestClock) -> None:
    began = clock()
    assert next_beat_delay(began, began + timedelta(seconds=4), 30) == 26
    assert next_beat_delay(began, began + timedelta(seconds=45), 30) == 0


async def test_stopping_removes_the_heartbeat_so_health_says_not_running(
    clock: TestClock, tmp_path: Path
) -> None:
    path = tmp_path / "bazaar.db.heartbeat"
    sleep = ClockedSleep(clock, path, beats=1)
    writer = HeartbeatWriter(path, lambda: CONNECTED, clock=clock, sleep=sleep)
    writer.start()
    await asyncio.wait_for(sleep.done.wait(), 10)

    await writer.stop()
    await writer.stop()  # twice is fine

    assert not path.exists()


async def test_a_writer_that_never_started_leaves_the_file_alone(
    clock: TestClock, tmp_path: Path
) -> None:
    path = tmp_path / "bazaar.db.heartbeat"
    path.write_text("another bot's beat")
    await HeartbeatWriter(path, lambda: CONNECTED, clock=clock).stop()
    assert path.read_text() == "another bot's beat"

    in_memory = HeartbeatWriter.for_database(Path(":memory:"), lambda: CONNECTED, clock=clock)
    in_memory.start()
    await in_memory.stop()
    assert in_memory.path is None


async def test_write_errors_are_logged_once_and_the_beats_go_on(
    clock: TestClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "not-yet"
    path = missing / "bazaar.db.heartbeat"
    delays: list[float] = []
    recovered = asyncio.Event()

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 3:
            missing.mkdir()  # the volume is back
        if path.exists():
            recovered.set()
            await asyncio.Event().wait()
        clock.advance(timedelta(seconds=seconds))

    writer = HeartbeatWriter(path, lambda: CONNECTED, clock=clock, sleep=sleep)
    with caplog.at_level(logging.INFO, logger="bot.heartbeat"):
        writer.start()
        await asyncio.wait_for(recovered.wait(), 10)
        await writer.stop()

    messages = [record.getMessage() for record in caplog.records]
    assert len(delays) == 4
    assert sum("cannot write the heartbeat" in m for m in messages) == 1
    assert sum("written again" in m for m in messages) == 1


def test_a_file_that_is_not_a_heartbeat_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "bazaar.db.heartbeat"
    for text in ("", "{", '{"pid": 1}', '{"written_at": "2026-01-01T00:00:00"}', "[]"):
        path.write_text(text)
        with pytest.raises(HeartbeatError, match="not a heartbeat"):
            read_heartbeat(path)
    assert read_heartbeat(tmp_path / "missing") is None
