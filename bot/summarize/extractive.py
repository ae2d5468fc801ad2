"""Offline extractive summary: the text's own most central sentences, no model, no network.

    text | sentences | drop boilerplate, quotes, repeats | TF-IDF vectors | similarity graph
         | centrality × lead position × title overlap | best → TL;DR | MMR → key points

Every sentence it returns is a sentence of the text (only shortened, at a word boundary, when
it would not fit a Discord post), so a summary can be wrong about what matters but never
says something the text does not.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass

from bot.content.text import collapse_whitespace, shorten
from bot.models import Summary
from bot.summarize.sentences import split_sentences, words
from bot.summarize.stopwords import ENGLISH
from bot.summarize.tfidf import (
    SimilarityGraph,
    inverse_document_frequency,
    similarity_graph,
    unit_vector,
)

TLDR_MAX_CHARS = 300
KEY_POINT_MAX_CHARS = 200
# Shorter sentences are fragments ("Read the docs.", "Installation") rather than statements.
MIN_CANDIDATE_WORDS = 4

# Site furniture that appears in extracted articles but says nothing about the story (matched
# on lowercased text). The hint, plain literals, is a fast first pass: the word boundaries
# that keep "spread more" or "cookiecutter" out make the exact pattern many times slower.
_BOILERPLATE_HINT = re.compile(
    r"©|copyright|rights reserved|subscri|member|read more|click here|newsletter|cookie"
)
_BOILERPLATE = re.compile(
    r"©|\bcopyright\b|all rights reserved|\bsubscribe|\bsubscribers? only|\bmembers?[- ]only"
    r"|already a member|\bread more\b|click here|newsletter|\bcookies?\b"
)
# Three or more items between these make a line a navigation menu ("Home | News | About").
_MENU_SEPARATORS = (" | ", " · ")
# Calls to action that are boilerplate as a short line ("Sign in", "Share on X", "Visit our
# site to learn more") but can be real instructions in a longer sentence ("Log in with
# `hf auth login` to read gated models").
_SHORT_BOILERPLATE = re.compile(
    r"\b(?:share (?:this|on|via|to)|sign (?:in|up)|log ?(?:in|out)|follow us|learn more"
    r"|privacy policy|terms of (?:use|service))\b"
)
_SHORT_LINE_WORDS = 12

# How much each part of a sentence's score counts.
_CENTRALITY_FLOOR = 0.2  # a lead sentence unlike the rest can still win on position alone
_UNFINISHED_WEIGHT = 0.5  # no closing punctuation: a heading or list item, not a statement
_MMR_RELEVANCE = 0.7  # key points: 70% how good a sentence is, 30% how new it is
_DUPLICATE_SIMILARITY = 0.6  # this close (cosine) to a chosen sentence says the same thing
# Bounds the quadratic similarity work on book-length input; that far in, the position prior
# leaves later sentences no chance anyway.
_MAX_CANDIDATES = 500


@dataclass(frozen=True)
class _Readable:
    """A sentence a summary may quote, with its words lowercased."""

    text: str
    words: tuple[str, ...]

    @property
    def is_candidate(self) -> bool:
        # A sentence ending in ":" introduces a list or code that a summary would not show,
        # and a question ("Why a new major version?") sets up an answer instead of giving one.
        if self.text.rstrip("\"'”’)").endswith(("?", ":")):
            return False
        return len(self.words) >= MIN_CANDIDATE_WORDS


@dataclass(frozen=True)
class _Sentence:
    position: int  # among the candidate sentences, in document order
    text: str
    terms: tuple[str, ...]  # stemmed content words

    @property
    def finished(self) -> bool:
        return self.text.rstrip("\"'”’)]").endswith((".", "!", "?", "…"))


@dataclass(frozen=True)
class ExtractiveSummarizer:
    """Summarizes with the text's own sentences: the best as TL;DR, then up to
    `max_key_points` more that add something, in document order."""

    max_key_points: int = 3

    async def summarize(self, *, title: str, text: str) -> Summary:
        # Ranking is CPU work; run it off the event loop so the bot stays responsive.
        return await asyncio.to_thread(self.summarize_sync, title=title, text=text)

    def summarize_sync(self, *, title: str, text: str) -> Summary:
        """The summary of `text`; the same input always gives the same summary."""
        readable = _readable_sentences(title=title, text=text)
        candidates = [r for r in readable if r.is_candidate][:_MAX_CANDIDATES]
        if len(candidates) < 2:
            return Summary(tldr=_tiny_tldr(readable, candidates))
        stems: dict[str, str] = {}  # a word's stem, memoized for this text
        sentences = [_Sentence(i, c.text, _terms(c.words, stems)) for i, c in enumerate(candidates)]
        idf = inverse_document_frequency([s.terms for s in sentences])
        similarity = similarity_graph([unit_vector(s.terms, idf) for s in sentences])
        title_words = tuple(w.lower() for w in words(title))
        scores = _scores(sentences, similarity, title_terms=frozenset(_terms(title_words, stems)))
        best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
        points = _diverse_picks(scores, similarity, first=best, count=self.max_key_points)
        return Summary(
            tldr=_trim(sentences[best].text, TLDR_MAX_CHARS),
            key_points=tuple(_trim(sentences[i].text, KEY_POINT_MAX_CHARS) for i in sorted(points)),
        )


def _readable_sentences(*, title: str, text: str) -> list[_Readable]:
    """The sentences of `text` a summary may quote, in order.

    Left out: boilerplate (subscribe, sign in, copyright, cookies, "read more"…), quoted reply
    lines (starting with ">"), a paragraph or sentence seen before, and sentences that only
    repeat the title.
    """
    title_words = {w.lower() for w in words(title)}
    seen_paragraphs: set[str] = set()
    seen_sentences: set[str] = set()
    kept: list[_Readable] = []
    for line in text.splitlines():
        paragraph = " ".join(line.split())
        if not paragraph or paragraph.startswith(">") or paragraph.casefold() in seen_paragraphs:
            continue
        seen_paragraphs.add(paragraph.casefold())
        for sentence in split_sentences(paragraph):
            lowered = sentence.lower()
            sentence_words = tuple(words(lowered))
            if lowered in seen_sentences or _is_boilerplate(lowered, len(sentence_words)):
                continue
            if sentence_words and title_words.issuperset(sentence_words):
                continue  # only says what the title says
            seen_sentences.add(lowered)
            kept.append(_Readable(sentence, sentence_words))
    return kept


def _is_boilerplate(lowered: str, word_count: int) -> bool:
    if _BOILERPLATE_HINT.search(lowered) and _BOILERPLATE.search(lowered):
        return True
    if sum(lowered.count(separator) for separator in _MENU_SEPARATORS) >= 2:
        return True
    return word_count <= _SHORT_LINE_WORDS and bool(_SHORT_BOILERPLATE.search(lowered))


def _tiny_tldr(readable: list[_Readable], candidates: list[_Readable]) -> str:
    """A text too short to rank: all of it when it fits, else its one real sentence."""
    whole = " ".join(r.text for r in readable)
    if len(whole) <= TLDR_MAX_CHARS or not candidates:
        return _trim(whole, TLDR_MAX_CHARS)
    return _trim(candidates[0].text, TLDR_MAX_CHARS)


def _terms(lowered_words: tuple[str, ...], stems: dict[str, str]) -> tuple[str, ...]:
    """The content words, stemmed: what similarity is computed on."""
    terms = []
    for word in lowered_words:
        if word in ENGLISH:
            continue
        stem = stems.get(word)
        if stem is None:
            stem = stems[word] = _stem(word)
        terms.append(stem)
    return tuple(terms)


def _stem(word: str) -> str:
    """A light English stemmer: plurals, -ed, -ing and a final -e, so "releases", "released"
    and "release" meet; words with digits or punctuation ("gpt-3.5") are kept as written."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "aes", "ees", "oes")):
        word = word[:-1]  # "models" → "model", "releases" → "release"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "running" → "run"
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _scores(
    sentences: list[_Sentence], graph: SimilarityGraph, *, title_terms: frozenset[str]
) -> list[float]:
    """How good each sentence is as a summary: central, early, and on the title's subject.

    Centrality is LexRank's: the stationary distribution of a random walk over the similarity
    graph. The graph is symmetric, so that distribution is each sentence's weighted degree
    (its summed similarity to all others), computed directly instead of by power iteration.
    """
    degrees = graph.degrees()
    top_degree = max(degrees) or 1.0
    scores = []
    for s, degree in zip(sentences, degrees, strict=True):
        centrality = _CENTRALITY_FLOOR + degree / top_degree
        lead = 1.0 / math.sqrt(1 + s.position)  # news puts what matters first
        on_title = len(title_terms.intersection(s.terms)) / len(title_terms) if title_terms else 0
        finished = 1.0 if s.finished else _UNFINISHED_WEIGHT
        scores.append(centrality * lead * (1 + on_title) * finished)
    return scores


def _diverse_picks(
    scores: list[float], graph: SimilarityGraph, *, first: int, count: int
) -> list[int]:
    """Up to `count` sentences besides `first`, chosen by maximal marginal relevance: each
    next pick trades its score against its similarity to what is already chosen."""
    top = scores[first] or 1.0
    chosen = [first]
    picks: list[int] = []
    while len(picks) < count:
        best: tuple[float, int] | None = None
        for i, score in enumerate(scores):
            if i in chosen:
                continue
            overlap = max(graph.similarity(i, j) for j in chosen)
            if overlap >= _DUPLICATE_SIMILARITY:
                continue
            value = _MMR_RELEVANCE * score / top - (1 - _MMR_RELEVANCE) * overlap
            if best is None or value > best[0]:
                best = (value, i)  # ties keep the earlier sentence
        if best is None:
            break
        chosen.append(best[1])
        picks.append(best[1])
    return picks


def _trim(text: str, limit: int) -> str:
    return shorten(collapse_whitespace(text), limit)
