"""Discussion recaps: the main positions in a comment thread, each with a quote, no model.

    [Comment] | dedupe | TF-IDF vectors | average-linkage clusters | reply cues -> Recap | render

Extractive and deterministic: every quote is a sentence a commenter wrote, attributed to them;
the same comments always give the same recap. Agreement and disagreement come from replies: a
reply opening with "Exactly" backs its parent's position, one opening with "I disagree" or
"Not really" pushes back on it. Fetching lives in `bot.discussions.comments`; this module only
decides, so it runs in a thread (`recap_comments_async`) and is tested without a server.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.content.text import collapse_whitespace, escape_text, shorten
from bot.discussions.comments import Comment, CommentFetcher, DiscussionRef, discussion_url
from bot.summarize.sentences import split_sentences
from bot.summarize.stopwords import CONVERSATION
from bot.summarize.tfidf import (
    SimilarityGraph,
    cosine,
    inverse_document_frequency,
    similarity_graph,
    unit_vector,
)

__all__ = [
    "Comment",
    "CommentFetcher",
    "DiscussionRef",
    "DistinctComments",
    "Position",
    "Recap",
    "discussion_url",
    "distinct_comments",
    "recap_comments",
    "recap_comments_async",
]

Stance = Literal["agree", "disagree", "mixed"]

RENDER_LIMIT = 1900
QUOTE_LIMIT = 200
MIN_COMMENTS = 3  # fewer substantive comments than this is a chat, not a discussion
# Clustering is cubic in the number of comments; the first ones (the site's top-ranked,
# breadth-first) carry the discussion, so later ones are counted but not clustered.
MAX_CLUSTERED = 200
# Average cosine similarity two groups need to merge. TF-IDF over short comments is sparse:
# comments on the same point share a few rare words, comments on different points almost none.
MERGE_THRESHOLD = 0.1
_MIN_WORDS = 3  # content words a comment needs to state a position ("+1" does not)
_LABEL_WORDS = 3


@dataclass(frozen=True)
class Position:
    """One point made in the thread: what it is about, a quote and who backs it.

    `supporters` counts distinct people who made the point or replied agreeing; `stance` is
    "agree" when nobody pushed back, "mixed" when some did, "disagree" when as many or more
    pushed back as backed it.
    """

    summary: str
    quote: str
    author: str
    supporters: int
    stance: Stance


@dataclass(frozen=True)
class Recap:
    positions: tuple[Position, ...]
    comment_count: int
    source_url: str

    def render(self) -> str:
        """Plain text for a Discord message, at most 1,900 characters, one line per position.

        Everything taken from comments is markdown-escaped with mentions broken, so a
        comment can neither format the message nor ping anyone.
        """
        noun = "comment" if self.comment_count == 1 else "comments"
        lines = [f"💬 Discussion recap ({self.comment_count} {noun})"]
        prefix = "u/" if _is_reddit(self.source_url) else ""
        footer = f"Thread: <{self.source_url}>" if _is_plain_url(self.source_url) else ""
        budget = RENDER_LIMIT - len(lines[0]) - (len(footer) + 1 if footer else 0)
        for position in self.positions:
            line = _render_position(position, prefix)
            if len(line) + 1 > budget:
                break
            lines.append(line)
            budget -= len(line) + 1
        if footer:
            lines.append(footer)
        return "\n".join(lines)


_STANCE_WORDS = {"agree": "broad agreement", "mixed": "some pushback", "disagree": "disputed"}


def _render_position(position: Position, prefix: str) -> str:
    people = "person" if position.supporters == 1 else "people"
    summary = escape_text(shorten(position.summary, 60))
    quote = escape_text(shorten(collapse_whitespace(position.quote), QUOTE_LIMIT))
    author = escape_text(shorten(collapse_whitespace(position.author), 40))
    stance = _STANCE_WORDS[position.stance]
    return f"• {summary} ({position.supporters} {people}, {stance}): “{quote}” — {prefix}{author}"


def _is_reddit(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "reddit.com" or host.endswith(".reddit.com")


def _is_plain_url(url: str) -> bool:
    # Only a well-formed web address goes in the footer; <…> keeps Discord from embedding it.
    return url.startswith(("http://", "https://")) and not re.search(r"[\s<>@`]", url)


async def recap_comments_async(
    comments: Sequence[Comment], *, source_url: str, max_positions: int = 3
) -> Recap | None:
    """`recap_comments` in a worker thread, so clustering never blocks the event loop."""
    return await asyncio.to_thread(
        recap_comments, comments, source_url=source_url, max_positions=max_positions
    )


def recap_comments(
    comments: Sequence[Comment], *, source_url: str, max_positions: int = 3
) -> Recap | None:
    """The thread's main positions, most backed first; None with under 3 substantive comments.

    A comment repeated verbatim counts once; `comment_count` is the number of distinct
    comments. Pure and deterministic: ties are broken by the order of `comments`.
    """
    distinct = distinct_comments(comments)
    unique, alias = distinct.comments, distinct.kept_for
    substantive = [c for c in unique if len(_words(c.text)) >= _MIN_WORDS][:MAX_CLUSTERED]
    if len(substantive) < MIN_COMMENTS or max_positions < 1:
        return None
    terms = [_words(c.text) for c in substantive]
    idf = inverse_document_frequency(terms)
    vectors = [unit_vector(t, idf) for t in terms]
    graph = similarity_graph(vectors)
    clusters = _cluster(graph)
    by_id = {c.id: c for c in unique}
    cluster_of = {substantive[i].id: n for n, members in enumerate(clusters) for i in members}
    backers: list[set[str]] = [{substantive[i].author for i in m} for m in clusters]
    objectors: list[set[str]] = [set() for _ in clusters]
    for reply in unique:
        parent = by_id.get(alias.get(reply.parent_id or "", reply.parent_id or ""))
        if parent is None or parent.author == reply.author or parent.id not in cluster_of:
            continue
        cue = _reply_cue(reply.text)
        if cue == "agree":
            backers[cluster_of[parent.id]].add(reply.author)
        elif cue == "disagree":
            objectors[cluster_of[parent.id]].add(reply.author)
    ranked = sorted(
        range(len(clusters)),
        key=lambda n: (
            -len(backers[n] | objectors[n]),
            -sum(substantive[i].score or 0 for i in clusters[n]),
            clusters[n][0],
        ),
    )
    # A point only one person made is a position only when the thread has little else.
    engaged = [n for n in ranked if len(backers[n] | objectors[n]) >= 2]
    chosen = engaged if len(engaged) >= min(2, max_positions) else ranked
    positions = tuple(
        _position(clusters[n], substantive, vectors, graph, idf, backers[n], objectors[n])
        for n in chosen[:max_positions]
    )
    return Recap(positions=positions, comment_count=len(unique), source_url=source_url)


def _position(
    members: list[int],
    comments: list[Comment],
    vectors: list[dict[str, float]],
    graph: SimilarityGraph,
    idf: dict[str, float],
    backers: set[str],
    objectors: set[str],
) -> Position:
    supporters = backers - objectors
    # The quote speaks for the position, so it comes from someone backing it when possible.
    speakers = [i for i in members if comments[i].author in supporters] or members
    centroid: Counter[str] = Counter()
    for i in members:
        centroid.update(vectors[i])
    medoid = min(
        speakers,
        key=lambda i: (
            -sum(graph.similarity(i, j) for j in members if j != i),
            -(comments[i].score or 0),
            i,
        ),
    )
    if not objectors:
        stance: Stance = "agree"
    elif len(objectors) >= len(supporters):
        stance = "disagree"
    else:
        stance = "mixed"
    return Position(
        summary=_label(members, comments, vectors),
        quote=_central_sentence(comments[medoid].text, centroid, idf),
        author=comments[medoid].author,
        supporters=len(supporters),
        stance=stance,
    )


def _label(members: list[int], comments: list[Comment], vectors: list[dict[str, float]]) -> str:
    # The words most members use, weighted by how distinctive they are in the thread.
    spread: Counter[str] = Counter()
    weight: Counter[str] = Counter()
    for i in members:
        spread.update(set(_words(comments[i].text)))
        weight.update(vectors[i])
    terms = sorted(weight, key=lambda t: (-spread[t], -weight[t], t))
    return ", ".join(terms[:_LABEL_WORDS])


def _central_sentence(text: str, centroid: Counter[str], idf: dict[str, float]) -> str:
    sentences = split_sentences(text)
    candidates = [s for s in sentences if len(_words(s)) >= _MIN_WORDS] or sentences or [text]
    best = max(
        enumerate(candidates),
        key=lambda pair: (cosine(unit_vector(_words(pair[1]), idf), centroid), -pair[0]),
    )[1]
    return shorten(best, QUOTE_LIMIT)


# --- Text: words and duplicates ----------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def _words(text: str) -> list[str]:
    """Content words of `text`, lower-cased, with plural and possessive endings folded."""
    words = []
    for token in _WORD.findall(text.lower().replace("’", "'")):
        token = token.removesuffix("'s")
        if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
            token = token[:-1]
        if token not in CONVERSATION and (len(token) > 1 or token.isdigit()):
            words.append(token)
    return words


@dataclass(frozen=True)
class DistinctComments:
    """A thread's comments with verbatim repeats dropped: what a recap counts and quotes."""

    comments: tuple[Comment, ...]
    kept_for: Mapping[str, str]  # a dropped repeat's id → the id of the comment kept for it


