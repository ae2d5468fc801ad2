"""Offline extractive summary: the text's own most central sentences, no model, no network.

    kind of item (bot.summarize.kinds) → a release: its changes (bot.summarize.release)
                                       → a roundup: its links (bot.summarize.roundup)
                                       → anything else, ranked here:
    text | sentences | drop boilerplate, quotes, repeats | resolve or drop sentences that
         do not stand alone | TF-IDF vectors | similarity graph | centrality × the kind's
         prior (lead position for news, thesis for essays, method and result for papers…)
         × title overlap | best → TL;DR | MMR → key points | a licence, open weights or
         funding sentence → why it matters

Every sentence it returns is a sentence of the text (a leading "But" or "However," dropped;
shortened only when no complete sentence fits a Discord post), so a summary can be wrong
about what matters but never says something the text does not.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.content.text import collapse_whitespace, shorten
from bot.models import Summary
from bot.summarize.kinds import Kind, item_kind
from bot.summarize.points import (
    FURNITURE_CLUES,
    is_furniture,
    is_teaser,
    join_teaser,
    minimal_clues,
    standalone,
)
from bot.summarize.release import summarize_release
from bot.summarize.roundup import summarize_roundup
from bot.summarize.sentences import split_sentences, words
from bot.summarize.source import NO_CONTEXT, SourceContext
from bot.summarize.stopwords import ENGLISH
from bot.summarize.tfidf import (
    SimilarityGraph,
    inverse_document_frequency,
    similarity_graph,
    unit_vector,
)
from bot.summarize.why import why_it_matters

TLDR_MAX_CHARS = 300
KEY_POINT_MAX_CHARS = 220
# What a post shows of a summary (bot.posts.SUMMARY_LIMIT): a summary longer than this would
# be cut at its end.
SUMMARY_CHARS = 1000
# Shorter sentences are fragments ("Read the docs.", "Installation") rather than statements.
MIN_CANDIDATE_WORDS = 4

# Site furniture that appears in extracted articles but says nothing about the story (matched
# on lowercased text). The hint, plain literals, is a fast first pass: the word boundaries
# that keep "spread more" or "cookiecutter" out make the exact pattern many times slower.
_BOILERPLATE_HINT = (
    "©", "copyright", "rights reserved", "subscri", "member", "read more", "click here",
    "newsletter", "cookie",
)  # fmt: skip
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
_HEADING_WORDS = 10
# A paragraph holding none of these (lowercased) holds no boilerplate sentence: every test in
# `_is_boilerplate` needs one of them, so most paragraphs skip the tests sentence by sentence.
_BOILERPLATE_CLUES = minimal_clues(
    (
        *_BOILERPLATE_HINT, *_MENU_SEPARATORS, *FURNITURE_CLUES, "share ", "sign in", "sign up",
        "log in", "login", "log out", "logout", "follow us", "learn more", "privacy policy",
        "terms of",
    )
)  # fmt: skip

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
    """A sentence a summary may quote, with its words lowercased; `text` is what a summary
    would show (resolved to stand alone), None when it cannot stand alone."""

    text: str | None
    words: tuple[str, ...]
    raw: str  # as written
    opens_section: bool = False  # the first sentence under a heading

    @property
    def is_candidate(self) -> bool:
        # A sentence ending in ":" introduces a list or code that a summary would not show,
        # and a question ("Why a new major version?") sets up an answer instead of giving one.
        if self.text is None or self.text.rstrip("\"'”’)").endswith(("?", ":")):
            return False
        return len(self.words) >= MIN_CANDIDATE_WORDS


@dataclass(frozen=True)
class _Sentence:
    position: int  # among the candidate sentences, in document order
    text: str
    terms: tuple[str, ...]  # stemmed content words
    opens_section: bool = False

    @property
    def finished(self) -> bool:
        return self.text.rstrip("\"'”’)]").endswith((".", "!", "?", "…"))

    @property
    def lowered(self) -> str:
        # What the priors' patterns read: lowercase, so they need no IGNORECASE (slower).
        return self.text.lower()


@dataclass(frozen=True)
class ExtractiveSummarizer:
    """Summarizes with the text's own sentences, the way its kind needs: the best as TL;DR,
    then up to `max_key_points` more that add something, in document order."""

    max_key_points: int = 3

    async def summarize(
        self, *, title: str, text: str, context: SourceContext = NO_CONTEXT
    ) -> Summary:
        # Ranking is CPU work; run it off the event loop so the bot stays responsive.
        return await asyncio.to_thread(self.summarize_sync, title=title, text=text, context=context)

    def summarize_sync(
        self, *, title: str, text: str, context: SourceContext = NO_CONTEXT
    ) -> Summary:
        """The summary of `text`; the same input always gives the same summary."""
        kind = item_kind(title, text, context)
        if kind is Kind.RELEASE:
            return summarize_release(title, text, context)
        if kind is Kind.ROUNDUP:
            roundup = summarize_roundup(text, context)
            if roundup is not None:
                return roundup
        return self._ranked(kind, title=title, text=_without_header(kind, text), context=context)

    def _ranked(self, kind: Kind, *, title: str, text: str, context: SourceContext) -> Summary:
        readable = _readable_sentences(title=title, text=text, quoted=context.quoted)
        candidates = [r for r in readable if r.is_candidate][:_MAX_CANDIDATES]
        if len(candidates) < 2:
            return Summary(tldr=_tiny_tldr(readable, candidates))
        stems = _stems()
        sentences = [
            _Sentence(i, c.text or "", _terms(c.words, stems), c.opens_section)
            for i, c in enumerate(candidates)
        ]
        idf = inverse_document_frequency([s.terms for s in sentences])
        similarity = similarity_graph([unit_vector(s.terms, idf) for s in sentences])
        title_words = tuple(w.lower() for w in words(title))
        title_terms = frozenset(_terms(title_words, stems))
        scores = _scores(sentences, similarity, title_terms=title_terms, prior=_PRIORS[kind])
        best = _best_fitting(sentences, scores, TLDR_MAX_CHARS)
        fits = [len(s.text) <= KEY_POINT_MAX_CHARS for s in sentences]
        points = _diverse_picks(
            scores, similarity, first=best, count=self.max_key_points, allowed=fits
        )
        tldr = _trim(sentences[best].text, TLDR_MAX_CHARS)
        key_points = tuple(sentences[i].text for i in sorted(points))
        why = why_it_matters([s.text for s in sentences], used={tldr, *key_points})
        return fit_post(Summary(tldr=tldr, key_points=key_points, why_it_matters=why))


def fit_post(summary: Summary) -> Summary:
    """`summary` within what a post shows (SUMMARY_CHARS) without cutting it: "why it
    matters" goes first, then the last key points."""
    while len(summary.text) > SUMMARY_CHARS:
        if summary.why_it_matters:
            summary = replace(summary, why_it_matters=None)
        elif summary.key_points:
            summary = replace(summary, key_points=summary.key_points[:-1])
        else:
            break
    return summary


