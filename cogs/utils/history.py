"""Finding a message an interrupted attempt already sent: Discord's nonce only guards a
resend for a few minutes, so after a longer outage the channel itself is read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import discord

log = logging.getLogger(__name__)


async def own_message_since(
    channel: discord.abc.Messageable,
    *,
    author_id: int,
    since: datetime,
    matches: Callable[[discord.Message], bool],
    limit: int,
) -> discord.Message | None:
    """The first message by `author_id` in `channel` since `since` that `matches`, among
    the `limit` oldest; None if there is none, or the history cannot be read."""
    try:
        async for message in channel.history(limit=limit, after=since, oldest_first=True):
            if message.author.id == author_id and matches(message):
                return message
    except discord.HTTPException as exc:
        log.warning("cannot read channel history to check for a sent message: %s", exc.text)
    return None
