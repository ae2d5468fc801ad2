"""Who answers whom in a comment thread, and whether each reply backs or disputes the point.

    [Comment] | own_text | read_replies -> Replies (each comment's sub-thread and side)

A thread is a forest: every top-level comment opens a sub-thread of replies. A reply's side is
read from how it opens ("Exactly", "+1" back the comment answered; "No,", "Actually, …",
"Yes, but …" push back) and carried down the chain, so disputing a reply that disputed the
opening comment backs the opening comment again. Quoted lines ("> …") repeat the words being
answered, so cues are read only from what the replier wrote. Pure functions over comments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.discussions.comments import Comment

Cue = Literal["agree", "disagree"]


def own_text(text: str) -> str:
    """`text` without its quoted lines ("> …", or "&gt; …" left escaped): the commenter's words.

    HN and Reddit comments arrive with quotes already dropped (`bot.discussions.comments`);
    this keeps any other source from passing the parent's words off as the replier's.
    """
    return "\n".join(line for line in text.splitlines() if not _is_quoted(line))


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith((">", "&gt;"))


@dataclass(frozen=True)
class Replies:
    """For each comment (by index): the top-level comment of its sub-thread and its side.

    `root[i] == i` for a top-level comment, and for a reply whose parent is not in the thread
    (deleted, or beyond the fetch limits). `side[i]` is +1 when comment i makes or backs its
    root's point, -1 when it disputes it, 0 when it does neither or it cannot be told.
    """

    root: tuple[int, ...]
    side: tuple[int, ...]

    def sub_threads(self) -> dict[int, list[int]]:
        """Each top-level comment → its sub-thread (itself, then its replies), in thread order."""
        threads: dict[int, list[int]] = {}
        for i, root in enumerate(self.root):
            threads.setdefault(root, []).append(i)
        return threads


def read_replies(
    comments: Sequence[Comment], texts: Sequence[str], kept_for: Mapping[str, str]
) -> Replies:
    """Sub-threads and sides of `comments`, whose own words (quotes dropped) are `texts`.

    `kept_for` maps the id of a dropped verbatim repeat to the comment kept for it, so a reply
    to the repeat answers the kept comment. A reply to oneself keeps one's side; a cycle in
    bad data is cut where it is found.
    """
    index = {c.id: i for i, c in enumerate(comments)}
    parent: list[int | None] = []
    for i, comment in enumerate(comments):
        found = (
            index.get(kept_for.get(comment.parent_id, comment.parent_id))
            if comment.parent_id
            else None
        )
        parent.append(None if found == i else found)
    root: list[int] = [-1] * len(comments)
    side: list[int] = [0] * len(comments)
    for start in range(len(comments)):
        # Climb to a comment already read (or the top), then read the chain back down.
        chain: list[int] = []
        on_chain: set[int] = set()
        at: int | None = start
        while at is not None and root[at] < 0 and at not in on_chain:
            chain.append(at)
            on_chain.add(at)
            at = parent[at]
        for i in reversed(chain):
            up = parent[i]
            if up is None or root[up] < 0:  # the top, or where a cycle is cut
                root[i], side[i] = i, 1
            elif comments[i].author == comments[up].author:
                root[i], side[i] = root[up], side[up]
            else:
                root[i], side[i] = root[up], side[up] * _CUE_SIGN[reply_cue(texts[i])]
    return Replies(tuple(root), tuple(side))


_CUE_SIGN: dict[Cue | None, int] = {"agree": 1, "disagree": -1, None: 0}

# Cues are read at the start of a reply, where people say whether they agree; a "but" or
# "wrong" deep inside a comment is usually about something else.
_CUE_WINDOW = 120
_AGREE = re.compile(
    r"^\s*(?:\+1|this[.!]*$|exactly|agreed|absolutely|yes\b|yep|yup|same here|same experience"
    r"|so true|100%|came here to say|well said|good point|seconded|indeed|no doubt|no kidding)"
    r"|\bi (?:fully |totally |completely |strongly )?agree\b|\bgood point\b|\bwell said\b"
)
# "But" leading a counter-claim pushes back even after a polite opener: "Yes, but …".
_GRANTED = (
    r"(?:yes|yeah|sure|true|ok|okay|fair|granted|maybe|perhaps|agreed"
    r"|good point|fair point|fair enough)"
)
_DISAGREE = re.compile(
    r"^\s*(?:no\b(?![ -](?:doubt|kidding))|nope|nah|not really|not quite|not so\b|wrong|but\b"
    r"|hardly|meh|that's not|that isn't|not true|actually\b|hard disagree|disagree\b"
    r"|counterpoint|on the contrary|incorrect|false\b|i'm not so sure|citation needed)"
    rf"|^\s*{_GRANTED}[\s,.!;:-]*but\b"
    r"|\bi (?:don't|do not|strongly |completely |respectfully |have to |must )?disagree\b"
    r"|\bi (?:don't|do not) (?:think so|agree|buy)\b|\bnot really\b|\bnot true\b"
    r"|\b(?:you're|you are|that's|that is|this is) (?:just |simply |plain )?"
    r"(?:wrong|incorrect|false|not true)\b|\bi doubt\b"
)


def reply_cue(text: str) -> Cue | None:
    """Whether a reply opens by agreeing or disagreeing with its parent; the earliest cue wins,
    and a tie goes to disagreeing ("Yes, but …" is pushback)."""
    head = own_text(text).lstrip()[:_CUE_WINDOW].lower().replace("’", "'")
    agree, disagree = _AGREE.search(head), _DISAGREE.search(head)
    if disagree and (not agree or disagree.start() <= agree.start()):
        return "disagree"
    return "agree" if agree else None
