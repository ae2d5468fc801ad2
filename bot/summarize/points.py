"""Sentences that stand alone: a key point must make sense without its neighbours.

A sentence that leans on the one before ("But it is slower.", "This means…", "The twist is
the licence.") is resolved where a rule can do it honestly — a leading connective dropped,
a teaser joined to the sentence it announces — and is otherwise not a key point. Feed and
newsletter furniture (hnrss's "Comments URL:", "The post … appeared first on …", share and
subscribe lines) is never one.
"""

from __future__ import annotations

import re

# Connectives that tie a sentence to the previous one; what follows them usually stands
# alone ("But Llama 4 is slower." → "Llama 4 is slower.").
_CONNECTIVE = re.compile(
    r"^(?:but|and|so|yet|or|also|plus|still|however|meanwhile|instead|then|moreover"
    r"|furthermore|additionally|besides|in addition|similarly|likewise|thus|therefore|hence"
    r"|as a result|that said|even so|after all|in fact|indeed|of course|now|finally"
    r"|first|second|third|firstly|secondly|lastly|on top of that|on the other hand)\b,?\s+",
    re.IGNORECASE,
)
# A pronoun as the subject: the sentence is about something named before it.
_PRONOUN = re.compile(
    r"^(?:it|its|it's|they|they're|their|them|he|she|his|her|him|which|the latter|the former"
    r"|neither|either|the same)\b",
    re.IGNORECASE,
)
# A demonstrative on its own ("This means…", "That is why…"), not before a noun ("This
# release adds GGUF support." names what it is about).
_DEMONSTRATIVE = re.compile(
    r"^(?:this|that|these|those|such|both|another|others?)"
    r"(?:\s+(?:is|are|was|were|has|have|had|will|would|can|could|may|might|should|means?"
    r"|meant|does|did|do|gives?|makes?|matters?|says?|seems?|shows?|also|all|one|ones|said"
    r"|alone|too|again|way|kind|sort|time|part|step|move)\b|\s*[,.;:!?'’]|$)",
    re.IGNORECASE,
)
# "The twist is the licence." / "Here's the catch:" — a sentence that only announces the next.
_TEASER = re.compile(
    r"^(?:the|here'?s the|and the|but the)\s+(?:twist|catch|kicker|surprise|thing|news|point"
    r"|question|answer|reason|problem|upshot|bottom line|good news|bad news|big news|headline"
    r"|short version|tl;?dr)\b",
    re.IGNORECASE,
)
_TEASER_WORDS = 8

# Feed and newsletter furniture, on lowercased text: what a line starts with ("Comments URL:",
# hnrss's lines; "Tags:", "Share"), and phrases that make a line furniture wherever they are.
# Plain strings, not a pattern: this runs on every sentence of every summarized item.
_FURNITURE_STARTS = (
    "article url:", "comments url:", "points:", "# comments:", "#comments:", "comments:",
    "score:", "submitted by", "link:", "via:", "tags:", "tag:", "categories:", "filed under",
    "posted in", "related post", "share:", "share this", "tweet", "permalink", "[link]",
    "[comments]",
)  # fmt: skip
_FURNITURE_PHRASES = (
    "appeared first on", "originally published", "originally posted", "originally appeared",
    "thanks for reading", "thank you for reading", "subscribe", "view in browser",
    "view in your browser", "view this in", "view it in", "forward this", "forwarded this",
    "share this", "share on ", "share via", "share with", "follow me on", "follow us on",
    "if you enjoyed", "if you liked", "sign up", "sponsored by",
)  # fmt: skip


def minimal_clues(clues: tuple[str, ...]) -> tuple[str, ...]:
    """`clues` without those holding another: a text holds one of the rest exactly when it
    holds one of them all, in fewer tests."""
    unique = sorted(set(clues), key=len)
    return tuple(c for n, c in enumerate(unique) if not any(o in c for o in unique[:n]))


# Every furniture line holds one of these: what a paragraph must hold to need a closer look.
FURNITURE_CLUES = minimal_clues((*_FURNITURE_STARTS, *_FURNITURE_PHRASES))


def is_furniture(lowered: str) -> bool:
    """Whether a lowercased sentence or line is feed or newsletter furniture."""
    return lowered.startswith(_FURNITURE_STARTS) or any(p in lowered for p in _FURNITURE_PHRASES)


def standalone(sentence: str) -> str | None:
    """`sentence` as a point that stands alone, or None when it cannot without its
    neighbours: a leading connective is dropped; a pronoun subject disqualifies it."""
    text = sentence.strip()
    for _ in range(2):  # "And so, …"
        stripped = _CONNECTIVE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped[:1].upper() + stripped[1:]
    if (
        _PRONOUN.match(text)
        or _DEMONSTRATIVE.match(text)
        or is_teaser(text)
        or not text[:1].isalnum()
    ):
        return None if not _starts_with_quote(text) else text
    return text


def _starts_with_quote(text: str) -> bool:
    return text[:1] in "\"“'‘" and len(text) > 1 and text[1].isalnum()


def is_teaser(sentence: str) -> bool:
    """Whether `sentence` only announces what the next one says ("The twist is the licence.")."""
    return bool(_TEASER.match(sentence.strip())) and len(sentence.split()) <= _TEASER_WORDS


def join_teaser(teaser: str, following: str) -> str:
    """A teaser and the sentence it announces, as one: "The twist is the licence: Devstral
    Small 2 is Apache 2.0."""
    head = teaser.rstrip().rstrip(".:!—–- ")
    return f"{head}: {following.strip()}"
