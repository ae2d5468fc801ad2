"""How much an item is about open-source AI, and what kind of news it is.

    title + text | passages weighted by position | lexicon hits | AI context check
        | evidence per term and per tag → Relevance(score, tags, matched)

Pure and deterministic: the same title, text and lexicon always give the same Relevance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.content.lexicon import (
    ATOM,
    DEFAULT_LEXICON,
    MIN_STEM,
    RELEVANCE_THRESHOLD,
    Lexicon,
    Term,
    TermKind,
    default_lexicon_toml,
)
from bot.models import TAGS, Relevance

__all__ = [
    "RELEVANCE_THRESHOLD",
    "Lexicon",
    "Relevance",
    "Term",
    "TermKind",
    "default_lexicon_toml",
    "score_relevance",
]

# A headline states what the item is about; the body is weighed against it.
TITLE_WEIGHT = 2.0
# Body text counts half as much every this many words: the lead says what a page is about, and
# an unrelated story glued below it (or a footer) must not steer the score or the tags.
HALF_LIFE_WORDS = 120
# Text whose weight has fallen below this cannot change the outcome, so it is not read
# (about 680 words in); it also keeps scoring fast on long pages.
MIN_POSITION_WEIGHT = 0.02
# A paragraph longer than this is cut at sentence ends, so a page delivered as one line still
# has a lead and a tail, and "nearby" stays near.
PASSAGE_WORDS = 120
# A name or cue without AI context nearby counts this much, and gives no tag: a llama at the
# zoo is weak evidence, not none, in case the context was just phrased in words we lack.
UNCONFIRMED = 0.05
# One passage gives at most this much evidence (before its position weight): a page is about
# what most of its lead is about, not about one sentence crammed with names.
PASSAGE_CAP = 2.5
# Terms at least this heavy are evidence of open-source AI ("Ollama", or "open source" next to
# an AI term); lighter ones ("language model", "benchmark", "raised") are about AI or the news
# in general and add at most GENERAL_ALLOWANCE (a score of about 0.18) all together. So a
# proprietary model launch full of AI words stays below the threshold, however long it is.
SPECIFIC_WEIGHT = 1.0
GENERAL_ALLOWANCE = 1.0
# The n-th mention of the same term counts REPEAT_DECAY ** n: repetition is not new evidence.
REPEAT_DECAY = 0.6
# Evidence E maps to score 1 - exp(-E / SCORE_SCALE): a strong term in the headline (2 x 3,
# capped at 5) gives about 0.63, the same term alone in the lead 0.39 (just short of the
# threshold: it needs a second word to go with it), a whole article on
# open-source AI 0.9 and more.
SCORE_SCALE = 5.0
# `matched` leaves out terms that added less than this: a stray word far down is no reason.
MIN_MATCHED_EVIDENCE = 0.1
MAX_TAGS = 3
# A tag is kept if it has at least this share of the top tag's evidence, and this much at all
# (one confirmed mention in the lead is 1.0).
TAG_SHARE = 0.4
MIN_TAG_EVIDENCE = 0.5
# A topic says more about the kind of news than a cue: "llamafile 0.9 released" is tooling.
TOPIC_TAG_WEIGHT = 1.5

# The lexicon's word pattern, captured, so that split() returns the words between the gaps.
_WORD_SPLIT = re.compile(f"({ATOM.pattern})")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# What may stand between the words of one phrase: "open-source", "llama.cpp", "r/LocalLLaMA".
_JOINERS = frozenset("-‐–./_")


class _Hit(NamedTuple):  # a NamedTuple: hundreds are made per item, and it is cheap
    term: Term
    passage: int  # 0 is the title
    anchor: bool  # AI context for its neighbours


def score_relevance(title: str, text: str, lexicon: Lexicon = DEFAULT_LEXICON) -> Relevance:
    """Score `title` and `text` (plain text, one paragraph per line) against `lexicon`.

    The title weighs double and the body less the further down it is. A name or cue counts
    fully only when its own passage or a neighbouring one has AI context (a topic, or a
    versioned name like "Llama 3.1"); the title and the first passage are neighbours.
    Deterministic, and well under a millisecond for a 2,000-word page.
    """
    passages = _passages(title, text)
    hits = [
        hit
        for index, (passage, _) in enumerate(passages)
        for hit in _find_terms(passage, index, lexicon)
    ]
    weighed = _weigh(passages, hits)
    score = 1.0 - math.exp(-weighed.total / SCORE_SCALE)
    return Relevance(
        score=round(score, 4),
        tags=_strongest_tags(weighed.by_tag),
        matched=tuple(
            phrase
            for phrase in sorted(weighed.by_phrase, key=lambda p: -weighed.by_phrase[p])
            if weighed.by_phrase[phrase] >= MIN_MATCHED_EVIDENCE
        ),
        threshold=lexicon.threshold,
    )


@dataclass(frozen=True)
class _Evidence:
    by_phrase: dict[str, float]  # the terms that counted fully
    by_tag: dict[str, float]  # position-weighted mentions that point at each tag
    total: float  # everything, weak mentions included


def _weigh(passages: Sequence[tuple[str, float]], hits: Sequence[_Hit]) -> _Evidence:
    anchored = {hit.passage for hit in hits if hit.anchor}
    # Each hit's evidence before its position and the per-passage cap; whether it counts fully.
    weighed: list[tuple[_Hit, float, float, bool]] = []  # hit, amount, repeat, confirmed
    passage_totals = [0.0] * len(passages)
    mentions: dict[str, int] = {}
    for hit in hits:
        term = hit.term
        if term.kind is TermKind.IGNORE:
            continue
        seen = mentions.get(term.key, 0)
        mentions[term.key] = seen + 1
        repeat = REPEAT_DECAY**seen
        confirmed = term.kind is TermKind.TOPIC or hit.anchor or _near(hit.passage, anchored)
        amount = term.weight * repeat * (1.0 if confirmed else UNCONFIRMED)
        weighed.append((hit, amount, repeat, confirmed))
        passage_totals[hit.passage] += amount

    by_phrase: dict[str, float] = {}
    by_tag = dict.fromkeys(TAGS, 0.0)
    specific = supporting = weak = 0.0
    for hit, amount, repeat, confirmed in weighed:
        position = passages[hit.passage][1]
        counted = amount * min(1.0, PASSAGE_CAP / passage_totals[hit.passage]) * position
        if not confirmed:
            weak += counted
            continue
        if hit.term.weight < SPECIFIC_WEIGHT:
            supporting += counted
        else:
            specific += counted
        by_phrase[hit.term.phrase] = by_phrase.get(hit.term.phrase, 0.0) + counted
        if hit.term.tag is not None:
            pointer = TOPIC_TAG_WEIGHT if hit.term.kind is TermKind.TOPIC else 1.0
            by_tag[hit.term.tag] += pointer * repeat * position
    total = specific + min(supporting, GENERAL_ALLOWANCE) + weak
    return _Evidence(by_phrase=by_phrase, by_tag=by_tag, total=total)


def _passages(title: str, text: str) -> list[tuple[str, float]]:
    """The title, then the body in passages, each with its weight by position."""
    passages = [(title, TITLE_WEIGHT)]
    offset = 0
    for paragraph in text.split("\n"):
        for passage in _split_long(paragraph.strip()):
            weight = 0.5 ** (offset / HALF_LIFE_WORDS)
            if weight < MIN_POSITION_WEIGHT:
                return passages
            passages.append((passage, weight))
            offset += len(passage.split())
    return passages


def _split_long(paragraph: str) -> Iterator[str]:
    if not paragraph:
        return
    if len(paragraph.split()) <= PASSAGE_WORDS:
        yield paragraph
        return
    chunk: list[str] = []
    words = 0
    for sentence in _SENTENCE_END.split(paragraph):
        chunk.append(sentence)
        words += len(sentence.split())
        if words >= PASSAGE_WORDS:
            yield " ".join(chunk)
            chunk, words = [], 0
    if chunk:
        yield " ".join(chunk)


class _Words(NamedTuple):
    """A passage cut into words, with what matching needs of each."""

    text: list[str]
    lower: list[str]
    gaps: list[str]  # gaps[i] is what stands before word i


def _words(passage: str) -> _Words:
    # split() with a capturing pattern alternates gaps and words, all in C.
    parts = _WORD_SPLIT.split(passage)
    text = parts[1::2]
    return _Words(text, [word.lower() for word in text], parts[0::2])


def _find_terms(passage: str, index: int, lexicon: Lexicon) -> Iterator[_Hit]:
    """Lexicon terms in `passage`, left to right, the longest phrase winning at each word."""
    words = _words(passage)
    lower = words.lower
    # Most words start no term; finding those that may is the hot loop, so it stays simple.
    by_word, by_stem = lexicon.by_word, lexicon.by_stem
    starts = [i for i, word in enumerate(lower) if word in by_word or word[:MIN_STEM] in by_stem]
    resume = 0
    for i in starts:
        if i < resume:
            continue  # inside a phrase already matched
        for term in lexicon.candidates(lower[i]):
            size = len(term.atoms)
            # Cheap test first: most phrases starting with "open" fail on their second word.
            if size > 1 and (i + size > len(lower) or not lower[i + 1].startswith(term.atoms[1])):
                continue
            if _matches(term, words, i):
                versioned = term.kind is TermKind.NAME and _versioned(words, i + size)
                yield _Hit(term, index, term.kind is TermKind.TOPIC or versioned)
                resume = i + size
                break


def _matches(term: Term, words: _Words, i: int) -> bool:
    """Whether `term` is spelled by the words from word `i` on."""
    count = len(term.atoms)
    if i + count > len(words.text):
        return False
    if term.kind is TermKind.NAME and not words.text[i][0].isupper():
        return False  # "llama" in running text is the animal; the model is a name
    for k in range(count):
        if k and not _joined(words.gaps[i + k]):
            return False
        got = words.text[i + k] if term.exact_case else words.lower[i + k]
        expected = term.spelled[k] if term.exact_case else term.atoms[k]
        if got == expected:
            continue
        last = k == count - 1
        if last and term.wildcard and got.startswith(expected):
            continue
        if last and term.plural and got == expected + term.plural:
            continue
        return False
    return True


def _joined(gap: str) -> bool:
    return gap == "" or gap in _JOINERS or gap.isspace()


def _versioned(words: _Words, after: int) -> bool:
    """A name followed by a short version number ("Llama 3.1", "Phi-4", "Falcon 180B") is
    the model, not the animal; four digits would be a year."""
    if after >= len(words.text):
        return False
    following, gap = words.text[after], words.gaps[after]
    return following.isdigit() and len(following) <= 3 and (gap in ("", " ") or gap in _JOINERS)


def _near(passage: int, anchored: set[int]) -> bool:
    # Only neighbours: the title (passage 0) lends its context to the lead, not to a story
    # glued far below it.
    return not anchored.isdisjoint((passage - 1, passage, passage + 1))


def _strongest_tags(tag_evidence: dict[str, float]) -> tuple[str, ...]:
    top = max(tag_evidence.values())
    kept = [
        tag
        for tag in TAGS
        if tag_evidence[tag] >= MIN_TAG_EVIDENCE and tag_evidence[tag] >= TAG_SHARE * top
    ]
    # sorted() is stable, so equal evidence keeps the order of TAGS.
    return tuple(sorted(kept, key=lambda tag: -tag_evidence[tag])[:MAX_TAGS])
