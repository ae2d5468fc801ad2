"""What `/feeds test url` shows: the post a feed's newest entry would become, with the same
fetch limits, cleaning, relevance, filter and summarizer as the bot's posts; nothing is
stored or posted."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.content.relevance import Lexicon, score_relevance
from bot.decide.filters import filter_verdict
from bot.feeds.parse import NotAFeedError
from bot.http.fetch import Fetcher, FetchError
from bot.models import NO_RULES, KeywordFilter, Post
from bot.posts import make_post
from bot.subscriptions import SubscriptionError, read_feed_at, validate_feed_url
from bot.summarize import Summarizer
from bot.summarize.source import entry_context


@dataclass(frozen=True)
class FeedPreview:
    feed_title: str
    entry_count: int
    post: Post | None  # None: the feed has no entries
    relevance: float | None = None
    relevant: bool = True
    filtered: str | None = None  # why `rules` would keep it out


class FeedPreviews:
    def __init__(self, *, fetcher: Fetcher, summarizer: Summarizer, lexicon: Lexicon) -> None:
        self._fetcher = fetcher
        self._summarizer = summarizer
        self._lexicon = lexicon

    async def next_post(self, url: str, *, rules: KeywordFilter = NO_RULES) -> FeedPreview:
        """The post of the feed's newest entry; `SubscriptionError` if it cannot be read."""
        url = validate_feed_url(url)
        try:
            feed = await read_feed_at(self._fetcher, url)
        except (FetchError, NotAFeedError) as exc:
            raise SubscriptionError(f"Cannot read {url}: {exc}.") from None
        if not feed.entries:
            return FeedPreview(feed.title, 0, None)
        oldest = datetime.min.replace(tzinfo=UTC)
        newest = max(feed.entries, key=lambda e: e.published_at or oldest)
        score = await asyncio.to_thread(score_relevance, newest.title, newest.text, self._lexicon)
        summary = await self._summarizer.summarize(
            title=newest.title,
            text=newest.text,
            context=entry_context(newest, feed_url=url, feed_title=feed.title),
        )
        post = make_post(
            title=newest.title,
            url=newest.link,
            summary=summary.text,
            source_name=feed.title,
            published_at=newest.published_at,
            tags=score.tags,
            image_url=newest.image_url,
        )
        return FeedPreview(
            feed.title,
            len(feed.entries),
            post,
            relevance=score.score,
            relevant=score.relevant,
            filtered=filter_verdict(rules, newest.title, newest.text),
        )
