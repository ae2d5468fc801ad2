"""The polling loop: run a cycle whenever a feed is due, sleep until the next one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import Clock, system_clock
from bot.pipeline import Pipeline
from bot.reports import CycleReport
from bot.store import Store
from bot.waiting import cancelling, wait_for_event

log = logging.getLogger(__name__)

# Upper bound on one sleep, so feeds added to the database by other means are noticed.
MAX_SLEEP_SECONDS = 60.0
# Lower bound, so a feed that is always due cannot spin the loop.
MIN_SLEEP_SECONDS = 1.0
# A cycle that stored this many rows (items and posts) has the planner's statistics renewed.
STATISTICS_AFTER_ROWS = 1000


class Poller:
    """Runs `pipeline.poll_due` forever, indexing what each cycle stored for search after it;
    `wake()` makes it poll at once (e.g. after /feeds add)."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: Store,
        *,
        on_cycle: Callable[[CycleReport], Awaitable[None]] | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._now = clock
        self._pipeline = pipeline
        self._store = store
        self._on_cycle = on_cycle
        self._wake = asyncio.Event()
        # When `poll_due` last returned (the heartbeat reports it; None before the first).
        self.last_cycle_finished_at: datetime | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                report = await self._pipeline.poll_due()
                self.last_cycle_finished_at = self._now()
                if self._on_cycle is not None:
                    await self._on_cycle(report)
                # After the cycle, not in it: the next feeds are not kept waiting for the
                # index, and a search indexes what is still waiting itself.
                await self._store.index_for_search()
                if report.new_items + report.deliveries >= STATISTICS_AFTER_ROWS:
                    await self._store.refresh_statistics()
            except Exception:
                if cancelling():
                    raise  # an error raised while being stopped must not keep the loop alive
                log.exception("poll cycle failed; trying again later")
            await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        delay = MAX_SLEEP_SECONDS
        try:
            due = await self._store.next_poll_time(self._pipeline.shard)
        except Exception:
            log.exception("cannot read when the next feed is due; polling again in a minute")
            due = None
        if due is not None:
            delay = (due - self._now()).total_seconds()
        delay = min(max(delay, MIN_SLEEP_SECONDS), MAX_SLEEP_SECONDS)
        await wait_for_event(self._wake, delay)
