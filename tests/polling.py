"""Shared setup for tests that run poll cycles: stories, a pipeline, following a feed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.config import PollingSettings
from bot.http.fetch import Fetcher
from bot.http.limits import HostLimiter
from bot.item_summaries import ItemSummaries
from bot.models import OutboxKind, Post, SubscriptionSource
from bot.pipeline import ArticleSource, Pipeline
from bot.posts import post_for_item
from bot.roles import EVERY_FEED, Shard
from bot.store import Store
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer
from tests.feed_server import FeedItem

NEWS, GENERAL = 1001, 1002


def items(count: int, *, start: int = 0, now: datetime) -> list[FeedItem]:
    """`count` items, item-{start} the newest (published at `now`), one hour apart."""
    return [
        FeedItem(
            f"Story {n}",
            f"https://example.org/story-{n}",
            f"<p>Story {n} is about open weights. It matters.</p>",
            guid=f"story-{n}",
            published=now - timedelta(hours=n),
        )
        for n in range(start, start + count)
    ]


def pipeline(
    store: Store,
    http: httpx.AsyncClient,
    *,
    articles: ArticleSource | None = None,
    limiter: HostLimiter | None = None,
    notice_channel_id: int | None = None,
    summarizer: Summarizer | None = None,
    recaps: bool = False,
    shard: Shard = EVERY_FEED,
    **polling: Any,
) -> Pipeline:
    """A pipeline that reads the time from the store's clock (the test's)."""
    settings = PollingSettings(**{"freeze_heap": False, **polling})  # see tests/harness.py
    fetcher = Fetcher(
        http,
        max_bytes=settings.max_body_bytes,
        deadline=settings.timeout_seconds,
        limiter=limiter or HostLimiter(concurrency=2, delay=0),
    )
    return Pipeline(
        store=store,
        fetcher=fetcher,
        summarizer=summarizer or ExtractiveSummarizer(),
        settings=settings,
        articles=articles,
        notice_channel_id=notice_channel_id,
        recaps=recaps,
        shard=shard,
        clock=store.clock,
    )


async def follow(store: Store, url: str, channel: int = NEWS) -> None:
    await store.subscribe(url, channel, source=SubscriptionSource.COMMAND, guild_id=7)


async def queued_posts(store: Store, channel: int | None = None) -> list[Post]:
    """The posts (not notes or recaps) waiting in the outbox, as they will be sent: with
    the summary the publisher makes as it sends them."""
    summaries = ItemSummaries(store)
    return [
        post_for_item(await summaries.sent_with(row), row.source_name)
        for row in await store.pending_posts()
        if row.kind is OutboxKind.POST and channel in (None, row.channel_id)
    ]


async def pending_titles(store: Store, channel: int = NEWS) -> list[str]:
    return [r.item.title for r in await store.pending_posts() if r.channel_id == channel]
