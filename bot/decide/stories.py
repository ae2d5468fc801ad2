"""Which stored story, if any, a new item tells again (the same news from another source)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta

# Titles must share this much of their words (Jaccard) to be the same story...
TITLE_SIMILARITY = 0.8
# ...and have at least this many words: "v1.2.0" from two projects is not one story.
MIN_TITLE_WORDS = 4
STORY_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class StoryRef:
    """A stored story, reduced to what matching needs."""

    id: int
    url_key: str | None
    title_key: str
    feed_ids: frozenset[int]
    first_seen_at: datetime


def match_story(
    *,
    feed_id: int,
    url_key: str | None,
    title_key: str,
    when: datetime,
    stories: Iterable[StoryRef],
) -> StoryRef | None:
    """The story this item belongs to: same canonical link, or (from another feed) a nearly
    identical title seen within `STORY_WINDOW`. None when it is a new story."""
    candidates = list(stories)
    if url_key:
        for story in candidates:
            if story.url_key == url_key:
                return story
    words = set(title_key.split())
    if len(words) < MIN_TITLE_WORDS:
        return None
    best: tuple[float, StoryRef] | None = None
    for story in candidates:
        if feed_id in story.feed_ids or abs(when - story.first_seen_at) > STORY_WINDOW:
            continue
        similarity = _jaccard(words, set(story.title_key.split()))
        if similarity >= TITLE_SIMILARITY and (best is None or similarity > best[0]):
            best = (similarity, story)
    return best[1] if best else None


def lookup_words(
    title_key: str, stories_with: Mapping[str, int], *, extra: int = 0
) -> frozenset[str]:
    """The few words of a headline of which any story it could match has at least
    `extra` + 1, so only those are looked up (prefix filtering, as in all-pairs similarity
    joins).

    A story at `TITLE_SIMILARITY` or more shares at least ⌈s·n⌉ of the n words, so it lacks
    at most n − ⌈s·n⌉ of them: among any n − ⌈s·n⌉ + 1 + `extra` words it has `extra` + 1.
    The rarest are chosen (`stories_with` counts the stories having each word; missing
    means none), so a lookup reads few stories however common "the" or "model" are. Empty
    when the headline is too short to be matched by title at all.
    """
    words = set(title_key.split())
    if len(words) < MIN_TITLE_WORDS:
        return frozenset()
    shared = math.ceil(round(TITLE_SIMILARITY * len(words), 9))
    rarest = sorted(words, key=lambda word: (stories_with.get(word, 0), word))
    return frozenset(rarest[: min(len(words) - shared + 1 + extra, len(words))])


def similar_titles(words: AbstractSet[str], other: AbstractSet[str]) -> bool:
    """Whether two headlines (as word sets) are alike enough to tell the same story."""
    shared = len(words & other)
    return shared >= TITLE_SIMILARITY * (len(words) + len(other) - shared)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
