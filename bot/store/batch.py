"""Group commit for the most common write of a cycle: a feed that only succeeded.

Each feed awaits its own write, as with `apply_poll`; the writes that arrive while a batch is
being written go together in the next one. A cycle of 1,000 304s is then a handful of
transactions, and no feed waits longer than one batch for its turn.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.store.results import PollResult


class SuccessStore(Protocol):
    async def apply_successes(self, results: list[PollResult]) -> None: ...


class SuccessWriter:
    def __init__(self, store: SuccessStore) -> None:
        self._store = store
        self._pending: list[tuple[PollResult, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, result: PollResult) -> None:
        """Write `result` (an `only_success` poll) with whatever else is waiting; return
        once it is committed, or raise what the batch raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((result, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain(), name="success-writer")
        await done

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._store.apply_successes([result for result, _ in batch])
            except Exception as exc:  # every waiter hears of it; the next batch still runs
                outcome: Exception | None = exc
            else:
                outcome = None
            for _, done in batch:
                if done.done():  # its feed was cancelled (the bot is stopping)
                    continue
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)
