"""The one clock of the core.

Every place that needs the current time is handed a `Clock` (a callable returning an aware
UTC datetime) instead of calling `datetime.now`, so every time-dependent path can be run at
any date in tests. Pure decisions never read a clock: they take the time as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)
