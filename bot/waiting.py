"""Waiting in long-lived loops without ever losing a cancellation."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_for_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; return whether it is set.

    Built on `asyncio.timeout`, not `asyncio.wait_for`: in Python 3.11 `wait_for` can
    swallow a cancellation that arrives just as the event is set, and the loop that
    called it then never stops (seen as a bot whose close() hangs).
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()


def cancelling() -> bool:
    """Whether the current task is being cancelled (an error raised meanwhile must not
    keep its loop alive)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
