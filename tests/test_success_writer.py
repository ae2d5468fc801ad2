"""Group commit: every feed's state is written, in a few transactions however many feeds
finish at once (a batch waiting briefly for company when asked to), and a failed batch is
nobody's silent loss."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.models import SubscriptionSource
from bot.store import FeedState, PollResult, Store, SuccessWriter
from bot.store.batch import GroupCommit
from tests.clock import TestClock


class SlowStore:
    """The real store, its batches held until the test lets them through."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.batches: list[list[int]] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()

    async def apply_successes(self, results: list[PollResult]) -> None:
        self.batches.append([r.feed_id for r in results])
        self.started.set()
        await self.gate.wait()
        await self.store.apply_successes(results)


async def feeds(store: Store, count: int) -> list[int]:
    for n in range(count):
        url = f"https://feeds.example/{n}.xml"
        await store.subscribe(url, 100, source=SubscriptionSource.COMMAND, guild_id=1)
    return [feed.id for feed in await store.followed_feeds()]


async def test_feeds_finishing_during_a_write_go_together_in_the_next_one(
    store: Store, clock: TestClock
) -> None:
    ids = await feeds(store, 10)
    slow = SlowStore(store)
    writer = SuccessWriter(slow)
    later = clock() + timedelta(minutes=15)
    state = FeedState(next_poll_at=later, not_modified=True)

    first = asyncio.create_task(writer.write(PollResult(ids[0], clock(), state)))
    await slow.started.wait()  # the first feed's write is under way...
    # ...when nine more feeds finish: they wait for it, then go in together.
    writes = [
        first,
        *(asyncio.create_task(writer.write(PollResult(i, clock(), state))) for i in ids[1:]),
    ]
    for _ in range(3):
        await asyncio.sleep(0)
    slow.gate.set()
    await asyncio.gather(*writes)

    assert slow.batches == [ids[:1], ids[1:]]
    polled = {feed.id: feed for feed in await store.followed_feeds()}
    assert all(polled[i].next_poll_at == later for i in ids)


async def test_a_failed_batch_is_raised_to_every_feed_in_it(store: Store, clock: TestClock) -> None:
    [feed_id] = await feeds(store, 1)
    await store.close()  # every write now fails
    writer = SuccessWriter(store)
    state = FeedState(next_poll_at=clock(), not_modified=True)
    with pytest.raises(ValueError):
        await writer.write(PollResult(feed_id, clock(), state))


async def test_only_polls_that_changed_nothing_else_can_be_batched(
    store: Store, clock: TestClock
) -> None:
    [feed_id] = await feeds(store, 1)
    failed = FeedState(next_poll_at=clock(), error="HTTP 500", failures=1)
    with pytest.raises(ValueError, match="only polls"):
        await store.apply_successes([PollResult(feed_id, clock(), failed)])


async def test_a_changed_body_with_nothing_new_keeps_its_new_validators(
    store: Store, clock: TestClock
) -> None:
    [feed_id] = await feeds(store, 1)
    state = FeedState(next_poll_at=clock(), etag='"v2"', last_modified="x", title="Renamed")
    await store.apply_successes([PollResult(feed_id, clock(), state)])
    [feed] = await store.followed_feeds()
    assert (feed.etag, feed.last_modified, feed.title) == ('"v2"', "x", "Renamed")


class Recorder:
    """A batch writer that keeps what each batch held."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def write_batch(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        return items


async def test_a_batch_gathers_the_writes_that_come_within_its_wait() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write_batch, max_batch=10, gather=0.5)
    first = asyncio.create_task(commits.write(1))
    for _ in range(3):
        await asyncio.sleep(0)  # the batch has started, and waits for company
    second = asyncio.create_task(commits.write(2))
    assert await asyncio.gather(first, second) == [1, 2]
    assert recorder.batches == [[1, 2]]

    # Without the wait, a write that finds the writer idle goes alone.
    alone = Recorder()
    eager = GroupCommit(alone.write_batch, max_batch=10)
    first = asyncio.create_task(eager.write(1))
    for _ in range(3):
        await asyncio.sleep(0)
    await asyncio.gather(first, eager.write(2))
    assert alone.batches == [[1], [2]]


async def test_a_full_batch_is_written_without_waiting() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write_batch, max_batch=2, gather=3600)
    writes = asyncio.gather(commits.write(1), commits.write(2))
    assert await asyncio.wait_for(writes, timeout=30) == [1, 2]
    assert recorder.batches == [[1, 2]]
