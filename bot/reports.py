"""What a poll cycle did, feed by feed: for logs, the preview and the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FeedStatus(StrEnum):
    UPDATED = "updated"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"


@dataclass(frozen=True)
class FeedReport:
    feed_url: str
    status: FeedStatus
    new_items: int = 0
    deliveries: int = 0  # posts, notes and recaps queued
    error: str | None = None
    paused: bool = False


@dataclass(frozen=True)
class CycleReport:
    feeds: tuple[FeedReport, ...] = field(default_factory=tuple)

    @property
    def deliveries(self) -> int:
        return sum(feed.deliveries for feed in self.feeds)

    @property
    def new_items(self) -> int:
        return sum(feed.new_items for feed in self.feeds)

    def count(self, status: FeedStatus) -> int:
        return sum(1 for feed in self.feeds if feed.status is status)
