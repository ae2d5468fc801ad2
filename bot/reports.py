"""What a poll cycle did, feed by feed: for logs, the preview and the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.models import Post


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
    paused: bool = False


@dataclass(frozen=True)
class CycleReport:
    feeds: tuple[FeedReport, ...] = field(default_factory=tuple)

    @property
    def posts(self) -> list[ChannelPost]:
        return [post for feed in self.feeds for post in feed.posts]

    def count(self, status: FeedStatus) -> int:
        return sum(1 for feed in self.feeds if feed.status is status)
