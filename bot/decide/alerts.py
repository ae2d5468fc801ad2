"""Keyword alerts, decided: which members a posted story concerns, and when each gets a DM.

A keyword matches as whole words, in any case, in the story's title or summary ("qwen" in
"Qwen3 ships", not in "qwenlike"). A member gets at most `per_hour` DMs an hour; matches
beyond that wait and go together in the next DM, so a busy hour is one more DM, not ten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_KEYWORDS = 10
KEYWORD_CHARS = (2, 60)
PER_HOUR = 3
MAX_STORIES_PER_DM = 10


def matches(keyword: str, *texts: str) -> bool:
    """Whether `keyword` (a word or phrase) is in any of `texts`, as whole words, any case."""
    words = [re.escape(word) for word in keyword.split()]
    if not words:
        return False
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
    return any(pattern.search(text) for text in texts)


def normalized_keyword(text: str) -> str | None:
    """The keyword as stored (whitespace squashed, lowercase), or None if it is too short or
    too long to be one."""
    keyword = " ".join(text.split()).lower()
    low, high = KEYWORD_CHARS
    return keyword if low <= len(keyword) <= high else None


@dataclass(frozen=True)
class PendingHit:
    id: int
    user_id: int
    title: str
    link: str | None
    keyword: str
    created_at: datetime


@dataclass(frozen=True)
class AlertDm:
    user_id: int
    hits: tuple[PendingHit, ...]


def plan_dms(
    pending: Sequence[PendingHit],
    sent_at: Mapping[int, Sequence[datetime]],
    *,
    now: datetime,
    per_hour: int = PER_HOUR,
) -> list[AlertDm]:
    """The DMs to send now: one per member with waiting matches whose DMs of the last hour
    leave room, holding all their waiting matches (oldest first, at most
    `MAX_STORIES_PER_DM`; the rest wait for the next)."""
    by_user: dict[int, list[PendingHit]] = {}
    for hit in sorted(pending, key=lambda h: (h.created_at, h.id)):
        by_user.setdefault(hit.user_id, []).append(hit)
    hour_ago = now - timedelta(hours=1)
    dms = []
    for user_id, hits in sorted(by_user.items()):
        recent = [t for t in sent_at.get(user_id, ()) if t > hour_ago]
        if len(recent) < per_hour:
            dms.append(AlertDm(user_id, tuple(hits[:MAX_STORIES_PER_DM])))
    return dms