def distinct_comments(comments: Sequence[Comment]) -> DistinctComments:
    """`comments` that have text and an author, each text (whitespace and case aside) once."""
    kept: dict[str, Comment] = {}
    kept_for: dict[str, str] = {}
    for comment in comments:
        key = collapse_whitespace(comment.text).casefold()
        if not key or not comment.author:
            continue
        if key in kept:
            kept_for[comment.id] = kept[key].id
        else:
            kept[key] = comment
    return DistinctComments(tuple(kept.values()), kept_for)


# Cues are read at the start of a reply, where people say whether they agree; a "but" or
# "wrong" deep inside a comment is usually about something else.
_CUE_WINDOW = 120
_AGREE = re.compile(
    r"^\s*(?:\+1|this[.!]*$|exactly|agreed|absolutely|yes\b|yep|same here|same experience"
    r"|so true|100%|came here to say|well said|good point|seconded)"
    r"|\bi (?:fully |totally |completely |strongly )?agree\b|\bgood point\b|\bwell said\b"
)
_DISAGREE = re.compile(
    r"^\s*(?:no\b|nope|nah|not really|not quite|wrong|but\b|hardly|meh|that's not|not true)"
    r"|\bi (?:don't|do not|strongly |completely |respectfully )?disagree\b"
    r"|\bi (?:don't|do not) (?:think so|agree|buy)\b|\bnot really\b|\bnot true\b"
    r"|\b(?:you're|you are|that's|this is) (?:just )?wrong\b|\bi doubt\b"
)