def _best_fitting(sentences: list[_Sentence], scores: list[float], limit: int) -> int:
    """The best sentence that fits whole; the best of all when none does (it is cut)."""
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    return next((i for i in order if len(sentences[i].text) <= limit), order[0])


_ARXIV_HEADER = re.compile(
    r"^\s*(?:arxiv:\S+\s+)?(?:announce type:\s*[\w-]+\s+)?abstract\s*[:.]?\s*", re.IGNORECASE
)


def _without_header(kind: Kind, text: str) -> str:
    """A paper's text without arXiv's "arXiv:… Announce Type: new Abstract:" opening."""
    return _ARXIV_HEADER.sub("", text, count=1) if kind is Kind.PAPER else text


def _readable_sentences(*, title: str, text: str, quoted: tuple[str, ...] = ()) -> list[_Readable]:
    """The sentences of `text` a summary may quote, in order, each as it would be shown.

    Left out: boilerplate (subscribe, sign in, copyright, cookies, "read more", feed
    furniture…), quoted lines (starting with ">", or quoted in the HTML: someone else's
    words), a paragraph or sentence seen before, and sentences that only repeat the title.
    A sentence that only announces the next ("The twist is the licence.") is joined to it.
    """
    title_words = {w.lower() for w in words(title)}
    seen_sentences: set[str] = set()
    kept: list[_Readable] = []
    own = _own_sentences(text, quoted)
    sentences = [sentence for sentence, _, _ in own]
    skip_next = False
    for index, (sentence, clued, opens) in enumerate(own):
        if skip_next:
            skip_next = False
            continue
        lowered = sentence.lower()
        sentence_words = tuple(words(lowered))
        if lowered in seen_sentences:
            continue
        if clued and _is_boilerplate(lowered, len(sentence_words)):
            continue
        if sentence_words and title_words.issuperset(sentence_words):
            continue  # only says what the title says
        seen_sentences.add(lowered)
        if is_teaser(sentence) and index + 1 < len(sentences):
            following = sentences[index + 1]
            sentence = join_teaser(sentence, following)
            skip_next = True
            sentence_words = tuple(words(sentence.lower()))
        kept.append(_Readable(standalone(sentence), sentence_words, sentence, opens))
    return kept


