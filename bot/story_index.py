"""The headlines of the stories seen within the story window, in memory, by word.

Matching a new entry against every recent story would cost what is stored; through this
index it costs what its rarest words find: headlines are indexed by length and word, and
only those of a length it can be alike to having three of its rarest words are compared.
Stories with the very same headline words (one piece of news, told again outside the
window, or by a feed that tells it twice) share one entry of the index, so they are
compared once, not once each. What matching needs of each story (the feeds that told it,
when it was first seen) is kept too, so it reads nothing from the database for a story
within the window. Its link is not: a story with an entry's link is found by that link
(`PollFacts.stories_with_urls`), whatever its headline.
Loaded once from the database, then kept up to date by the pipeline as it writes stories
and items (one process writes them: the bot's).
"""

from __future__ import annotations

import functools
from bisect import insort
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import combinations

from bot.decide.stories import (
    MIN_TITLE_WORDS,
    STORY_WINDOW,
    StoryRef,
    alike_lengths,
    may_join,
    min_shared,
    words_to_look_up,
)

Headline = tuple[str, ...]  # a headline's words, sorted (each word held once, shared)
# How many of the words looked up a compared headline must have: more means more lists
# intersected (in C) and fewer headlines compared (in Python); three is the best trade on
# headlines of a few fixed words around names, as news headlines are.
_TOGETHER = 3


