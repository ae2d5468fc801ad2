"""Which entries are new, and which channel gets which of them (backfill, max age, filter).

Nothing here does I/O; it looks only at data, so every rule is testable on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import Entry, FeedFilter, PlannedPost, Subscription


@dataclass(frozen=True)
class Candidate:
    """An item (stored or new) that could be posted, reduced to what the decision needs."""

    key: str
    time: datetime
    relevant: bool = True


@dataclass(frozen=True)
class PostPlan:
    posts: tuple[PlannedPost, ...]
    initialized_subscription_ids: tuple[int, ...]


def select_new_entries(entries: Iterable[Entry], known: set[str]) -> list[Entry]:
    """Entries not stored yet, each once (feeds do repeat an entry).

    `known` holds the feed's stored entry keys and link identities: an entry whose
    publisher changed its guid but whose link is known is not new.
    """
    seen = set(known)
    fresh = []
    for entry in entries:
        if entry.key in seen or (entry.url_key and entry.url_key in seen):
            continue
        seen.add(entry.key)
        if entry.url_key:
            seen.add(entry.url_key)
        fresh.append(entry)
    return fresh


def plan_posts(
    *,
    feed_id: int,
    subscriptions: Sequence[Subscription],
    new: Sequence[Candidate],
    stored: Sequence[Candidate],
    now: datetime,
    backfill: int,
    max_age: timedelta,
) -> PostPlan:
    """Decide which items each channel following the feed gets.

    A channel that starts following gets only the newest `backfill` items, so adding a
    feed with 200 old entries does not flood it; after that it gets every new item.
    Items older than `max_age` are never posted, and a channel whose filter is
    "relevant" gets only items about open-source AI.
    """
    cutoff = now - max_age
    posts: list[PlannedPost] = []
    initialized: list[int] = []
    for subscription in subscriptions:
        wanted = _filtered(subscription.filter)
        if subscription.initialized:
            chosen = [c for c in new if wanted(c)]
        else:
            chosen = _newest([c for c in _unique([*new, *stored]) if wanted(c)], backfill)
            initialized.append(subscription.id)
        for candidate in sorted(chosen, key=lambda c: c.time):
            if candidate.time >= cutoff:
                posts.append(PlannedPost(feed_id, candidate.key, subscription.channel_id))
    return PostPlan(tuple(posts), tuple(initialized))


def _filtered(feed_filter: FeedFilter) -> Callable[[Candidate], bool]:
    if feed_filter is FeedFilter.RELEVANT:
        return lambda candidate: candidate.relevant
    return lambda candidate: True


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    return list({c.key: c for c in reversed(list(candidates))}.values())


def _newest(candidates: Sequence[Candidate], count: int) -> list[Candidate]:
    return sorted(candidates, key=lambda c: c.time, reverse=True)[:count]
