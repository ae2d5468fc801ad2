"""The headlines of the stories seen within the story window, in memory, by word.

Matching a new entry against every recent story would cost what is stored; through this
index it costs what its rarest words find. Stories with the very same headline words (one
piece of news, told again outside the window, or by a feed that tells it twice) share one
entry of the index, so they are compared once, not once each. Loaded once from the
database, then kept up to date by the pipeline as it creates stories (one process writes
stories: the bot's).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime

from bot.decide.stories import STORY_WINDOW, lookup_words, similar_titles

Headline = frozenset[str]  # a headline's words
_NONE: frozenset[Headline] = frozenset()


class RecentStories:
    def __init__(self) -> None:
        self._headline: dict[int, Headline] = {}  # story → its words
        self._stories: dict[Headline, set[int]] = {}  # words → the stories with them
        self._by_word: dict[str, set[Headline]] = {}  # word → the headlines having it
        self._order: deque[tuple[datetime, int]] = deque()  # first seen, oldest first
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._headline)

    def add(self, stories: Iterable[tuple[int, str]], first_seen: datetime) -> None:
        """Index stories first seen at `first_seen` (not earlier than those already in)."""
        if self._newest is None or first_seen > self._newest:
            self._newest = first_seen
        for story_id, title_key in stories:
            words = frozenset(title_key.split())
            self._headline[story_id] = words
            self._order.append((first_seen, story_id))
            if words not in self._stories:
                self._stories[words] = set()
                for word in words:
                    self._by_word.setdefault(word, set()).add(words)
            self._stories[words].add(story_id)

    def forget_before(self, cutoff: datetime) -> None:
        """Drop the stories first seen before `cutoff` (out of the story window)."""
        while self._order and self._order[0][0] < cutoff:
            _, story_id = self._order.popleft()
            words = self._headline.pop(story_id, None)
            if words is None:
                continue
            same = self._stories[words]
            same.discard(story_id)
            if same:
                continue
            del self._stories[words]
            for word in words:
                headlines = self._by_word[word]
                headlines.discard(words)
                if not headlines:
                    del self._by_word[word]

    def similar(self, title_key: str, when: datetime | None = None) -> set[int]:
        """Ids of the stories whose headline is alike enough to `title_key`; with `when`,
        only if some story could be within the story window of it (a story told `when` is
        never matched to one first seen further than the window from it)."""
        if when is not None and not self._could_be_near(when):
            return set()
        words = frozenset(title_key.split())
        # A match has at least two of these words: count, then compare only those.
        counts = {word: len(self._by_word.get(word, ())) for word in words}
        postings = [self._by_word.get(w, _NONE) for w in lookup_words(title_key, counts, extra=1)]
        # Two of them, that is: the union of the pairwise intersections (each one walks the
        # shorter list, in C), never a walk over every headline having a common word.
        candidates: set[Headline] = set()
        for i, first in enumerate(postings):
            for second in postings[i + 1 :]:
                candidates |= first & second
        found: set[int] = set()
        for headline in candidates:
            if similar_titles(words, headline):
                found |= self._stories[headline]
        return found

    def _could_be_near(self, when: datetime) -> bool:
        # A new feed's old entries (days or weeks old) are most of a first poll: none of
        # them can match a story first seen within the last two days.
        if self._newest is None or not self._order:
            return False
        oldest = self._order[0][0]
        return oldest - STORY_WINDOW <= when <= self._newest + STORY_WINDOW