def _own_sentences(text: str, quoted: tuple[str, ...]) -> list[tuple[str, bool, bool]]:
    """The sentences of `text` in order, without quoted lines (starting with ">", or quoted
    in the HTML) and without a paragraph repeated; each with whether its paragraph has a
    clue of boilerplate, and whether it is the first sentence under a heading."""
    quotes = {" ".join(q.split()).casefold() for q in quoted}
    # The clues the whole text holds (most texts: none); only they are looked for paragraph
    # by paragraph.
    whole = " ".join(text.split()).lower()
    clues = [clue for clue in _BOILERPLATE_CLUES if clue in whole]
    seen_paragraphs: set[str] = set()
    sentences: list[tuple[str, bool, bool]] = []
    after_heading = False
    for line in text.splitlines():
        paragraph = " ".join(line.split())
        folded = paragraph.casefold()
        if not paragraph or paragraph.startswith(">") or folded in seen_paragraphs:
            continue
        seen_paragraphs.add(folded)
        heading = _is_heading(paragraph)
        if folded not in quotes:
            lowered = paragraph.lower()
            clued = any(clue in lowered for clue in clues)
            split = split_sentences(paragraph)
            opens = after_heading and not heading
            sentences += [(s, clued, opens and i == 0) for i, s in enumerate(split)]
        after_heading = heading
    return sentences


def _is_heading(paragraph: str) -> bool:
    """A short line that does not end like a sentence: a heading ("2. C Is Universal")."""
    if paragraph.rstrip("\"'”’)]").endswith((".", "!", "?", "…", ":", ";", ",")):
        return False
    return len(paragraph.split()) <= _HEADING_WORDS and paragraph[:1].isalnum()


def _is_boilerplate(lowered: str, word_count: int) -> bool:
    if is_furniture(lowered):
        return True
    if any(hint in lowered for hint in _BOILERPLATE_HINT) and _BOILERPLATE.search(lowered):
        return True
    if sum(lowered.count(separator) for separator in _MENU_SEPARATORS) >= 2:
        return True
    return word_count <= _SHORT_LINE_WORDS and bool(_SHORT_BOILERPLATE.search(lowered))


def _tiny_tldr(readable: list[_Readable], candidates: list[_Readable]) -> str:
    """A text too short to rank: all of it when it fits, else its one real sentence."""
    whole = " ".join(r.raw for r in readable)
    if len(whole) <= TLDR_MAX_CHARS or not candidates:
        return _trim(whole, TLDR_MAX_CHARS)
    return _trim(candidates[0].text or "", TLDR_MAX_CHARS)


# Stems, memoized across texts (news repeats its vocabulary); cleared when it grows this big.
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_SIZE = 200_000