class RecentStories:
    """The index holds every story first seen in the window (a first poll of 10,000 feeds
    brings 186,000), so each is kept small: one tuple of its words (strings held once for
    the whole index), the feeds that told it and when it was first seen; a `StoryRef` is
    made only for a story found."""

    def __init__(self) -> None:
        # story → (its words, the feed that told it or the feeds, first seen); feeds in a
        # tuple, not a set: a story is told by a few, and a set of them is four times the size
        self._told: dict[int, tuple[Headline, int | tuple[int, ...], datetime]] = {}
        # words → the story with them, or the stories (most headlines have one: no list)
        self._stories: dict[Headline, int | list[int]] = {}
        self._having: dict[str, int] = {}  # word → how many headlines have it
        self._words: dict[str, str] = {}  # each word of the index, held once
        # each headline of the index, held once (a story told again shares its headline)
        self._headlines: dict[Headline, Headline] = {}
        # length → word → the headlines of that many words having it
        self._by_length: dict[int, dict[str, set[Headline]]] = {}
        # first seen, oldest first, and the stories first seen then
        self._order: deque[tuple[datetime, list[int]]] = deque()
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._told)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._told

    def add(self, stories: Iterable[StoryRef]) -> None:
        """Index stories (first seen not earlier than those already in)."""
        for story in stories:
            story_id, first_seen = story.id, story.first_seen_at
            if self._newest is None or first_seen > self._newest:
                self._newest = first_seen
            words = self._headline_of(story.title_key)
            if self._order and self._order[-1][0] == first_seen:
                first_seen = self._order[-1][0]  # one object for the stories of an instant
                self._order[-1][1].append(story_id)
            else:
                self._order.append((first_seen, [story_id]))
            feeds = story.feed_ids
            self._told[story_id] = (
                words,
                next(iter(feeds)) if len(feeds) == 1 else tuple(feeds),
                first_seen,
            )
            same = self._stories.get(words)
            if same is None:
                self._stories[words] = story_id
                self._headlines[words] = words
                by_word = self._by_length.setdefault(len(words), {})
                for word in words:
                    by_word.setdefault(word, set()).add(words)
                    self._having[word] = self._having.get(word, 0) + 1
            elif isinstance(same, int):
                self._stories[words] = sorted((same, story_id))
            else:
                insort(same, story_id)  # at the end, nearly always: ids grow

    def _headline_of(self, title_key: str) -> Headline:
        held = self._words
        words = tuple(sorted({held.setdefault(word, word) for word in title_key.split()}))
        return self._headlines.get(words, words)

    def _with(self, headline: Headline) -> list[int]:
        """The stories whose words are `headline`'s, in the order of their ids."""
        same = self._stories.get(headline)
        if same is None:
            return []
        return [same] if isinstance(same, int) else same

    def forget_before(self, cutoff: datetime) -> None:
        """Drop the stories first seen before `cutoff` (out of the story window)."""
        while self._order and self._order[0][0] < cutoff:
            _, story_ids = self._order.popleft()
            for story_id in story_ids:
                self._forget(story_id)

    def _forget(self, story_id: int) -> None:
        told = self._told.pop(story_id, None)
        if told is None:
            return
        words = told[0]
        same = self._stories[words]
        if isinstance(same, list):
            same.remove(story_id)
            if len(same) == 1:
                self._stories[words] = same[0]
            return
        del self._stories[words]
        del self._headlines[words]
        by_word = self._by_length[len(words)]
        for word in words:
            headlines = by_word[word]
            headlines.discard(words)
            if not headlines:
                del by_word[word]
            self._having[word] -= 1
            if not self._having[word]:
                del self._having[word]
                del self._words[word]

    def told_by(self, story_id: int, feed_id: int) -> None:
        """Record that `feed_id` told the story (an item of it joined the story)."""
        told = self._told.get(story_id)
        if told is None:
            return
        words, feeds, first_seen = told
        if isinstance(feeds, int):
            feeds = (feeds,)
        if feed_id not in feeds:
            self._told[story_id] = (words, (*feeds, feed_id), first_seen)

    def refs(self, story_ids: Iterable[int]) -> dict[int, StoryRef]:
        """The indexed stories among `story_ids` (those out of the window are not), without
        their link (`url_key` None: the index does not hold it)."""
        found = {}
        for story_id in story_ids:
            told = self._told.get(story_id)
            if told is None:
                continue
            words, feeds, first_seen = told
            found[story_id] = StoryRef(
                story_id,
                None,
                " ".join(words),
                frozenset((feeds,) if isinstance(feeds, int) else feeds),
                first_seen,
                words=frozenset(words),
            )
        return found

    def similar(self, title_key: str, when: datetime | None = None) -> set[int]:
        """Ids of the stories whose headline is alike enough to `title_key`; with `when`,
        only if some story could be within the story window of it (a story told `when` is
        never matched to one first seen further than the window from it)."""
        if when is not None and not self._could_be_near(when):
            return set()
        found: set[int] = set()
        for headline, _ in self._alike(frozenset(title_key.split())):
            found.update(self._with(headline))
        return found

    def best_match(self, title_key: str, when: datetime, feed_id: int) -> int | None:
        """The story `match_story` chooses by headline for an entry of `feed_id` told
        `when`: of the stories it may join (another feed's, first seen within the window of
        `when`) those most alike to `title_key`, the first (match_story keeps the first of
        equals, in the order of ids). None: no story is alike enough. Only that one is made
        a `StoryRef` and compared again: at 10,000 feeds a common headline has about 40
        stories tied for most alike."""
        words = frozenset(title_key.split())
        if len(words) < MIN_TITLE_WORDS or not self._could_be_near(when):
            return None
        # The very same words are as alike as can be: nothing else needs looking at.
        same = self._first_joinable(tuple(sorted(words)), when, feed_id)
        if same is not None:
            return same
        best, found = 0.0, None
        for headline, shared in self._alike(words):
            # As `match_story` computes it: |a ∩ b| / |a ∪ b|.
            similarity = shared / (len(words) + len(headline) - shared)
            if similarity < best:
                continue
            if similarity == best and found is not None and self._first(headline) > found:
                continue  # every story with these words comes after the one found
            first = self._first_joinable(headline, when, feed_id)
            if first is None:
                continue
            if similarity > best or found is None or first < found:
                best, found = similarity, first
        return found

    def _first(self, headline: Headline) -> int:
        same = self._stories[headline]
        return same if isinstance(same, int) else same[0]

    def _first_joinable(self, headline: Headline, when: datetime, feed_id: int) -> int | None:
        """The first of the stories with `headline`'s words that the entry may join."""
        return next((i for i in self._with(headline) if self._may_join(i, when, feed_id)), None)

    def _may_join(self, story_id: int, when: datetime, feed_id: int) -> bool:
        _, feeds, first_seen = self._told[story_id]
        return may_join(feed_id, when, (feeds,) if isinstance(feeds, int) else feeds, first_seen)

    def _alike(self, words: frozenset[str]) -> Iterator[tuple[Headline, int]]:
        """The headlines alike enough to `words`, each with how many words they share."""
        having = self._having
        rarest = sorted(words, key=lambda word: (having.get(word, 0), word))
        for length, shared, together, look_up in _lookups(len(words)):
            for headline in self._candidates(rarest[:look_up], length, together):
                common = len(words.intersection(headline))
                if common >= shared:
                    yield headline, common

    def _candidates(self, words: list[str], length: int, together: int) -> set[Headline]:
        """The headlines of `length` words having `together` of `words`."""
        by_word = self._by_length.get(length)
        if not by_word:
            return set()
        # Smallest first, so each group (combinations keep the order) starts from its
        # smallest list and the intersections stay small; a group with a word no headline
        # has finds nothing.
        postings = sorted((found for word in words if (found := by_word.get(word))), key=len)
        candidates: set[Headline] = set()
        for smallest, *others in combinations(postings, together):
            having = smallest
            for other in others:
                if not having:
                    break
                having = having & other
            candidates |= having
        return candidates

    def _could_be_near(self, when: datetime) -> bool:
        # A new feed's old entries (days or weeks old) are most of a first poll: none of
        # them can match a story first seen within the last two days.
        if self._newest is None or not self._order:
            return False
        oldest = self._order[0][0]
        return oldest - STORY_WINDOW <= when <= self._newest + STORY_WINDOW


@functools.cache
def _lookups(words: int) -> tuple[tuple[int, int, int, int], ...]:
    """For a headline of `words` words, each length an alike headline may have, with the
    words it must share, how many of the looked-up words it has together, and how many of
    the rarest words to look up (the same for every headline of that many words)."""
    plan = []
    for length in alike_lengths(words):
        shared = min_shared(words, length)
        together = min(_TOGETHER, shared)
        plan.append((length, shared, together, words_to_look_up(words, length, together)))
    return tuple(plan)
