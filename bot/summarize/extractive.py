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
from collections import Counter
from dataclasses import dataclass

from bot.content.text import collapse_whitespace, shorten
from bot.models import Summary
from bot.summarize.sentences import split_sentences, words

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

# Space-separated, to keep the list readable.
_STOP_WORD_LIST = """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get gets got had
    hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself
    just let's like make makes many may me might more most much must mustn't my myself new no
    nor not now of off on once one only or other others our ours ourselves out over own per
    same shall she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this
    those through to too two under until up upon us use used using very via was wasn't we we'd
    we'll we're we've well were weren't what what's when when's where where's whether which
    while who who's whom why why's will with within without won't would wouldn't yet you you'd
    you'll you're you've your yours yourself yourselves
"""
_STOP_WORDS = frozenset(_STOP_WORD_LIST.split())


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
        similarity = _similarity_graph(sentences)
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
        if word in _STOP_WORDS:
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


@dataclass(frozen=True)
class _SimilarityGraph:
    """Cosine similarities between sentences; a pair that shares no term is absent (0)."""

    size: int
    pairs: dict[int, float]  # key i * size + j, for i < j

    def similarity(self, i: int, j: int) -> float:
        low, high = (i, j) if i < j else (j, i)
        return self.pairs.get(low * self.size + high, 0.0)

    def degrees(self) -> list[float]:
        """Each sentence's summed similarity to all the others."""
        degrees = [0.0] * self.size
        for key, weight in self.pairs.items():
            i, j = divmod(key, self.size)
            degrees[i] += weight
            degrees[j] += weight
        return degrees


def _similarity_graph(sentences: list[_Sentence]) -> _SimilarityGraph:
    """The cosine similarity of the sentences' TF-IDF vectors, each sentence counting as a
    document for IDF. Pairs are found through the terms they share (an inverted index), so
    the work grows with shared terms rather than with the square of the sentence count."""
    size = len(sentences)
    document_frequency = Counter(t for s in sentences for t in set(s.terms))
    postings: dict[str, list[tuple[int, float]]] = {}
    for s in sentences:
        weights = {
            term: tf * math.log((size + 1) / document_frequency[term])
            for term, tf in Counter(s.terms).items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for term, weight in weights.items():
            postings.setdefault(term, []).append((s.position, weight / norm))
    pairs: dict[int, float] = {}
    for posting in postings.values():
        # Sentences were added in order, so i < j for every pair below.
        for a, (i, weight_i) in enumerate(posting[:-1]):
            row = i * size
            for j, weight_j in posting[a + 1 :]:
                pairs[row + j] = pairs.get(row + j, 0.0) + weight_i * weight_j
    return _SimilarityGraph(size, pairs)


def _scores(
    sentences: list[_Sentence], graph: _SimilarityGraph, *, title_terms: frozenset[str]
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
    scores: list[float], graph: _SimilarityGraph, *, first: int, count: int
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
