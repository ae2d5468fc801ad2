"""Search what a server's feeds brought: the member's words made into a safe FTS5 query,
one page of results at a time.

A member types words, "a phrase" or a prefix* — never FTS5 syntax: every word and phrase is
quoted, so `AND`, `NEAR(`, a stray `"` or `col:` are just text, and no query can fail with
an FTS syntax error. All the words must be found (in any column), best matches first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.clock import Clock, system_clock
from bot.store import Store
from bot.store.search import SearchHit

PAGE_SIZE = 5
MAX_TERMS = 12  # longer queries are cut here: more words only narrow the results
MAX_QUERY_CHARS = 200


class Since(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"

    def cutoff(self, now: datetime) -> datetime | None:
        days = {Since.DAY: 1, Since.WEEK: 7, Since.MONTH: 30}.get(self)
        return now - timedelta(days=days) if days else None


class QueryError(ValueError):
    """The member's query has nothing to search for; `str()` is a hint for them."""


@dataclass(frozen=True)
class SearchQuery:
    text: str  # as the member typed it
    match: str  # the FTS5 expression
    terms: tuple[str, ...]  # the words and phrases, for "no results for …"


_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[\w.+#-]+")  # what unicode61 keeps of a word, more or less


def parse_query(text: str) -> SearchQuery:
    """The FTS5 expression for what a member typed: quoted phrases stay phrases, a word
    ending in * matches as a prefix, everything else is a word; all must match."""
    text = text.strip()[:MAX_QUERY_CHARS]
    parts: list[str] = []
    terms: list[str] = []
    for phrase, word in _TOKEN.findall(text):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                parts.append(_quoted(" ".join(words)))
                terms.append(f'"{" ".join(words)}"')
            continue
        prefix = word.endswith("*")
        for piece in _WORD.findall(word):
            parts.append(_quoted(piece) + ("*" if prefix else ""))
            terms.append(piece + ("*" if prefix else ""))
    if not parts:
        raise QueryError(
            "Type some words to search for, e.g. `qwen licence`, a phrase in quotes like "
            '`"open weights"`, or the start of a word with a star: `quant*`.'
        )
    return SearchQuery(text, " AND ".join(parts[:MAX_TERMS]), tuple(terms[:MAX_TERMS]))


def _quoted(words: str) -> str:
    # FTS5 strings: double quotes doubled. _WORD never lets one through, but be exact.
    return '"' + words.replace('"', '""') + '"'


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    number: int  # from 0
    hits: tuple[SearchHit, ...]
    has_next: bool


class SearchService:
    def __init__(self, store: Store, *, clock: Clock = system_clock) -> None:
        self._store = store
        self._now = clock

    async def page(
        self,
        guild_id: int | None,
        query: SearchQuery,
        *,
        number: int = 0,
        since: Since = Since.ALL,
        tag: str | None = None,
    ) -> SearchPage:
        """Page `number` (from 0) of the guild's results (every server's, if `guild_id` is
        None) for `query`, `PAGE_SIZE` hits."""
        number = max(number, 0)
        hits = await self._store.search_items(
            guild_id,
            query.match,
            since=since.cutoff(self._now()),
            tag=tag,
            offset=number * PAGE_SIZE,
            limit=PAGE_SIZE + 1,  # one more: is there a next page?
        )
        return SearchPage(query, number, tuple(hits[:PAGE_SIZE]), len(hits) > PAGE_SIZE)
