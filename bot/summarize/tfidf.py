"""TF-IDF vectors and their cosine similarities, for sets of short documents.

    [terms of each document] | inverse_document_frequency | unit_vector | similarity_graph

The documents are a text's sentences (extractive summaries) or a thread's comments
(discussion recaps); both weigh terms the same way: sublinear term frequency (1 + ln tf) times
smoothed inverse document frequency (ln((1 + n) / (1 + df)) + 1), each vector scaled to unit
length, so the dot product of two vectors is their cosine similarity.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


def inverse_document_frequency(documents: Sequence[Iterable[str]]) -> dict[str, float]:
    """Each term of `documents` → its smoothed IDF: rarer terms weigh more, none weighs 0."""
    frequency = Counter(term for terms in documents for term in set(terms))
    n = len(documents)
    return {term: math.log((1 + n) / (1 + df)) + 1 for term, df in frequency.items()}


def unit_vector(terms: Iterable[str], idf: Mapping[str, float]) -> dict[str, float]:
    """The TF-IDF vector of a document's `terms`, of length 1 (empty if no term has an IDF)."""
    counts = Counter(term for term in terms if term in idf)
    weights = {term: (1 + math.log(tf)) * idf[term] for term, tf in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {term: w / norm for term, w in weights.items()} if norm else {}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """The cosine similarity of two vectors of any length; 0 if either is empty."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b.get(term, 0.0) for term, w in a.items())
    norm_a = math.sqrt(sum(w * w for w in a.values()))
    norm_b = math.sqrt(sum(w * w for w in b.values()))
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0


@dataclass(frozen=True)
class SimilarityGraph:
    """Cosine similarities between documents; a pair that shares no term is absent (0)."""

    size: int
    pairs: dict[int, float]  # key i * size + j, for i < j

    def similarity(self, i: int, j: int) -> float:
        low, high = (i, j) if i < j else (j, i)
        return self.pairs.get(low * self.size + high, 0.0)

    def degrees(self) -> list[float]:
        """Each document's summed similarity to all the others."""
        degrees = [0.0] * self.size
        for key, weight in self.pairs.items():
            i, j = divmod(key, self.size)
            degrees[i] += weight
            degrees[j] += weight
        return degrees


def similarity_graph(vectors: Sequence[Mapping[str, float]]) -> SimilarityGraph:
    """The cosine similarity of every pair of unit `vectors`.

    Pairs are found through the terms they share (an inverted index), so the work grows with
    shared terms rather than with the square of the number of documents.
    """
    size = len(vectors)
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, vector in enumerate(vectors):
        for term, weight in vector.items():
            postings.setdefault(term, []).append((i, weight))
    pairs: dict[int, float] = {}
    for posting in postings.values():
        # Documents were added in order, so i < j for every pair below.
        for a, (i, weight_i) in enumerate(posting[:-1]):
            row = i * size
            for j, weight_j in posting[a + 1 :]:
                pairs[row + j] = pairs.get(row + j, 0.0) + weight_i * weight_j
    return SimilarityGraph(size, pairs)
