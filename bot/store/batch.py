"""Group commit: each feed awaits its own write, and the writes that arrive while a batch is
being written go together in the next one.

A cycle of 1,000 feeds is then a few dozen transactions, not 1,000: a commit costs a WAL
append and a flush of the search index's pending terms, which are paid once per batch. No
feed waits longer than one batch for its turn, and one feed's failure is its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

from bot.store.results import PollResult

T = TypeVar("T")
R = TypeVar("R")

# What a batch gives each of its writes: its result, or the exception that write alone
# raised (its part of the transaction rolled back, the others' kept).
Outcome = R | Exception


class GroupCommit(Generic[T, R]):
    """Writes `T`s in batches through `write_batch`, which answers one outcome per write,
    in order; a batch raising fails every write in it.

    With `gather` (seconds), a batch that is not full waits that long for more writes to
    join it before it is written (as PostgreSQL's `commit_delay`): when feeds finish one
    by one, a few milliseconds turn a transaction per feed into one per few feeds."""

    def __init__(
        self,
        write_batch: Callable[[list[T]], Awaitable[Sequence[Outcome[R]]]],
        *,
        max_batch: int = 100,
        gather: float = 0.0,
        name: str = "group-commit",
    ) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._gather = gather
        self._name = name
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, item: T) -> R:
        """Write `item` with whatever else is waiting; return once it is committed, or raise
        what its write (or its whole batch) raised."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain(), name=self._name)
        return await done

    async def _drain(self) -> None:
        while self._pending:
            if self._gather and len(self._pending) < self._max_batch:
                await asyncio.sleep(self._gather)
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                outcomes: Sequence[Outcome[R]] = await self._write_batch([i for i, _ in batch])
            except Exception as exc:  # every waiter hears of it; the next batch still runs
                outcomes = [exc] * len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():  # its feed was cancelled (the bot is stopping)
                    continue
                if isinstance(outcome, Exception):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)


class SuccessStore(Protocol):
    async def apply_successes(self, results: list[PollResult]) -> None: ...


class SuccessWriter(GroupCommit[PollResult, None]):
    """The most common write of a cycle, a feed that only succeeded (a 304, a body with
    nothing new): two batched statements per transaction."""

    def __init__(self, store: SuccessStore) -> None:
        async def write_batch(results: list[PollResult]) -> list[None]:
            await store.apply_successes(results)
            return [None] * len(results)

        super().__init__(write_batch, max_batch=1_000, name="success-writer")
