"""Recaps are written by the core before they are sent: retried when the discussion cannot
be read, skipped when it is too small, and sent only once their text is written."""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.config import DiscussionSettings
from bot.delivery import DeliveryService, JobKind
from bot.discussions.service import DiscussionRecaps, RecapWriter
from bot.models import OutboxKind, OutboxStatus
from bot.store import Store
from tests.clock import TestClock
from tests.comments_server import HN_STORY, CommentsServer
from tests.feed_server import FeedItem, FeedServer, rss
from tests.polling import follow, pipeline

HN_ITEM_PATH = f"/v0/item/{HN_STORY}.json"


async def queue_a_discussion(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    hn_link = f"https://news.ycombinator.com/item?id={HN_STORY}"
    item = FeedItem("New open-weights model released", "https://example.org/model",
                    f'<a href="{hn_link}">Comments</a>', guid="hn", published=clock(),
                    comments=hn_link)  # fmt: skip
    await follow(store, feed_server.serve("/hn.xml", rss("Hacker News", [item])))
    await pipeline(store, http, recaps=True).poll_due()


def writer(store: Store, http: httpx.AsyncClient, comments: CommentsServer) -> RecapWriter:
    settings = DiscussionSettings(hn_api=comments.hn_api, timeout_seconds=5)
    return RecapWriter(store, DiscussionRecaps(http=http, settings=settings), clock=store.clock)


async def test_a_discussion_that_cannot_be_read_is_retried_later_then_written(
    clock: TestClock,
    feed_server: FeedServer,
    store: Store,
    http: httpx.AsyncClient,
    comments_server: CommentsServer,
) -> None:
    await queue_a_discussion(clock, feed_server, store, http)
    recaps = writer(store, http, comments_server)
    delivery = DeliveryService(store, clock=clock)
    comments_server.status[HN_ITEM_PATH] = 503

    assert await recaps.write_pending() == 0
    assert await recaps.write_pending() == 0  # not due again yet: nothing was asked
    assert comments_server.paths.count(HN_ITEM_PATH) == 1
    # Only the post is due; the recap waits for its text (and for the post's thread).
    assert [job.kind for job in await delivery.due()] == [JobKind.POST]

    del comments_server.status[HN_ITEM_PATH]
    clock.advance(timedelta(minutes=1))
    assert await recaps.write_pending() == 1
    [recap] = [r for r in await store.pending_posts() if r.kind is OutboxKind.RECAP]
    assert recap.body is not None and recap.body.startswith("💬 Discussion recap")


async def test_a_discussion_with_no_comments_is_skipped(
    clock: TestClock,
    feed_server: FeedServer,
    store: Store,
    http: httpx.AsyncClient,
    comments_server: CommentsServer,
) -> None:
    await queue_a_discussion(clock, feed_server, store, http)
    comments_server.items[HN_STORY] = {**comments_server.items[HN_STORY], "kids": []}

    assert await writer(store, http, comments_server).write_pending() == 0
    assert (await store.outbox_counts()).get(OutboxStatus.SKIPPED) == 1
