"""A position's words, as a commenter wrote them: a short label phrase and a quote.

    comment's own text | sentences | clauses | closest to the position -> label, quote

Nothing is paraphrased or assembled from keywords: the label is one clause of a comment, cut
between words, and the quote one of its sentences, so both can be found in what the commenter
wrote. Closeness to a position is the cosine of TF-IDF vectors over content words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.content.text import collapse_whitespace, shorten
from bot.summarize.sentences import split_sentences
from bot.summarize.stopwords import CONVERSATION, ENGLISH
from bot.summarize.tfidf import cosine, unit_vector

QUOTE_LIMIT = 200
MIN_WORDS = 3  # content words a sentence needs to state a position ("+1" does not)
_LABEL_CHARS = 50
_LABEL_WORDS = 9


def quote_sentence(
    text: str, centroid: Mapping[str, float], idf: Mapping[str, float], besides: str
) -> str:
    """The sentence of `text` closest to `centroid` (a position's summed comment vectors), cut to
    QUOTE_LIMIT; a sentence other than `besides` (the label's) when the comment has one."""
    sentences = split_sentences(text)
    candidates = [s for s in sentences if len(content_words(s)) >= MIN_WORDS] or sentences or [text]
    candidates = [s for s in candidates if s != besides] or candidates
    # A sentence quoted whole beats a closer one that would be cut.
    candidates = [s for s in candidates if len(s) <= QUOTE_LIMIT] or candidates
    best = max(
        enumerate(candidates),
        key=lambda pair: (cosine(unit_vector(content_words(pair[1]), idf), centroid), -pair[0]),
    )[1]
    return shorten(best, QUOTE_LIMIT)


# Where a clause ends inside a sentence: punctuation, a dash, or a word opening a new clause.
# (A comma or colon without a space after it is inside a word: "1,000", "https://".)
_CLAUSE_BREAK = re.compile(
    r"\s*[,;:](?=\s|$)\s*|\s*[()\[\]\"“”]\s*|\s+[-–—]+\s+|—"
    r"|\s+(?=(?:but|because|although|though|whereas|unless|while|which|so that)\s)",
    re.IGNORECASE,
)
# Words that tie a clause to the one before; a label reads better without them.
_LINK_WORDS = "and but or so because although though whereas unless while yet plus also then"
_LEADING_LINKS = frozenset(_LINK_WORDS.split())
# A clause opening with one of these leans on another for its meaning ("which is…", "They…").
_REFERRING_WORDS = (
    "which who whom whose that where it it's this these those they they're he she we you"
)
_REFERRING = frozenset(_REFERRING_WORDS.split())
_TRAILING_PUNCTUATION = " .,;:!-–—…'\"“”‘’"


def label_phrase(
    sentences: list[str], centroid: Mapping[str, float], idf: Mapping[str, float]
) -> tuple[str, str]:
    """The clause of `sentences` closest to `centroid`, a few words long, and its sentence.

    A phrase as written (no keyword list): cut at a word boundary, never inside a word, with
    "…" when the clause goes on.
    """
    clauses: list[tuple[int, str]] = []
    for n, sentence in enumerate(sentences):
        for piece in _CLAUSE_BREAK.split(sentence):
            words = piece.split()
            while words and words[0].lower().strip(_TRAILING_PUNCTUATION) in _LEADING_LINKS:
                words.pop(0)
            if words:
                clauses.append((n, " ".join(words)))
    if not clauses:  # nothing but punctuation: unlikely in a comment with content words
        return shorten(collapse_whitespace(" ".join(sentences)), _LABEL_CHARS), ""

    def fitness(pair: tuple[int, str]) -> tuple[bool, bool, bool, float]:
        _, clause = pair
        content, first = content_words(clause), clause.split()[0]
        leans = first.lower().replace("’", "'") in _REFERRING
        fits = len(first) < _LABEL_CHARS  # a label never cuts into a word (a long URL)
        return (fits, len(content) >= 2, not leans, cosine(unit_vector(content, idf), centroid))

    n, clause = max(clauses, key=fitness)  # max keeps the first of equals: thread order
    return _cut_phrase(clause), sentences[n]


def _cut_phrase(clause: str) -> str:
    words = clause.split()
    kept: list[str] = []
    for word in words:
        if len(kept) == _LABEL_WORDS or len(" ".join([*kept, word])) > _LABEL_CHARS - 1:
            break
        kept.append(word)
    if not kept:  # one very long "word" (a URL): cut it like any text
        return shorten(clause, _LABEL_CHARS)
    cut = len(kept) < len(words)
    if cut:
        # End on a word that says something: "… on a single 4090", not "… on a".
        while len(kept) > 1 and kept[-1].lower().strip(_TRAILING_PUNCTUATION) in ENGLISH:
            kept.pop()
    phrase = " ".join(kept).rstrip(_TRAILING_PUNCTUATION) or " ".join(kept)
    if phrase[:1].islower() and kept[0].isalpha() and kept[0].islower():
        phrase = phrase[0].upper() + phrase[1:]
    return f"{phrase}…" if cut else phrase


_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def content_words(text: str) -> list[str]:
    """Content words of `text`, lower-cased, with plural and possessive endings folded."""
    words = []
    for token in _WORD.findall(text.lower().replace("’", "'")):
        token = token.removesuffix("'s")
        if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
            token = token[:-1]
        if token not in CONVERSATION and (len(token) > 1 or token.isdigit()):
            words.append(token)
    return words
