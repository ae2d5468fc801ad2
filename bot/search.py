"""Search what a server's feeds brought: the member's words made into a safe FTS5 query,
one page of results at a time.

A member types words, "a phrase" or a prefix* — never FTS5 syntax: every word and phrase is
quoted, so `AND`, `NEAR(`, a stray `"` or `col:` are just text, and no query can fail with
an FTS syntax error. All the words must be found (in any column), best matches first; a
word such as "with" or "the" is not looked for next to words that say more (it is in most
items: finding it would cost a walk over most of the archive and narrow nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from bot.clock import Clock, system_clock
from bot.content.text import shorten, strip_tags
from bot.models import Item
from bot.store import Store
from bot.store.search import HIT_END, HIT_START, SearchHit
from bot.summarize.stopwords import ENGLISH

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
    ending in * matches as a prefix, everything else is a word; all must match, except
    stop words beside other terms."""
    text = text.strip()[:MAX_QUERY_CHARS]
    found: list[tuple[str, str]] = []  # (FTS5 term, as shown)
    for phrase, word in _TOKEN.findall(text):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                found.append((_quoted(" ".join(words)), f'"{" ".join(words)}"'))
            continue
        prefix = "*" if word.endswith("*") else ""
        found += [(_quoted(piece) + prefix, piece + prefix) for piece in _WORD.findall(word)]
    if not found:
        raise QueryError(
            "Type some words to search for, e.g. `qwen licence`, a phrase in quotes like "
            '`"open weights"`, or the start of a word with a star: `quant*`.'
        )
    telling = [term for term in found if term[1].lower() not in ENGLISH] or found
    telling = telling[:MAX_TERMS]
    return SearchQuery(
        text, " AND ".join(fts for fts, _ in telling), tuple(shown for _, shown in telling)
    )


def _quoted(words: str) -> str:
    # FTS5 strings: double quotes doubled. _WORD never lets one through, but be exact.
    return '"' + words.replace('"', '""') + '"'


_SNIPPET_CHARS = 220


def snippet(query: SearchQuery, text: str) -> str:
    """The part of `text` around the first words of `query` found, those words between
    HIT_START and HIT_END (as FTS5 matched them: whole words, a prefix, a phrase; any case)."""
    terms = _terms_pattern(query)
    found = terms.search(text)
    if found is None:
        return shorten(text, _SNIPPET_CHARS)
    start = max(0, found.start() - _SNIPPET_CHARS // 3)
    if start:
        start = text.find(" ", start) + 1 or start  # at a word
    window = text[start : start + _SNIPPET_CHARS]
    cut = window.rfind(" ") if start + _SNIPPET_CHARS < len(text) else -1
    window = window[:cut] if cut > _SNIPPET_CHARS // 2 else window
    marked = terms.sub(lambda m: f"{HIT_START}{m.group(0)}{HIT_END}", window)
    return ("…" if start else "") + marked + ("…" if start + len(window) < len(text) else "")


def _terms_pattern(query: SearchQuery) -> re.Pattern[str]:
    parts = []
    for term in query.terms:
        prefix = term.endswith("*")
        words = _WORD.findall(term)
        if not words:
            continue
        body = r"\W+".join(re.escape(word) for word in words)
        parts.append(rf"(?<!\w){body}" + (r"\w*" if prefix else r"(?!\w)"))
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


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
        shown = tuple(
            replace(hit, snippet=snippet(query, searchable_text(hit.item)))
            for hit in hits[:PAGE_SIZE]
        )
        return SearchPage(query, number, shown, len(hits) > PAGE_SIZE)


def searchable_text(item: Item) -> str:
    """What a result's snippet is cut from: the item's text (or its HTML, quickly cleaned),
    else its summary, else its title."""
    body = item.text or (strip_tags(" ".join(item.html)) if item.html else "")
    return " ".join((body or item.summary or item.title).split())
