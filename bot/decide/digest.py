"""Which stories make a digest, and in what order: a pure decision over what the store holds.

A story ranks higher the more sources told it (the strongest sign that it matters), the
more it is about open-source AI, and the newer it is. Stories are grouped by their first
tag, in the tag list's order; each group and the whole digest are capped, so it reads in
a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import TAGS

OTHER = "other"
PER_GROUP = 5
MOST = 20
QUIET_BELOW = 3  # fewer stories than this: "a quiet day"


@dataclass(frozen=True)
class DigestCandidate:
    story_id: int
    title: str
    link: str | None
    tldr: str
    sources: int  # feeds that told the story
    relevance: float | None
    tags: tuple[str, ...]
    first_seen: datetime


@dataclass(frozen=True)
class DigestGroup:
    tag: str
    stories: tuple[DigestCandidate, ...]


@dataclass(frozen=True)
class Digest:
    period: timedelta
    groups: tuple[DigestGroup, ...]

    @property
    def quiet(self) -> bool:
        return sum(len(group.stories) for group in self.groups) < QUIET_BELOW


def rank(story: DigestCandidate, *, now: datetime, period: timedelta) -> float:
    """Higher is better: sources first, then relevance, then how recent."""
    age = min(max((now - story.first_seen) / period, 0.0), 1.0)
    relevance = story.relevance if story.relevance is not None else 0.5
    return story.sources + 1.5 * relevance + 0.5 * (1.0 - age)


def plan_digest(
    candidates: Sequence[DigestCandidate],
    *,
    now: datetime,
    period: timedelta,
    per_group: int = PER_GROUP,
    most: int = MOST,
) -> Digest:
    """The digest of `candidates` (the stories first seen within `period` before `now`)."""
    ordered = sorted(
        (c for c in candidates if now - c.first_seen <= period),
        key=lambda c: (-rank(c, now=now, period=period), c.story_id),
    )[:most]
    by_tag: dict[str, list[DigestCandidate]] = {}
    for story in ordered:
        tag = story.tags[0] if story.tags and story.tags[0] in TAGS else OTHER
        if len(by_tag.setdefault(tag, [])) < per_group:
            by_tag[tag].append(story)
    order = [*TAGS, OTHER]
    groups = tuple(DigestGroup(tag, tuple(by_tag[tag])) for tag in sorted(by_tag, key=order.index))
    return Digest(period, groups)
