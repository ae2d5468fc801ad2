"""Discussion recaps: the main positions in a comment thread, each with a quote, no model.

    [Comment] | dedupe | own words | sub-threads + reply sides | group by subject -> Recap | render

Extractive and deterministic: every label and quote is something a commenter wrote, attributed
to them; the same comments always give the same recap. The thread's structure leads: each
top-level comment and its replies is a sub-thread, and sub-threads on the same subject (TF-IDF
similarity, average linkage) make one position, so a sub-thread many people joined is never
lost. Agreement and disagreement come from replies (`bot.discussions.replies`): a reply opening
with "Exactly" backs the point it answers, one opening with "No," or "Actually, …" disputes it.
Fetching lives in `bot.discussions.comments`; this module only decides, so it runs in a thread
(`recap_comments_async`) and is tested without a server.
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
from bot.discussions.phrases import (
    MIN_WORDS,
    QUOTE_LIMIT,
    content_words,
    label_phrase,
    quote_sentence,
)
from bot.discussions.replies import Replies, own_text, read_replies
from bot.models import Summary
from bot.summarize.sentences import split_sentences
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
SUMMARY_LIMIT = 60  # what `render` shows of a position's summary
POST_SUMMARY_CHARS = 1000  # what a post shows of a summary (bot.posts.SUMMARY_LIMIT)
MIN_COMMENTS = 3  # fewer substantive comments than this is a chat, not a discussion
# As many positions as a Discord message shows comfortably; every big sub-thread fits.
MAX_POSITIONS = 5
# A top-level comment with this many replies is a discussion of its own: it anchors a position.
BIG_SUB_THREAD = 3
# Grouping is cubic in the number of sub-threads; the first ones (the site's top-ranked,
# breadth-first) carry the discussion, so later comments are counted but not quoted.
MAX_CLUSTERED = 200
# Average cosine similarity two groups of sub-threads need to merge. TF-IDF over comments is
# sparse: sub-threads on the same subject share a few rare words, others almost none. Two big
# sub-threads each hold a discussion; they merge only when plainly about the same thing.
MERGE_THRESHOLD = 0.1
SAME_SUBJECT_THRESHOLD = 0.3


@dataclass(frozen=True)
class Position:
    """One point made in the thread: a phrase naming it, a quote and who backs or disputes it.

    `summary` is a few words a commenter wrote (the offline recap) or the model's words (the
    LLM recap); `quote` is a sentence `author` wrote. `supporters` counts distinct people who
    made the point or replied backing it, `disputers` those who replied disputing it (or backed
    a reply that did); `participants` everyone in the position's sub-threads, when known.
    `stance` is "agree" when nobody pushed back, "mixed" when some did, "disagree" when as
    many or more pushed back as backed it.
    """

    summary: str
    quote: str
    author: str
    supporters: int
    stance: Stance
    disputers: int = 0
    participants: int | None = None
    # The strongest reply against it, in its author's own words (offline recap only).
    counter: str = ""
    counter_author: str = ""
    # The whole sentence `summary` was taken from (offline recap only).
    said: str = ""
    # A second voice backing it, when several people did (offline recap only).
    also: str = ""
    also_author: str = ""
    # Everyone else's words on it, (author, sentence, "for"/"against"/""), closest first.
    voices: tuple[tuple[str, str, str], ...] = ()


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

    def as_summary(self, max_points: int = 3) -> Summary:
        """The recap as a post's summary (plain text, as every summary is): the position
        most people took part in as the TL;DR, the next ones as key points."""
        lines = [_plain_position(p) for p in self.positions[: max_points + 1]]
        if not lines:
            return Summary(tldr=f"{self.comment_count} comments, no position stands out.")
        # As many positions as fit a post whole (bot.posts.SUMMARY_LIMIT), then, while
        # room is left, more of what was said on each, one voice per position in turn.
        kept, size = lines[:1], len(lines[0])
        for line in lines[1:]:
            if size + len(line) + 3 <= POST_SUMMARY_CHARS:
                kept.append(line)
                size += len(line) + 3
        positions = list(self.positions[: len(kept)])
        for depth in range(max((len(p.voices) for p in positions), default=0)):
            for n, position in enumerate(positions):
                if depth >= len(position.voices):
                    continue
                author, sentence, side = position.voices[depth]
                addition = f"; {side + ': ' if side else ''}“{sentence}” — {author}"
                if size + len(addition) <= POST_SUMMARY_CHARS:
                    kept[n] += addition
                    size += len(addition)
        return Summary(tldr=kept[0], key_points=tuple(kept[1:]))


_STANCE_WORDS = {"agree": "broad agreement", "mixed": "some pushback", "disagree": "disputed"}


def _render_position(position: Position, prefix: str) -> str:
    summary = escape_text(shorten(position.summary, SUMMARY_LIMIT))
    quote = escape_text(shorten(collapse_whitespace(position.quote), QUOTE_LIMIT))
    author = escape_text(shorten(collapse_whitespace(position.author), 40))
    return f"• {summary} ({_tally(position)}): “{quote}” — {prefix}{author}"


def _plain_position(position: Position) -> str:
    """A position in a post's summary: what its opener said (the sentence its label comes
    from, then the quote), who backs and who disputes it, and the strongest reply against."""
    quote = collapse_whitespace(position.quote)
    said = collapse_whitespace(position.said)
    if said and said != quote and len(said) + len(quote) < 2 * QUOTE_LIMIT:
        quote = f"{said} {quote}"
    line = f"“{shorten(quote, 2 * QUOTE_LIMIT)}” — {position.author} ({_tally(position)})"
    if position.also:
        also = shorten(collapse_whitespace(position.also), QUOTE_LIMIT)
        line += f"; also “{also}” — {position.also_author}"
    if position.counter:
        counter = shorten(collapse_whitespace(position.counter), QUOTE_LIMIT)
        line += f"; against: “{counter}” — {position.counter_author}"
    return line


def _tally(position: Position) -> str:
    """ "8 people, some pushback: 5 for, 2 against", or "3 people, broad agreement"."""
    people = position.supporters if position.participants is None else position.participants
    noun = "person" if people == 1 else "people"
    stance = _STANCE_WORDS[position.stance]
    if position.stance == "agree" and position.supporters < 2:
        stance = "no pushback"  # one voice, or replies that neither back nor dispute it
    if position.disputers:
        return f"{people} {noun}, {stance}: {position.supporters} for, {position.disputers} against"
    return f"{people} {noun}, {stance}"


def _is_reddit(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "reddit.com" or host.endswith(".reddit.com")


def _is_plain_url(url: str) -> bool:
    # Only a well-formed web address goes in the footer; <…> keeps Discord from embedding it.
    return url.startswith(("http://", "https://")) and not re.search(r"[\s<>@`]", url)


async def recap_comments_async(
    comments: Sequence[Comment], *, source_url: str, max_positions: int = MAX_POSITIONS
) -> Recap | None:
    """`recap_comments` in a worker thread, so grouping never blocks the event loop."""
    return await asyncio.to_thread(
        recap_comments, comments, source_url=source_url, max_positions=max_positions
    )


def recap_comments(
    comments: Sequence[Comment], *, source_url: str, max_positions: int = MAX_POSITIONS
) -> Recap | None:
    """The thread's main positions, most people first; None with under 3 substantive comments.

    Every sub-thread with BIG_SUB_THREAD or more replies anchors a position of its own unless
    it is about the same subject as another; smaller ones join the position on their subject
    or stand alone. A comment repeated verbatim counts once; `comment_count` is the number of
    distinct comments. Pure and deterministic: ties are broken by the order of `comments`.
    """
    distinct = distinct_comments(comments)
    unique = distinct.comments
    texts = [own_text(c.text) for c in unique]
    terms = [content_words(text) for text in texts]
    quotable = [i for i, t in enumerate(terms) if len(t) >= MIN_WORDS][:MAX_CLUSTERED]
    if len(quotable) < MIN_COMMENTS or max_positions < 1:
        return None
    replies = read_replies(unique, texts, distinct.kept_for)
    idf = inverse_document_frequency([terms[i] for i in quotable])
    vectors = {i: unit_vector(terms[i], idf) for i in quotable}
    # Only sub-threads with something quotable can be a position.
    threads = [t for t in replies.sub_threads().values() if any(i in vectors for i in t)]
    thread_vectors = [
        unit_vector([w for i in thread if i in vectors for w in terms[i]], idf)
        for thread in threads
    ]
    big = {n for n, thread in enumerate(threads) if len(thread) - 1 >= BIG_SUB_THREAD}
    groups = [
        tuple(sorted(i for n in group for i in threads[n]))
        for group in _group(similarity_graph(thread_vectors), big)
    ]
    thread = _Thread(unique, texts, vectors, idf, replies)
    ranked = sorted(
        (_Tally.of(members, thread) for members in groups),
        key=lambda t: (-t.participants, -t.score, t.members[0]),
    )
    # A point only one person made is a position only when the thread has little else.
    engaged = [t for t in ranked if t.participants >= 2]
    chosen = engaged if len(engaged) >= min(2, max_positions) else ranked
    positions = tuple(_position(t, thread) for t in chosen[:max_positions])
    return Recap(positions=positions, comment_count=len(unique), source_url=source_url)


@dataclass(frozen=True)
class _Thread:
    """What the positions are read from: the distinct comments, their own words and vectors."""

    comments: Sequence[Comment]
    texts: Sequence[str]  # each comment's own words, quoted lines dropped
    vectors: Mapping[int, dict[str, float]]  # the quotable comments' TF-IDF vectors
    idf: Mapping[str, float]
    replies: Replies


@dataclass(frozen=True)
class _Tally:
    """Who took part in one position's sub-threads, and on which side."""

    members: tuple[int, ...]
    participants: int
    supporters: frozenset[str]
    disputers: frozenset[str]
    score: int

    @classmethod
    def of(cls, members: tuple[int, ...], thread: _Thread) -> _Tally:
        comments, side = thread.comments, thread.replies.side
        # Whoever opened a sub-thread made the point; anyone else who disputed it anywhere
        # counts against it, even if they backed a reply elsewhere.
        openers = {comments[i].author for i in members if thread.replies.root[i] == i}
        against = {comments[i].author for i in members if side[i] < 0} - openers
        backing = {comments[i].author for i in members if side[i] > 0} - against
        return cls(
            members=members,
            participants=len({comments[i].author for i in members}),
            supporters=frozenset(backing),
            disputers=frozenset(against),
            score=sum(comments[i].score or 0 for i in members),
        )


