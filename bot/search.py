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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from bot.clock import Clock, system_clock
from bot.content.text import searchable_body, shorten
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
    parts = [part for part in map(_term_regex, query.terms) if part]
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


def _term_regex(term: str) -> str | None:
    """A term (word, "phrase" or prefix*) as a regular expression matching what FTS5 does."""
    prefix = term.endswith("*")
    words = _WORD.findall(term)
    if not words:
        return None
    body = r"\W+".join(re.escape(word) for word in words)
    return rf"(?<!\w){body}" + (r"\w*" if prefix else r"(?!\w)")


# BM25's term-frequency saturation and length normalization, per field (title, summary,
# body) with the title weighing most. No IDF: every candidate has every term (all must
# match), and FTS5 would count every row having a term to know it.
_K1, _B = 1.2, 0.75
_FIELD_WEIGHTS = (10.0, 4.0, 1.0)


def relevance_scores(query: SearchQuery, documents: Sequence[tuple[str, str, str]]) -> list[float]:
    """How well each (title, summary, body) matches `query`, higher is better: BM25F-like
    over these documents (field lengths relative to their averages here)."""
    patterns = [re.compile(part, re.IGNORECASE) for part in map(_term_regex, query.terms) if part]
    lengths = [[len(field.split()) for field in document] for document in documents]
    averages = [
        max(1.0, sum(sizes[f] for sizes in lengths) / max(1, len(lengths)))
        for f in range(len(_FIELD_WEIGHTS))
    ]
    scores = []
    for document, sizes in zip(documents, lengths, strict=True):
        score = 0.0
        fields = zip(document, sizes, averages, _FIELD_WEIGHTS, strict=True)
        for field, size, average, weight in fields:
            norm = _K1 * (1 - _B + _B * size / average)
            for pattern in patterns:
                found = sum(1 for _ in pattern.finditer(field))
                score += weight * found * (_K1 + 1) / (found + norm) if found else 0.0
        scores.append(score)
    return scores


def best_per_story(hits: Sequence[SearchHit], scores: Sequence[float]) -> list[SearchHit]:
    """The best hit of each story (the same news from several feeds is one result), best
    first; among equals, the newest."""
    best: dict[int, tuple[float, SearchHit]] = {}
    for hit, score in zip(hits, scores, strict=True):
        story = hit.item.story_id if hit.item.story_id is not None else -hit.item.id
        if story not in best or score > best[story][0]:
            best[story] = (score, hit)
    ranked = sorted(
        best.values(),
        key=lambda pair: (-pair[0], -pair[1].item.sort_time.timestamp(), pair[1].item.id),
    )
    return [hit for _, hit in ranked]


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
        candidates = await self._store.search_candidates(
            guild_id, query.match, since=since.cutoff(self._now()), tag=tag
        )
        scores = relevance_scores(query, [_fields(hit.item) for hit in candidates])
        ranked = best_per_story(candidates, scores)
        first = number * PAGE_SIZE
        shown = tuple(
            replace(hit, snippet=snippet(query, searchable_text(hit.item)))
            for hit in ranked[first : first + PAGE_SIZE]
        )
        return SearchPage(query, number, shown, len(ranked) > first + PAGE_SIZE)


def _fields(item: Item) -> tuple[str, str, str]:
    return item.title, item.summary or "", searchable_body(item.text, item.html)


def searchable_text(item: Item) -> str:
    """What a result's snippet is cut from: the item's text (or its HTML, quickly cleaned),
    else its summary, else its title."""
    title, summary, body = _fields(item)
    return " ".join((body or summary or title).split())