def _stems() -> dict[str, str]:
    if len(_STEM_CACHE) > _STEM_CACHE_SIZE:
        _STEM_CACHE.clear()
    return _STEM_CACHE


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
    sentences: list[_Sentence],
    graph: SimilarityGraph,
    *,
    title_terms: frozenset[str],
    prior: Prior,
) -> list[float]:
    """How good each sentence is as a summary: central, placed and worded as its kind puts
    what matters (news first, an essay's thesis, a paper's method), and on the title's subject.

    Centrality is LexRank's: the stationary distribution of a random walk over the similarity
    graph. The graph is symmetric, so that distribution is each sentence's weighted degree
    (its summed similarity to all others), computed directly instead of by power iteration.
    """
    degrees = graph.degrees()
    top_degree = max(degrees) or 1.0
    count = len(sentences)
    scores = []
    for s, degree in zip(sentences, degrees, strict=True):
        centrality = _CENTRALITY_FLOOR + degree / top_degree
        on_title = len(title_terms.intersection(s.terms)) / len(title_terms) if title_terms else 0
        finished = 1.0 if s.finished else _UNFINISHED_WEIGHT
        weight = prior(s, count)
        scores.append(centrality * weight * (1 + on_title) * finished)
    return scores


def _diverse_picks(
    scores: list[float],
    graph: SimilarityGraph,
    *,
    first: int,
    count: int,
    allowed: list[bool],
) -> list[int]:
    """Up to `count` `allowed` sentences besides `first`, chosen by maximal marginal
    relevance: each next pick trades its score against its similarity to what is chosen."""
    top = scores[first] or 1.0
    chosen = [first]
    picks: list[int] = []
    while len(picks) < count:
        best: tuple[float, int] | None = None
        for i, score in enumerate(scores):
            if i in chosen or not allowed[i]:
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


# --- Where each kind of text puts what matters -------------------------------------------------

Prior = Callable[[_Sentence, int], float]  # (sentence, how many there are) → weight

_THESIS = re.compile(
    r"\b(?:i think|i believe|i argue|i'd argue|i'm arguing|my (?:point|argument|claim)"
    r"|we (?:should|must|need to|ought to)|should(?:n't| not)?|must(?:n't| not)?|ought to"
    r"|the (?:real )?(?:point|problem|question|answer|lesson|case) is|the case for"
    r"|in (?:short|other words|the end)|matters because|is (?:wrong|right|a mistake|better)"
    r"|the (?:best|right|only|wrong) (?:way|choice|approach))\b",
)
_BACKGROUND = re.compile(
    r"\b(?:in|since|by|until|back in|around) (?:the )?(?:1[89]\d\d|20[0-2]\d)s?\b"
    r"|\b(?:years|decades) ago\b|\bhistor(?:y|ically)\b|\boriginally\b|\bused to\b"
    r"|\bin the (?:early|late|beginning)\b|\bwas (?:founded|created|born|first)\b",
)
_METHOD = re.compile(
    r"\b(?:we|this (?:paper|work)|in this (?:paper|work),? we) (?:propose|present|introduce"
    r"|develop|design|describe|release|train|build)|\bour (?:method|approach|model|framework)\b",
)
_RESULT = re.compile(
    r"\b(?:outperform\w*|achiev\w*|improv\w*|surpass\w*|reduc\w*|speed ?up|faster|state-of-the-art"
    r"|sota|matches|competitive|accuracy|gains?)\b",
)
_PROBLEM = re.compile(
    r"\b(?:however|but|remains?|challeng\w*|limit\w*|costly|expensive|struggle\w*|lack\w*"
    r"|difficult|bottleneck|suffer\w*|fail\w*|unclear|open problem)\b",
)
_NUMBER = re.compile(r"\d")
# Sentences about the text rather than its subject: "This article provides hints…", "see the
# separate document", "described in more detail below".
_META = re.compile(
    r"\b(?:this (?:article|post|page|essay|document|section|guide|tutorial)"
    r"|in (?:this|the next|the following) (?:section|article|post)|in section \d"
    r"|(?:described|discussed|explained|covered) (?:in (?:more )?detail )?(?:below|above|later)"
    r"|(?:see|check out|read) (?:the|our) |for more (?:details|information)|are found in"
    r"|(?:below|above)[,.]|table of contents)\b",
)
_META_WEIGHT = 0.35
_CARD_FACTS = re.compile(
    r"\b(?:licen[cs]e[ds]?|parameters?|context (?:length|window)|trained on|fine-tuned"
    r"|instruction|benchmark\w*|mmlu|tokens|languages?|quantiz\w*|intended (?:use|for))\b",
)
_SETUP = re.compile(
    r"^(?:i've been|i have been|i've used|i have used|i run|i'm running|i am running|i use"
    r"|i used|i tried|i work|i worked|for context|background|disclaimer|full disclosure"
    r"|my setup|at my (?:job|work|company)|we've been|we use|a while ago|last (?:year|month|week)"
    r"|a few (?:days|weeks|months) ago)\b",
)
_CLAIM = re.compile(
    r"\b(?:i think|imo|imho|in my experience|the (?:problem|issue|point|thing|key|catch) is"
    r"|the real|should(?:n't)?|won't|can't|doesn't|isn't|don't|matters?|overrated|underrated"
    r"|better|worse|faster|slower|cheaper|honestly|no way|wrong|right)\b",
)