def _reply_cue(text: str) -> Literal["agree", "disagree"] | None:
    """Whether a reply opens by agreeing or disagreeing with its parent; the earliest cue wins."""
    head = text[:_CUE_WINDOW].lower().replace("’", "'")
    agree, disagree = _AGREE.search(head), _DISAGREE.search(head)
    if disagree and (not agree or disagree.start() <= agree.start()):
        return "disagree"
    return "agree" if agree else None


# --- Vectors and clustering --------------------------------------------------------------------


def _cluster(graph: SimilarityGraph) -> list[list[int]]:
    """Average-linkage agglomerative clusters of the graph's documents, in first-member order.

    Repeatedly merges the most similar pair of groups until no pair averages above
    MERGE_THRESHOLD; ties go to the earliest pair, so the result is deterministic.
    """
    n = graph.size
    sim = [[0.0] * n for _ in range(n)]
    for key, similarity in graph.pairs.items():
        i, j = divmod(key, n)
        sim[i][j] = sim[j][i] = similarity
    groups = {i: [i] for i in range(n)}
    while len(groups) > 1:
        active = sorted(groups)
        best, pair = MERGE_THRESHOLD, None
        for x, a in enumerate(active):
            row = sim[a]
            for b in active[x + 1 :]:
                if row[b] > best:
                    best, pair = row[b], (a, b)
        if pair is None:
            break
        a, b = pair
        size_a, size_b = len(groups[a]), len(groups[b])
        # Lance–Williams update: the merged group's average similarity to every other group.
        for k in groups:
            if k not in pair:
                merged = (size_a * sim[a][k] + size_b * sim[b][k]) / (size_a + size_b)
                sim[a][k] = sim[k][a] = merged
        groups[a] = sorted(groups[a] + groups.pop(b))
    return [groups[k] for k in sorted(groups)]
