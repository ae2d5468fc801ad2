"""Which of a forum's post tags a story's post gets: those named like the story's tags."""

from __future__ import annotations

from collections.abc import Sequence

MAX_APPLIED_TAGS = 5  # Discord's limit per forum post


def forum_tags(available: Sequence[tuple[int, str]], story_tags: Sequence[str]) -> list[int]:
    """The ids of the forum tags (id, name) whose name is one of `story_tags`, in the story's
    order; names compare without case, spaces, dashes or underscores ("Model release" is
    `model-release`)."""
    by_name = {_plain(name): tag_id for tag_id, name in available}
    found = [by_name[_plain(tag)] for tag in story_tags if _plain(tag) in by_name]
    return list(dict.fromkeys(found))[:MAX_APPLIED_TAGS]


def _plain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())