def _lead(position: int) -> float:
    return 1.0 / math.sqrt(1 + position)  # news puts what matters first


def _news(s: _Sentence, count: int) -> float:
    weight = _lead(s.position)
    return weight * _META_WEIGHT if _META.search(s.lowered) else weight


def _essay(s: _Sentence, count: int) -> float:
    # An essay opens with background and states its thesis after it; each section opens
    # with the argument it makes; the end restates the thesis.
    sentence, position = s.lowered, s.position
    weight = 1.0 / (1 + position) ** 0.15
    if s.opens_section:
        weight *= 1.6
    if _THESIS.search(sentence):
        weight *= 1.6
    if _BACKGROUND.search(sentence):
        weight *= 0.4
    if _META.search(sentence):
        weight *= _META_WEIGHT
    if count > 5 and position >= count * 0.85:
        weight *= 1.3
    return weight


def _paper(s: _Sentence, count: int) -> float:
    # An abstract: the problem, then the method ("We propose…"), then results with numbers.
    sentence, position = s.lowered, s.position
    weight = 1.0 / (1 + position) ** 0.3
    if _METHOD.search(sentence):
        weight *= 2.2
    if _RESULT.search(sentence):
        weight *= 1.6 if _NUMBER.search(sentence) else 1.2
    elif _PROBLEM.search(sentence) and position <= 2:
        weight *= 1.2
    return weight


def _model_card(s: _Sentence, count: int) -> float:
    sentence = s.lowered
    weight = _lead(s.position)
    if _CARD_FACTS.search(sentence):
        weight *= 1.5
    if _NUMBER.search(sentence):
        weight *= 1.3
    return weight


def _comment(s: _Sentence, count: int) -> float:
    # A commenter sets the scene first ("I've been running Llama on a 3090…") and makes
    # the point after it.
    sentence = s.lowered
    weight = 1.0 + 0.3 * s.position / max(1, count - 1)
    claim = bool(_CLAIM.search(sentence))
    if _SETUP.search(sentence) and not claim:
        weight *= 0.4
    if claim:
        weight *= 1.5
    return weight


_PRIORS: dict[Kind, Prior] = {
    Kind.NEWS: _news,
    Kind.ROUNDUP: _news,  # a roundup that links too little to be read by its links
    Kind.RELEASE: _news,
    Kind.ESSAY: _essay,
    Kind.PAPER: _paper,
    Kind.MODEL_CARD: _model_card,
    Kind.DISCUSSION: _comment,
    Kind.COMMENT: _comment,
}
