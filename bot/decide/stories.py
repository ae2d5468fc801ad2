"""Which stored story, if any, a new item tells again (the same news from another source)."""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Set
from dataclasses import dataclass, field
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
    # The words of `title_key`, when the caller has them already (the headline index does).
    words: frozenset[str] | None = field(default=None, compare=False, repr=False)


def match_story(
    *,
    feed_id: int,
    url_key: str | None,
    title_key: str,
    when: datetime,
    stories: Iterable[StoryRef],
    linked: StoryRef | None = None,
) -> StoryRef | None:
    """The story this item belongs to: same canonical link (`linked`: a story one of whose
    items has it, whichever joined it first, else a candidate's own), or (from another feed)
    a nearly identical title seen within `STORY_WINDOW`. None when it is a new story."""
    if linked is not None:
        return linked
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
        if not may_join(feed_id, when, story.feed_ids, story.first_seen_at):
            continue
        similarity = _jaccard(words, story.words or set(story.title_key.split()))
        if similarity >= TITLE_SIMILARITY and (best is None or similarity > best[0]):
            best = (similarity, story)
    return best[1] if best else None


def may_join(feed_id: int, when: datetime, told_by: Container[int], first_seen: datetime) -> bool:
    """Whether an entry of `feed_id` told `when` may join, by its headline, a story that the
    feeds `told_by` told, first seen `first_seen`: another feed's, within the window."""
    return feed_id not in told_by and abs(when - first_seen) <= STORY_WINDOW


def alike_lengths(words: int) -> range:
    """The lengths (in words) of the headlines that a headline of `words` words can be alike
    enough to: Jaccard ≥ s needs the smaller to have at least s times the larger's words."""
    if words < MIN_TITLE_WORDS:
        return range(0)
    shortest = max(MIN_TITLE_WORDS, math.ceil(round(TITLE_SIMILARITY * words, 9)))
    return range(shortest, math.floor(round(words / TITLE_SIMILARITY, 9)) + 1)


def min_shared(words: int, other: int) -> int:
    """The fewest words two headlines of `words` and `other` words share when alike enough:
    c ≥ s·(n + m − c), that is c ≥ s·(n + m) / (1 + s)."""
    return math.ceil(round(TITLE_SIMILARITY * (words + other) / (1 + TITLE_SIMILARITY), 9))


def words_to_look_up(words: int, length: int, together: int = 1) -> int:
    """How many of a headline's `words` words to look up so that any alike headline of
    `length` words has at least `together` of them, whichever they are (prefix filtering,
    as in all-pairs similarity joins): looking up the rarest, a lookup reads few headlines
    however common "the" or "model" are.

    An alike headline shares at least c = `min_shared` of the n words, so it lacks at most
    n − c of them: among any n − c + `together` words it has `together` (at most c).
    """
    shared = min_shared(words, length)
    return words - shared + min(together, shared)


def _jaccard(a: set[str], b: Set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
