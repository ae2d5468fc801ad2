"""The headlines of the stories seen within the story window, in memory, by word.

Matching a new entry against every recent story would cost what is stored; through this
index it costs what its rarest words find. Loaded once from the database, then kept up to
date by the pipeline as it creates stories (one process writes stories: the bot's).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime

from bot.decide.stories import lookup_words, similar_titles

_NONE: frozenset[int] = frozenset()


class RecentStories:
    def __init__(self) -> None:
        self._words: dict[int, frozenset[str]] = {}
        self._by_word: dict[str, set[int]] = {}
        self._order: deque[tuple[datetime, int]] = deque()  # first seen, oldest first

    def __len__(self) -> int:
        return len(self._words)

    def add(self, stories: Iterable[tuple[int, str]], first_seen: datetime) -> None:
        for story_id, title_key in stories:
            words = frozenset(title_key.split())
            self._words[story_id] = words
            self._order.append((first_seen, story_id))
            for word in words:
                self._by_word.setdefault(word, set()).add(story_id)

    def forget_before(self, cutoff: datetime) -> None:
        """Drop the stories first seen before `cutoff` (out of the story window)."""
        while self._order and self._order[0][0] < cutoff:
            _, story_id = self._order.popleft()
            for word in self._words.pop(story_id, frozenset()):
                ids = self._by_word.get(word)
                if ids is not None:
                    ids.discard(story_id)
                    if not ids:
                        del self._by_word[word]

    def similar(self, title_key: str) -> set[int]:
        """Ids of the stories whose headline is alike enough to `title_key`."""
        words = frozenset(title_key.split())
        # A match has at least two of these words: count, then compare only those.
        counts = {word: len(self._by_word.get(word, ())) for word in words}
        postings = [self._by_word.get(w, _NONE) for w in lookup_words(title_key, counts, extra=1)]
        # Two of them, that is: the union of the pairwise intersections (each one walks the
        # shorter list, in C), never a walk over every story having a common word.
        candidates: set[int] = set()
        for i, first in enumerate(postings):
            for second in postings[i + 1 :]:
                candidates |= first & second
        return {story for story in candidates if similar_titles(words, self._words[story])}
