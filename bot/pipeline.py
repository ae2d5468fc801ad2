"""One poll cycle, end to end:

    due feeds | fetch (conditional GET) | parse (thread) | decide | summarize | store + outbox

The pipeline carries out decisions made in `bot.decide`; it decides nothing itself.
In a dry run (the `preview` command) it computes the same decisions and writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import httpx

from bot.config import PollingSettings
from bot.decide import Candidate, next_poll_at, plan_posts, select_new_entries
from bot.feeds.fetch import FetchError, NotModified, fetch
from bot.feeds.parse import NotAFeedError, parse_feed_async
from bot.models import Entry, Feed, Item, NewItem, ParsedFeed, Post
from bot.posts import make_post
from bot.store import PollResult, Store
from bot.summarize import Summarizer

log = logging.getLogger(__name__)


class FeedStatus(StrEnum):
    UPDATED = "updated"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"


@dataclass(frozen=True)
class ChannelPost:
    """A post the cycle queued (or, in a dry run, would queue) for a channel."""

    channel_id: int
    post: Post


@dataclass(frozen=True)
class FeedReport:
    feed_url: str
    status: FeedStatus
    new_items: int = 0
    posts: tuple[ChannelPost, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CycleReport:
    feeds: tuple[FeedReport, ...] = field(default_factory=tuple)

    @property
    def posts(self) -> list[ChannelPost]:
        return [post for feed in self.feeds for post in feed.posts]

    def count(self, status: FeedStatus) -> int:
        return sum(1 for feed in self.feeds if feed.status is status)


class Pipeline:
    """Polls due feeds and turns what is new into stored items and pending posts."""

    def __init__(
        self,
        *,
        store: Store,
        http: httpx.AsyncClient,
        summarizer: Summarizer,
        settings: PollingSettings,
    ) -> None:
        self._store = store
        self._http = http
        self._summarizer = summarizer
        self._settings = settings
        self._fetch_slots = asyncio.Semaphore(settings.max_concurrent_fetches)

    async def poll_due(self, *, now: datetime | None = None, dry_run: bool = False) -> CycleReport:
        """Poll every feed whose time has come, at most `max_concurrent_fetches` at once."""
        now = now or datetime.now(UTC)
        return await self.poll_feeds(await self._store.due_feeds(now), now=now, dry_run=dry_run)

    async def poll_feeds(
        self, feeds: Sequence[Feed], *, now: datetime, dry_run: bool = False
    ) -> CycleReport:
        """Poll `feeds` concurrently (bounded); one failing feed never stops the others."""
        reports = await asyncio.gather(
            *(self._poll_with_slot(feed, now, dry_run) for feed in feeds)
        )
        report = CycleReport(tuple(reports))
        if feeds:
            log.info(
                "polled %d feed(s): %d updated, %d not modified, %d failed; %d new post(s)",
                len(feeds),
                report.count(FeedStatus.UPDATED),
                report.count(FeedStatus.NOT_MODIFIED),
                report.count(FeedStatus.FAILED),
                len(report.posts),
            )
        return report

    async def _poll_with_slot(self, feed: Feed, now: datetime, dry_run: bool) -> FeedReport:
        async with self._fetch_slots:
            try:
                return await self.poll_feed(feed, now=now, dry_run=dry_run)
            except Exception:
                # One broken feed must never stop the others or the loop.
                log.exception("unexpected error while polling %s", feed.url)
                return FeedReport(feed.url, FeedStatus.FAILED, error="internal error (see logs)")

    async def poll_feed(self, feed: Feed, *, now: datetime, dry_run: bool = False) -> FeedReport:
        """Fetch, parse and store one feed; queue its posts."""
        interval = timedelta(seconds=self._settings.interval_seconds)
        next_poll = next_poll_at(now, interval)
        # A dry run must not send validators: a 304 would hide what the bot would post.
        conditional = not dry_run
        try:
            fetched = await fetch(
                self._http,
                feed.url,
                max_bytes=self._settings.max_body_bytes,
                etag=feed.etag if conditional else None,
                last_modified=feed.last_modified if conditional else None,
            )
            if isinstance(fetched, NotModified):
                if not dry_run:
                    await self._store.apply_poll(
                        PollResult(feed.id, now, next_poll, not_modified=True)
                    )
                return FeedReport(feed.url, FeedStatus.NOT_MODIFIED)
            parsed = await parse_feed_async(
                fetched.body, url=fetched.url, content_type=fetched.content_type
            )
        except (FetchError, NotAFeedError) as exc:
            log.warning("feed %s failed: %s", feed.url, exc)
            if not dry_run:
                await self._store.apply_poll(PollResult(feed.id, now, next_poll, error=str(exc)))
            return FeedReport(feed.url, FeedStatus.FAILED, error=str(exc))

        new_entries = await self._new_entries(feed, parsed)
        summaries = await self._summaries(new_entries)
        stored = await self._store.recent_items(feed.id, max(self._settings.backfill, 1))
        subscriptions = await self._store.feed_subscriptions(feed.id)
        plan = plan_posts(
            feed_id=feed.id,
            subscriptions=subscriptions,
            new=[Candidate(e.key, e.published_at or now) for e in new_entries],
            stored=[Candidate(i.key, i.sort_time) for i in stored],
            now=now,
            backfill=self._settings.backfill,
            max_age=timedelta(days=self._settings.max_age_days),
        )
        if not dry_run:
            await self._store.apply_poll(
                PollResult(
                    feed.id,
                    now,
                    next_poll,
                    new_items=[NewItem(e, summaries[e.key]) for e in new_entries],
                    planned_posts=plan.posts,
                    initialized_subscription_ids=plan.initialized_subscription_ids,
                    title=parsed.title,
                    etag=fetched.etag,
                    last_modified=fetched.last_modified,
                )
            )
        names = {s.channel_id: s.name or parsed.title for s in subscriptions}
        lookup = _PostLookup(new_entries, summaries, stored, now)
        posts = tuple(
            ChannelPost(p.channel_id, lookup.post(p.item_key, names[p.channel_id]))
            for p in plan.posts
        )
        return FeedReport(feed.url, FeedStatus.UPDATED, new_items=len(new_entries), posts=posts)

    async def _new_entries(self, feed: Feed, parsed: ParsedFeed) -> list[Entry]:
        known = await self._store.known_keys(feed.id, (e.key for e in parsed.entries))
        return select_new_entries(parsed.entries, known)

    async def _summaries(self, entries: Sequence[Entry]) -> dict[str, str]:
        summaries = {}
        for entry in entries:
            summary = await self._summarizer.summarize(title=entry.title, text=entry.text)
            summaries[entry.key] = summary.text
        return summaries


class _PostLookup:
    """Builds the post for an item key, whether the item is new this cycle or stored."""

    def __init__(
        self,
        new_entries: Sequence[Entry],
        summaries: dict[str, str],
        stored: Sequence[Item],
        now: datetime,
    ) -> None:
        self._new = {e.key: e for e in new_entries}
        self._summaries = summaries
        self._stored = {i.key: i for i in stored}
        self._now = now

    def post(self, key: str, source_name: str) -> Post:
        if key in self._new:
            entry = self._new[key]
            return make_post(
                title=entry.title,
                url=entry.link,
                summary=self._summaries[key],
                source_name=source_name,
                published_at=entry.published_at,
            )
        item = self._stored[key]
        return post_for_item(item, source_name)


def post_for_item(item: Item, source_name: str) -> Post:
    """The post for a stored item."""
    return make_post(
        title=item.title,
        url=item.link,
        summary=item.summary,
        source_name=source_name,
        published_at=item.published_at,
    )
