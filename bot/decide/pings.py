"""Which role, if any, a post mentions: none unless an admin opted in, for the feed in that
channel or for one of the story's tags; only a story's post (never a note, a recap or a
notice), so a story pings a channel at most once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.models import OutboxKind


def ping_role(
    kind: OutboxKind,
    *,
    feed_role: int | None,
    tag_roles: Mapping[str, int],
    tags: Sequence[str],
) -> int | None:
    """The role to mention: the feed's in this channel, else that of its first tag that
    has one (tags in their fixed order), else none."""
    if kind is not OutboxKind.POST:
        return None
    if feed_role is not None:
        return feed_role
    return next((tag_roles[tag] for tag in tags if tag in tag_roles), None)