def _position(tally: _Tally, thread: _Thread) -> Position:
    comments = thread.comments
    quotable = [i for i in tally.members if i in thread.vectors]
    centroid: Counter[str] = Counter()
    for i in quotable:
        centroid.update(thread.vectors[i])
    # The label and quote speak for the position: they come from someone backing it, first
    # from whoever opened its biggest sub-thread, since that is the comment replies answered.
    backing = [
        i for i in quotable if thread.replies.side[i] > 0 and comments[i].author in tally.supporters
    ]
    openers = [i for i in backing if thread.replies.root[i] == i]
    people: dict[int, set[str]] = {}
    for i in tally.members:
        people.setdefault(thread.replies.root[i], set()).add(comments[i].author)
    central = max(
        openers or backing or quotable,
        key=lambda i: (
            len(people.get(i, ())),
            cosine(thread.vectors[i], centroid),
            comments[i].score or 0,
            -i,
        ),
    )
    label, said_in = label_phrase(split_sentences(thread.texts[central]), centroid, thread.idf)
    supporters, disputers = len(tally.supporters), len(tally.disputers)
    if not disputers:
        stance: Stance = "agree"
    elif disputers >= supporters:
        stance = "disagree"
    else:
        stance = "mixed"
    against = [i for i in quotable if thread.replies.side[i] < 0]
    counter = max(
        against,
        key=lambda i: (comments[i].score or 0, cosine(thread.vectors[i], centroid), -i),
        default=None,
    )
    seconds = [i for i in backing if comments[i].author != comments[central].author]
    second = max(
        seconds,
        key=lambda i: (cosine(thread.vectors[i], centroid), comments[i].score or 0, -i),
        default=None,
    )
    heard = {central, second, counter}
    others = sorted(
        (i for i in quotable if i not in heard),
        key=lambda i: (-cosine(thread.vectors[i], centroid), i),
    )
    sides = {1: "for", -1: "against"}
    voices = tuple(
        (comments[i].author, _point(thread, i, centroid), sides.get(thread.replies.side[i], ""))
        for i in others
    )
    return Position(
        voices=voices,
        also=_point(thread, second, centroid) if second is not None else "",
        also_author=comments[second].author if second is not None else "",
        summary=label,
        quote=_point(thread, central, centroid, besides=said_in),
        said=said_in,
        author=comments[central].author,
        supporters=supporters,
        stance=stance,
        disputers=disputers,
        participants=tally.participants,
        counter=_point(thread, counter, centroid) if counter is not None else "",
        counter_author=comments[counter].author if counter is not None else "",
    )


