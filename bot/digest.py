"""The day's or the week's top stories of a server, on demand (/news digest)."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from bot.clock import Clock, system_clock
from bot.decide.digest import Digest, plan_digest
from bot.store import Store


class Period(Enum):
    DAY = "day"
    WEEK = "week"

    @property
    def span(self) -> timedelta:
        return timedelta(days=1) if self is Period.DAY else timedelta(days=7)


class DigestService:
    def __init__(self, store: Store, *, clock: Clock = system_clock) -> None:
        self._store = store
        self._now = clock

    async def digest(self, guild_id: int | None, period: Period = Period.DAY) -> Digest:
        """The guild's digest (every followed feed's, if `guild_id` is None)."""
        now = self._now()
        candidates = await self._store.digest_candidates(guild_id, now - period.span)
        return plan_digest(candidates, now=now, period=period.span)
