"""Following and unfollowing feeds: what `/feeds add|list|remove` do, without Discord."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bot.clock import Clock, system_clock
from bot.feeds.parse import NotAFeedError, parse_feed_async
from bot.http.fetch import Fetcher, FetchError
from bot.models import (
    NO_RULES,
    FeedFilter,
    KeywordFilter,
    ParsedFeed,
    SubscriptionEdit,
    SubscriptionSource,
)
from bot.store import Store, SubscriptionView

MAX_URL_LENGTH = 2048


class SubscriptionError(Exception):
    """A request to follow or unfollow could not be carried out; the message says why."""


@dataclass(frozen=True)
class AddedFeed:
    title: str
    url: str
    entry_count: int
    already_followed: bool


class SubscriptionService:
    """Adds, lists and removes the feeds a guild follows."""

    def __init__(
        self,
        *,
        store: Store,
        fetcher: Fetcher,
        on_change: Callable[[], None] = lambda: None,
        clock: Clock = system_clock,
    ) -> None:
        self._now = clock
        self._store = store
        self._fetcher = fetcher
        self._on_change = on_change

    async def add(
        self,
        url: str,
        *,
        channel_id: int,
        guild_id: int,
        name: str | None = None,
        feed_filter: FeedFilter = FeedFilter.ALL,
        rules: KeywordFilter = NO_RULES,
        role_id: int | None = None,
    ) -> AddedFeed:
        """Check that `url` is a readable feed, then make the channel follow it."""
        url = validate_feed_url(url)
        try:
            parsed = await read_feed_at(self._fetcher, url)
        except (FetchError, NotAFeedError) as exc:
            raise SubscriptionError(f"Cannot follow {url}: {exc}.") from None
        _, created = await self._store.subscribe(
            url,
            channel_id,
            source=SubscriptionSource.COMMAND,
            guild_id=guild_id,
            name=name,
            feed_filter=feed_filter,
            rules=rules,
            role_id=role_id,
        )
        self._on_change()
        return AddedFeed(
            title=name or parsed.title,
            url=url,
            entry_count=len(parsed.entries),
            already_followed=not created,
        )

    async def list(self, guild_id: int) -> list[SubscriptionView]:
        return await self._store.guild_subscriptions(guild_id)

    async def remove(
        self, url: str, *, guild_id: int, channel_id: int | None = None
    ) -> SubscriptionView:
        """Stop following `url` in the guild (in `channel_id`, when it is followed in several)."""
        matches = await self._followed(url, guild_id, channel_id)
        if len(matches) > 1:
            channels = ", ".join(f"<#{v.subscription.channel_id}>" for v in matches)
            raise SubscriptionError(
                f"{url} is followed in several channels ({channels}); say which with channel:."
            )
        await self._store.unsubscribe(matches[0].subscription.id)
        return matches[0]

    async def edit(self, feed: str, edit: SubscriptionEdit, *, guild_id: int) -> SubscriptionView:
        """Change how the guild follows `feed` (a subscription id from autocomplete, or the
        feed's URL when it is followed in one channel)."""
        view = await self.find(feed, guild_id=guild_id)
        await self._store.edit_subscription(view.subscription.id, edit)
        return await self.find(str(view.subscription.id), guild_id=guild_id)

    async def pause(self, feed: str, *, guild_id: int, by: str) -> SubscriptionView:
        """Post nothing more from `feed` in its channel until resumed."""
        view = await self.find(feed, guild_id=guild_id)
        await self._store.pause_subscription(view.subscription.id, f"paused by {by}", self._now())
        return view

    async def resume_channel(self, feed: str, *, guild_id: int) -> SubscriptionView:
        """Undo a pause of the channel (by an admin or after Discord refused a post), and
        poll the feed again at once, its failures forgotten."""
        view = await self.find(feed, guild_id=guild_id)
        await self._store.resume_subscription(view.subscription.id)
        await self._store.resume_feed(view.feed.id, self._now())
        self._on_change()
        return view

    async def find(self, feed: str, *, guild_id: int) -> SubscriptionView:
        """The guild's subscription named by `feed`: its id (as autocomplete gives it) or
        the feed's URL (when followed in one channel only)."""
        feed = feed.strip()
        if feed.isdigit():
            for view in await self._store.guild_subscriptions(guild_id):
                if view.subscription.id == int(feed):
                    return view
            raise SubscriptionError("This server follows no such feed. See /feeds list.")
        matches = await self._followed(feed, guild_id, None)
        if len(matches) > 1:
            raise SubscriptionError(
                f"{feed} is followed in several channels; pick one from the list as you type."
            )
        return matches[0]

    async def choices(self, guild_id: int, typed: str) -> list[tuple[str, str]]:
        """(label, value) of the guild's subscriptions whose name or URL has `typed`."""
        typed = typed.lower().strip()
        return [
            (f"{view.name or view.feed.url}", str(view.subscription.id))
            for view in await self._store.guild_subscriptions(guild_id)
            if typed in (view.name or "").lower() or typed in view.feed.url.lower()
        ]

    async def _followed(
        self, url: str, guild_id: int, channel_id: int | None
    ) -> list[SubscriptionView]:
        url = url.strip()
        matches = [
            view
            for view in await self._store.guild_subscriptions(guild_id)
            if view.feed.url == url
            and (channel_id is None or view.subscription.channel_id == channel_id)
        ]
        if not matches:
            raise SubscriptionError(f"This server does not follow {url}. See /feeds list.")
        return matches

    async def followed_urls(self, guild_id: int) -> list[str]:
        return list(
            dict.fromkeys(v.feed.url for v in await self._store.guild_subscriptions(guild_id))
        )


async def read_feed_at(fetcher: Fetcher, url: str) -> ParsedFeed:
    """The feed at `url`, fetched within the fetcher's limits and parsed off the loop;
    `FetchError` or `NotAFeedError` if it cannot be read."""
    fetched = await fetcher.get_body(url)
    return await parse_feed_async(fetched.body, url=fetched.url, content_type=fetched.content_type)


def validate_feed_url(url: str) -> str:
    """The URL, trimmed, if it can be a feed address; otherwise a `SubscriptionError`."""
    url = url.strip().strip("<>")
    if len(url) > MAX_URL_LENGTH:
        raise SubscriptionError(f"That URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(url) if url.startswith(("http://", "https://")) else None
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or not parsed.host:
        raise SubscriptionError(
            f"{url!r} is not a web address. Give the feed's full URL, starting with https://."
        )
    return url