def _point(thread: _Thread, index: int, centroid: Mapping[str, float], besides: str = "") -> str:
    """What a comment says on the position's subject, in its own words."""
    return quote_sentence(thread.texts[index], centroid, thread.idf, besides=besides)


# --- Duplicates ----------------------------------------------------------------------------


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


# --- Grouping sub-threads by subject -----------------------------------------------------------


def _group(graph: SimilarityGraph, big: set[int]) -> list[list[int]]:
    """Average-linkage agglomerative groups of the graph's documents, in first-member order.

    Repeatedly merges the most similar pair of groups until no pair averages above
    MERGE_THRESHOLD, or SAME_SUBJECT_THRESHOLD when both hold a `big` document; ties go to the
    earliest pair, so the result is deterministic.
    """
    n = graph.size
    sim = [[0.0] * n for _ in range(n)]
    for key, similarity in graph.pairs.items():
        i, j = divmod(key, n)
        sim[i][j] = sim[j][i] = similarity
    groups = {i: [i] for i in range(n)}
    anchored = {i: i in big for i in range(n)}
    while len(groups) > 1:
        active = sorted(groups)
        best, pair = 0.0, None
        for x, a in enumerate(active):
            row = sim[a]
            for b in active[x + 1 :]:
                needed = SAME_SUBJECT_THRESHOLD if anchored[a] and anchored[b] else MERGE_THRESHOLD
                if row[b] > needed and row[b] > best:
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
        anchored[a] = anchored[a] or anchored.pop(b)
    return [groups[k] for k in sorted(groups)]
