"""What a poll changes in the store: the feed's new state, its new items and posts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.decide.deliveries import Delivery
from bot.models import NewItem, Relevance, Skip, Summary, tags_of


@dataclass(frozen=True)
class FeedState:
    """How a poll left the feed: success (validators, title) or failure (reason, pause)."""

    next_poll_at: datetime
    error: str | None = None
    failures: int = 0
    pause_reason: str | None = None
    not_modified: bool = False
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    body_digest: str | None = None
    entry_identities: bytes | None = None


@dataclass(frozen=True)
class StoredItemUpdate:
    """A stored item about to be posted after all, with what it lacked: a summary, a score."""

    item_id: int
    summary: Summary | None
    relevance: Relevance | None

    @property
    def tags(self) -> tuple[str, ...]:
        return tags_of(self.summary, self.relevance)


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed changes in the store, written in one transaction."""

    feed_id: int
    polled_at: datetime
    state: FeedState
    new_items: Sequence[NewItem] = ()
    deliveries: Sequence[Delivery] = ()
    initialized_subscription_ids: Sequence[int] = ()
    notices: Sequence[tuple[int, str]] = ()  # (channel id, text) for the admins
    stored_items: Sequence[StoredItemUpdate] = ()
    skips: Sequence[Skip] = ()  # why items were not posted where they were not

    @property
    def only_success(self) -> bool:
        """A poll that succeeded, brought nothing to store and moved nothing: only the
        feed's row changes (most polls: a 304, or a body with nothing new)."""
        state = self.state
        return (
            state.error is None
            and state.moved_to is None
            and not self.new_items
            and not self.deliveries
            and not self.initialized_subscription_ids
            and not self.notices
            and not self.stored_items
            and not self.skips
        )
