"""The data that passes between layers: small frozen dataclasses, never raw rows or dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class Link:
    """A link in an item's HTML: its words, where it points, and the paragraph or list item
    it sits in (plain text), which says what the link is about."""

    text: str
    url: str
    context: str


@dataclass(frozen=True)
class Entry:
    """One entry as read from a feed, before it is stored."""

    key: str
    title: str
    link: str | None
    guid: str | None
    text: str
    published_at: datetime | None
    author: str | None = None
    url_key: str | None = None  # identity of the link: the same page however it is linked
    comments_url: str | None = None  # where the item is discussed (HN, Reddit), if said
    title_key: str = ""  # the headline's words, for matching the same story across sources
    partial_reason: str | None = None  # set when only a teaser or paywall stub could be read
    image_url: str | None = None  # the feed's picture for it (media thumbnail, enclosure)
    # The feed's HTML for the entry (content blocks, summary), `text` empty until it is
    # cleaned from it: an entry that is only stored is never cleaned unless it is used.
    html: tuple[str, ...] = ()
    # Read from that HTML when it is cleaned: the links it makes (a roundup's items) and the
    # paragraphs it quotes (a comment quoting its parent), which are not the author's words.
    links: tuple[Link, ...] = ()
    quoted: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[Entry, ...]
    # How often the publisher says the feed changes (RSS <ttl>, sy:updatePeriod).
    interval_hint: timedelta | None = None


@dataclass(frozen=True)
class Feed:
    """A feed URL the bot polls; fetched once however many channels follow it."""

    id: int
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    next_poll_at: datetime | None
    failures: int = 0
    paused_at: datetime | None = None
    pause_reason: str | None = None
    body_digest: str | None = None  # of the last body parsed
    # Of the entries in the last body parsed (see `bot.feeds.parse.FeedDocument`).
    entry_identities: bytes | None = field(default=None, repr=False)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


class FeedFilter(StrEnum):
    ALL = "all"  # post every item
    RELEVANT = "relevant"  # post only items about open-source AI (for general tech feeds)


class SubscriptionSource(StrEnum):
    CONFIG = "config"
    COMMAND = "command"


@dataclass(frozen=True)
class KeywordFilter:
    """A channel's keyword filter on a feed (see bot.decide.filters)."""

    include: tuple[str, ...] = ()  # the item needs one of these (when any)
    exclude: tuple[str, ...] = ()  # and none of these
    pattern: str | None = None  # and a match of this regular expression (case-insensitive)

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude or self.pattern)

    def describe(self) -> str:
        """The filter as an admin reads it in /feeds list."""
        parts = []
        if self.include:
            parts.append("only with " + " or ".join(f'"{w}"' for w in self.include))
        if self.exclude:
            parts.append("never with " + " or ".join(f'"{w}"' for w in self.exclude))
        if self.pattern:
            parts.append(f"matching /{self.pattern}/")
        return "; ".join(parts)


NO_RULES = KeywordFilter()


@dataclass(frozen=True)
class Subscription:
    """A channel following a feed. `initialized` is false until its first backfill is planned."""

    id: int
    feed_id: int
    channel_id: int
    guild_id: int | None
    name: str | None
    source: SubscriptionSource
    initialized: bool
    filter: FeedFilter = FeedFilter.ALL
    rules: KeywordFilter = NO_RULES  # include / exclude words, a regex
    paused_at: datetime | None = None  # by an admin (or Discord's refusal), not the feed
    pause_reason: str | None = None
    role_id: int | None = None  # mentioned on its new posts, if an admin opted in


@dataclass(frozen=True)
class SubscriptionEdit:
    """What an admin changes on a subscription; None leaves a setting as it is."""

    channel_id: int | None = None
    name: str | None = None
    feed_filter: FeedFilter | None = None
    rules: KeywordFilter | None = None
    role_id: int | None = None
    clear_role: bool = False  # mention no role any more


@dataclass(frozen=True)
class Item:
    """A stored feed entry."""

    id: int
    feed_id: int
    key: str
    title: str
    link: str | None
    text: str
    summary: str
    published_at: datetime | None
    seen_at: datetime
    story_id: int | None = None
    partial_reason: str | None = None
    relevance: float | None = None
    relevant: bool = True
    tags: tuple[str, ...] = ()
    comments_url: str | None = None
    html: tuple[str, ...] = ()  # the feed's HTML (its text may not be cleaned from it yet)
    image_url: str | None = None  # the feed's picture for it

    @property
    def sort_time(self) -> datetime:
        """When it was published, but not later than it was first seen (a feed dating
        entries in the future must not keep them on top)."""
        return min(self.published_at, self.seen_at) if self.published_at else self.seen_at


TAGS = ("model-release", "tooling", "research", "licensing", "policy", "funding", "community")
# An item scoring at least this is about open-source AI (the default; `[relevance]` sets it).
RELEVANCE_THRESHOLD = 0.4


