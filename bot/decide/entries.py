"""Which entries are new, and which channel gets which of them (backfill, max age, filter).

Nothing here does I/O; it looks only at data, so every rule is testable on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.decide.filters import filter_verdict
from bot.models import (
    Entry,
    FeedFilter,
    PlannedPost,
    Skip,
    SkipReason,
    Subscription,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    """An item (stored or new) that could be posted, reduced to what the decision needs.
    Until its text is known (None), it passes keyword filters, as it counts as relevant
    until scored: the caller completes what the plan would post, then plans again."""

    key: str
    time: datetime
    relevant: bool = True
    title: str = ""
    text: str | None = None
    score: float | None = None  # its relevance, once scored


@dataclass(frozen=True)
class PostPlan:
    posts: tuple[PlannedPost, ...]
    initialized_subscription_ids: tuple[int, ...]
    skips: tuple[Skip, ...] = ()  # every candidate not posted in a channel, and why


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
    thresholds: Mapping[int, float] | None = None,
) -> PostPlan:
    """Decide which items each channel following the feed gets, and why not the others.

    A channel that starts following gets only the newest `backfill` items, so adding a
    feed with 200 old entries does not flood it; after that it gets every new item.
    Items older than `max_age` are never posted, a channel whose filter is "relevant" gets
    only items about open-source AI (scoring at least its server's threshold, from
    `thresholds` by subscription id, else the lexicon's), one with keyword rules only items
    passing them, and a channel paused by its admins none (its backfill waits until it is
    resumed).
    """
    cutoff = now - max_age
    posts: list[PlannedPost] = []
    skips: list[Skip] = []
    initialized: list[int] = []
    for subscription in subscriptions:
        channel = subscription.channel_id
        if subscription.paused_at is not None:
            skips += [Skip(c.key, channel, SkipReason.PAUSED) for c in new]
            continue
        if subscription.initialized:
            considered = list(new)
        else:
            considered = _unique([*new, *stored])
            initialized.append(subscription.id)
        wanted = []
        for candidate in considered:
            skip = _unwanted(candidate, subscription, (thresholds or {}).get(subscription.id))
            if skip is None:
                wanted.append(candidate)
            else:
                skips.append(skip)
        if not subscription.initialized:
            chosen = newest(wanted, backfill, time=lambda c: c.time)
            kept = {c.key for c in chosen}
            skips += [
                Skip(c.key, channel, SkipReason.BEYOND_BACKFILL, str(backfill))
                for c in wanted
                if c.key not in kept
            ]
            wanted = chosen
        for candidate in sorted(wanted, key=lambda c: c.time):
            if candidate.time >= cutoff:
                posts.append(PlannedPost(feed_id, candidate.key, channel))
            else:
                skips.append(Skip(candidate.key, channel, SkipReason.TOO_OLD, str(max_age.days)))
    return PostPlan(tuple(posts), tuple(initialized), tuple(skips))


def _unwanted(
    candidate: Candidate, subscription: Subscription, threshold: float | None
) -> Skip | None:
    """Why the channel's filters keep `candidate` out, if they do."""
    channel = subscription.channel_id
    relevant = candidate.relevant
    if threshold is not None and candidate.score is not None:
        relevant = candidate.score >= threshold
    if subscription.filter is FeedFilter.RELEVANT and not relevant:
        detail = f"{threshold:g}" if threshold is not None else ""
        return Skip(candidate.key, channel, SkipReason.NOT_RELEVANT, detail)
    if candidate.text is not None:
        verdict = filter_verdict(subscription.rules, candidate.title, candidate.text)
        if verdict is not None:
            return Skip(candidate.key, channel, SkipReason.FILTERED, verdict)
    return None


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    return list({c.key: c for c in reversed(list(candidates))}.values())


def newest(items: Sequence[T], count: int, *, time: Callable[[T], datetime]) -> list[T]:
    """The `count` newest of `items` by `time`, newest first (of equal times, the first
    given first): what a channel's backfill takes."""
    return sorted(items, key=time, reverse=True)[:count]
