"""Keyword alerts for members (/news alerts): a DM when a newly posted story matches one of
their keywords. The decisions are in `bot.decide.alerts`; this carries them out."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock, system_clock
from bot.content.text import escape_within
from bot.decide.alerts import (
    KEYWORD_CHARS,
    MAX_KEYWORDS,
    AlertDm,
    matches,
    normalized_keyword,
    plan_dms,
)
from bot.roles import EVERY_MEMBER, Shard
from bot.store import Store

log = logging.getLogger(__name__)

PAUSED_NOTICE = (
    "Your keyword alerts are paused: Discord would not let the bot send you a DM (your "
    "privacy settings for this server, or a block). Allow direct messages from server "
    "members, then add a keyword again with /news alerts add to resume them."
)


class AlertError(ValueError):
    """The keyword cannot be added or removed; `str()` says why, for the member."""


class AlertService:
    def __init__(
        self, store: Store, *, clock: Clock = system_clock, shard: Shard = EVERY_MEMBER
    ) -> None:
        self._store = store
        self._now = clock
        self._shard = shard  # whose DMs this publisher sends, by member id

    async def add(self, guild_id: int, user_id: int, text: str) -> str:
        keyword = normalized_keyword(text)
        if keyword is None:
            low, high = KEYWORD_CHARS
            raise AlertError(f"A keyword is {low} to {high} characters: a word or a phrase.")
        current = await self._store.keywords(guild_id, user_id)
        if keyword in current:
            raise AlertError(f"You already follow “{keyword}”.")
        if len(current) >= MAX_KEYWORDS:
            raise AlertError(
                f"You follow {MAX_KEYWORDS} keywords already, the most there can be; "
                "remove one first with /news alerts remove."
            )
        await self._store.add_keyword(guild_id, user_id, keyword)
        return keyword

    async def remove(self, guild_id: int, user_id: int, text: str) -> str:
        keyword = normalized_keyword(text) or text
        if not await self._store.remove_keyword(guild_id, user_id, keyword):
            raise AlertError(f"You do not follow “{keyword}”; /news alerts list shows yours.")
        return keyword

    async def keywords(self, guild_id: int, user_id: int) -> list[str]:
        return await self._store.keywords(guild_id, user_id)

    async def note_post(self, channel_id: int, item_id: int) -> int:
        """A story was just posted in `channel_id`: remember it for every member of that
        server whose keyword it matches (once per member and story). Returns how many."""
        item = await self._store.item_by_id(item_id)
        if item is None or item.story_id is None:
            return 0
        guild_id = await self._store.guild_of_channel(channel_id)
        if guild_id is None:
            return 0
        hits = [
            (user, keyword)
            for user, keyword in await self._store.guild_keywords(guild_id)
            if matches(keyword, item.title, item.summary)
        ]
        if hits:
            await self._store.record_hits(guild_id, item.story_id, item.id, hits)
        return len(hits)

    async def due(self) -> list[AlertDm]:
        """The DMs to send now, within each member's hourly cap (the members of this
        publisher's shard: each member's DMs are sent by one publisher only)."""
        now = self._now()
        dms = plan_dms(
            await self._store.waiting_hits(),
            await self._store.dm_times(now - timedelta(hours=1)),
            now=now,
        )
        return [dm for dm in dms if self._shard.owns(dm.user_id)]

    async def sent(self, dm: AlertDm) -> None:
        await self._store.mark_sent([hit.id for hit in dm.hits], self._now())

    async def undeliverable(self, dm: AlertDm) -> None:
        """The member accepts no DMs from the bot: their alerts pause until they act."""
        log.info("alerts of member %s paused: they accept no DMs", dm.user_id)
        await self._store.pause_alerts(dm.user_id, self._now())

    async def pause_notice(self, user_id: int) -> str | None:
        """The notice that their alerts paused, the first time it is asked for."""
        return PAUSED_NOTICE if await self._store.take_pause_notice(user_id) else None


def dm_text(dm: AlertDm) -> str:
    """The alert DM: each matching story on a line, with its keyword and link."""
    lines = ["New stories matching your keywords:"]
    for hit in dm.hits:
        link = f" <{hit.link}>" if hit.link and len(hit.link) <= 500 else ""
        title, keyword = escape_within(hit.title, 200), escape_within(hit.keyword, 60)
        lines.append(f"• {title} (“{keyword}”){link}")
    return "\n".join(lines)