@dataclass(frozen=True)
class Relevance:
    """How much an item is about open-source AI.

    `tags` are a subset of `TAGS`, strongest first, at most three (computed whether or not
    the item is relevant); `matched` are the lexicon phrases that counted fully, strongest
    first, to explain the score. `relevant` compares with the lexicon's threshold.
    """

    score: float  # 0..1
    tags: tuple[str, ...]
    matched: tuple[str, ...]
    threshold: float = RELEVANCE_THRESHOLD

    @property
    def relevant(self) -> bool:
        return self.score >= self.threshold


@dataclass(frozen=True)
class Summary:
    """What a post says about an item: a one-line TL;DR and up to three key points.

    Every string is plain text (no HTML, no markdown); renderers escape it.
    """

    tldr: str
    key_points: tuple[str, ...] = ()
    why_it_matters: str | None = None
    tags: tuple[str, ...] = ()  # a subset of TAGS
    # "llm" when a model wrote it (else the offline summarizer did); not part of its value.
    made_by: str = field(default="", compare=False)

    @property
    def text(self) -> str:
        """The summary as one block of text: the TL;DR, then one line per key point."""
        lines = [self.tldr] if self.tldr else []
        lines += [f"• {point}" for point in self.key_points]
        if self.why_it_matters:
            lines.append(f"Why it matters: {self.why_it_matters}")
        return "\n".join(lines)


class OutboxKind(StrEnum):
    POST = "post"  # the story's post in a channel, with its thread
    NOTE = "note"  # "Also covered by …" in the thread of the story's post
    RECAP = "recap"  # a recap of the item's discussion (HN, Reddit) in that thread


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    POSTED = "posted"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to say (e.g. a discussion too small to recap)


@dataclass(frozen=True)
class OutboxRow:
    """One item to be sent to one channel as a post, note or recap, with everything needed
    to render it and to decide what to do with it."""

    id: int
    item: Item
    channel_id: int
    source_name: str
    status: OutboxStatus
    attempts: int
    kind: OutboxKind = OutboxKind.POST
    first_attempt_at: datetime | None = None
    body: str | None = None  # a recap's text, written by the core before it is sent
    # The story's post in this channel (for notes and recaps: they go in its thread).
    story_post_status: OutboxStatus | None = None
    story_thread_id: int | None = None
    guild_id: int | None = None  # of the channel, when known
    role_id: int | None = None  # the feed's role to mention in this channel (opted in)
    # The feed it came from, as the poll knew it: what an offline summary made as the post
    # is sent reads of its source (a release feed's).
    feed_url: str | None = None
    feed_title: str | None = None


@dataclass(frozen=True)
class Notice:
    """A message for a server's admins (a feed paused, and why)."""

    id: int
    channel_id: int
    text: str
    attempts: int = 0
    first_attempt_at: datetime | None = None


@dataclass(frozen=True)
class NewItem:
    """An entry seen for the first time, with its story, ready to be stored.

    `story_id` is the story it tells again (from another source), or None for a new story.
    Only an entry about to be posted has a summary and a relevance score; one only stored
    keeps its text, and is summarized and scored if it is ever posted.
    """

    entry: Entry
    summary: Summary | None = None
    story_id: int | None = None
    relevance: Relevance | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        return tags_of(self.summary, self.relevance)


def tags_of(summary: Summary | None, relevance: Relevance | None) -> tuple[str, ...]:
    """The summarizer's tags when it gave some (an LLM does), else the lexicon's."""
    if summary is not None and summary.tags:
        return summary.tags
    return relevance.tags if relevance else ()


@dataclass(frozen=True)
class PlannedPost:
    """A decision: post the entry with `item_key` of `feed_id` in `channel_id`."""

    feed_id: int
    item_key: str
    channel_id: int


class SkipReason(StrEnum):
    """Why an item was not posted in a channel (what /feeds explain tells)."""

    PAUSED = "paused"
    FILTERED = "filtered"
    NOT_RELEVANT = "not_relevant"
    TOO_OLD = "too_old"
    BEYOND_BACKFILL = "beyond_backfill"


@dataclass(frozen=True)
class Skip:
    """A decision: the entry with `item_key` is not posted in `channel_id`, for `reason`."""

    item_key: str
    channel_id: int
    reason: SkipReason
    detail: str = ""  # e.g. which word a filter found


@dataclass(frozen=True)
class Post:
    """What a post looks like, independent of Discord."""

    title: str
    url: str | None
    summary: str
    source_name: str
    published_at: datetime | None
    thread_name: str
    partial_note: str | None = None
    tags: tuple[str, ...] = ()  # said when the summary rests on a teaser or paywall stub
    item_id: int | None = None  # the stored item, for the post's Summary button
    discussion_url: str | None = None  # its HN or Reddit thread (or comments page)
    image_url: str | None = None  # the feed's picture, shown if the server turns images on
