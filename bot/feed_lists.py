"""Feed lists in and out: what `/feeds import | export` and `python -m bot feeds` do, without
Discord.

    OPML bytes -> parse_opml (in a thread) -> plan_import (pure) -> store.subscribe each new feed
    store subscriptions -> exported_feeds (pure) -> render_opml -> OPML text

An import checks every address as `/feeds add` does (`validate_feed_url`, and the SSRF
guard's refusal of non-public IP addresses) but fetches none of them: a list of 200 feeds
would take minutes to read one by one, and the poller reads them all at its next cycle
anyway, within its per-host limits. A feed that turns out broken shows as failing in
`/feeds list`, backs off, and is paused with a notice, as any feed that breaks later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import httpx

from bot.clock import Clock, system_clock
from bot.feeds.opml import FeedList, ListedFeed, OpmlError, feed_key, parse_opml, render_opml
from bot.http.guard import literal_address_refusal
from bot.models import SubscriptionSource
from bot.store import Store, SubscriptionView
from bot.subscriptions import SubscriptionError, validate_feed_url

NAME_CHARS = 100  # as /feeds add takes a name


class ImportOutcome(StrEnum):
    FOLLOWED = "followed"
    ALREADY_FOLLOWED = "already followed"
    FAILED = "failed"


@dataclass(frozen=True)
class ImportStep:
    """What becomes of one listed feed: followed (or to be), skipped, or refused and why."""

    feed: ListedFeed
    outcome: ImportOutcome
    reason: str = ""


@dataclass(frozen=True)
class ImportReport:
    channel_id: int
    guild_id: int | None  # None: not known yet (the bot fills it in when it connects)
    steps: tuple[ImportStep, ...]
    duplicates_in_file: int = 0

    def count(self, outcome: ImportOutcome) -> int:
        return sum(step.outcome is outcome for step in self.steps)

    @property
    def failures(self) -> tuple[ImportStep, ...]:
        return tuple(step for step in self.steps if step.outcome is ImportOutcome.FAILED)


@dataclass(frozen=True)
class ExportedList:
    feeds: tuple[ListedFeed, ...]
    opml: str


Progress = Callable[[int, int, ImportStep], None]
"""Called after each feed of an import: (its number from 1, how many, what became of it)."""


def plan_import(
    listed: FeedList, followed_urls: Iterable[str], *, allow_private_networks: bool
) -> tuple[ImportStep, ...]:
    """For each listed feed, in order: refused (its address cannot be a feed the bot may
    read), already followed by the channel (the same address, by `feed_key`), or to follow
    (its address as `validate_feed_url` trims it)."""
    followed = {feed_key(url) for url in followed_urls}
    steps = []
    for feed in listed.feeds:
        try:
            url = checked_feed_url(feed.url, allow_private_networks=allow_private_networks)
        except SubscriptionError as refusal:
            steps.append(ImportStep(feed, ImportOutcome.FAILED, str(refusal)))
            continue
        listed_feed = ListedFeed(url, feed.title, feed.html_url, feed.folder)
        if feed_key(url) in followed:
            steps.append(ImportStep(listed_feed, ImportOutcome.ALREADY_FOLLOWED))
        else:
            followed.add(feed_key(url))
            steps.append(ImportStep(listed_feed, ImportOutcome.FOLLOWED))
    return tuple(steps)


def checked_feed_url(url: str, *, allow_private_networks: bool) -> str:
    """`url` as `validate_feed_url` gives it, also refused (`SubscriptionError`) if its host
    is a non-public IP address the bot would never connect to."""
    url = validate_feed_url(url)
    if not allow_private_networks:
        refusal = literal_address_refusal(httpx.URL(url).host)
        if refusal is not None:
            raise SubscriptionError(str(refusal))
    return url


def exported_feeds(views: Sequence[SubscriptionView]) -> tuple[ListedFeed, ...]:
    """Each followed feed once (by `feed_key`), oldest subscription first, named as the
    server names it (its name there, else the feed's title)."""
    feeds: dict[str, ListedFeed] = {}
    for view in views:
        feeds.setdefault(feed_key(view.feed.url), ListedFeed(view.feed.url, view.name))
    return tuple(feeds.values())


class FeedLists:
    """Imports OPML feed lists into a channel and exports what is followed as OPML."""

    def __init__(
        self,
        *,
        store: Store,
        allow_private_networks: bool,
        on_change: Callable[[], None] = lambda: None,
        clock: Clock = system_clock,
    ) -> None:
        self._store = store
        self._allow_private = allow_private_networks
        self._on_change = on_change
        self._now = clock

    async def read(self, data: bytes) -> FeedList:
        """The feeds an OPML file lists (parsed off the event loop); `OpmlError` if it cannot
        be read or lists none."""
        listed = await asyncio.to_thread(parse_opml, data)
        if not listed.feeds:
            raise OpmlError("it lists no feeds: none of its outlines has an xmlUrl")
        return listed

    async def import_feeds(
        self,
        listed: FeedList,
        *,
        channel_id: int,
        guild_id: int | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Make `channel_id` follow every listed feed it does not follow yet.

        With no `guild_id` (the command line knows none), the guild is the one the channel's
        other subscriptions have; failing that it stays unknown, as for config feeds, until
        the bot connects and fills it in.
        """
        current = await self._store.channel_subscriptions(channel_id)
        if guild_id is None:
            known = (v.subscription.guild_id for v in current if v.subscription.guild_id)
            guild_id = next(known, None)
        planned = plan_import(
            listed, (v.feed.url for v in current), allow_private_networks=self._allow_private
        )
        steps = []
        for number, step in enumerate(planned, start=1):
            if step.outcome is ImportOutcome.FOLLOWED:
                step = await self._follow(step, channel_id, guild_id)
            steps.append(step)
            if progress is not None:
                progress(number, len(planned), step)
        report = ImportReport(channel_id, guild_id, tuple(steps), listed.duplicates)
        if report.count(ImportOutcome.FOLLOWED):
            self._on_change()
        return report

    async def _follow(self, step: ImportStep, channel_id: int, guild_id: int | None) -> ImportStep:
        # A list names an untitled feed by its address: that is no name to keep.
        title = step.feed.title if step.feed.title not in (None, step.feed.url) else None
        name = title[:NAME_CHARS].strip() if title else None
        _, created = await self._store.subscribe(
            step.feed.url,
            channel_id,
            source=SubscriptionSource.COMMAND,
            guild_id=guild_id,
            name=name or None,
        )
        return step if created else ImportStep(step.feed, ImportOutcome.ALREADY_FOLLOWED)

    async def export(
        self, *, title: str, guild_id: int | None = None, channel_id: int | None = None
    ) -> ExportedList:
        """The feeds followed in the guild (every server's when None), or only in
        `channel_id`, as an OPML 2.0 document dated now."""
        if guild_id is None:
            views = await self._store.channel_subscriptions(channel_id)
        else:
            views = [
                view
                for view in await self._store.guild_subscriptions(guild_id)
                if channel_id is None or view.subscription.channel_id == channel_id
            ]
        feeds = exported_feeds(views)
        return ExportedList(feeds, render_opml(feeds, title=title, created=self._now()))
