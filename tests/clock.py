"""Clocks for tests: every test that depends on the time runs at dates it chooses.

`INSTANTS` are the dates the time-sensitive tests run at: an ordinary day, one minute before
a month end in a far-future year, and a leap day (the `clock` fixture runs each such test
at all three).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

INSTANTS = {
    "2026-11-24": datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    "2031-02-28T23:59": datetime(2031, 2, 28, 23, 59, tzinfo=UTC),
    "2032-02-29T00:01": datetime(2032, 2, 29, 0, 1, tzinfo=UTC),
}


class TestClock:
    """Starts at `start` and runs at the machine's pace; `advance` jumps ahead.

    It moves on its own because the bot's loops sleep for real: a clock that stood still
    would never make a feed due again. No test asserts on how fast it moves.
    """

    __test__ = False  # not a test class, despite the name

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._started = time.monotonic()
        self._offset = timedelta()

    def __call__(self) -> datetime:
        return self._start + self._offset + timedelta(seconds=time.monotonic() - self._started)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta

    def timestamp(self) -> float:
        """Seconds since the epoch, for servers that count time that way (the fake Discord)."""
        return self().timestamp()
