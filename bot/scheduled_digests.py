"""Scheduled digests: which server's digest is due now, in which channel, and recording each
one so it is posted once — a schedule missed while the bot was down is posted once on start
(the latest missed one only), never twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, system_clock
from bot.decide.digest_schedule import digest_period, latest_due
from bot.decide.outbox import CLOCK_SKEW
from bot.digest import Digest, DigestService, Period
from bot.server_settings import ServerSettingsService
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueDigest:
    guild_id: int
    due_at: datetime
    channel_id: int
    period: Period
    look_back_from: datetime | None = None  # an earlier attempt may have posted it

    @property
    def nonce(self) -> str:
        # Discord returns the first message again for a nonce it saw in the last minutes.
        return f"bazaar-digest-{self.guild_id}-{int(self.due_at.timestamp())}"


class ScheduledDigests:
    def __init__(
        self,
        store: Store,
        servers: ServerSettingsService,
        digests: DigestService,
        *,
        clock: Clock = system_clock,
    ) -> None:
        self._store = store
        self._servers = servers
        self._digests = digests
        self._now = clock

    async def due(self) -> list[DueDigest]:
        """The digests to post now: each server's latest scheduled one not posted yet."""
        now = self._now()
        found = []
        for guild_id in await self._store.digest_schedules():
            server = await self._servers.get(guild_id)
            due_at = latest_due(server.digest, now)
            if due_at is None:
                continue
            run = await self._store.digest_run(guild_id, due_at)
            if run is not None and run[0] != "sending":
                continue  # posted, or not wanted
            channel = server.digest.channel_id or server.default_channel_id
            if channel is None:
                log.warning("server %s has a digest schedule but no channel for it", guild_id)
                await self._store.record_digest_run(guild_id, due_at, "skipped")
                continue
            period = Period.WEEK if digest_period(server.digest).days == 7 else Period.DAY
            # From a little before the attempt: Discord dates the message by its own clock.
            look_back = run[1] - CLOCK_SKEW if run is not None and run[1] else None
            found.append(DueDigest(guild_id, due_at, channel, period, look_back))
        return found

    async def started(self, due: DueDigest) -> Digest:
        """Record that sending starts now, and return the digest to send."""
        await self._store.record_digest_run(
            due.guild_id, due.due_at, "sending", channel_id=due.channel_id
        )
        return await self._digests.digest(due.guild_id, due.period)

    async def posted(self, due: DueDigest, message_id: int | None) -> None:
        await self._store.record_digest_run(
            due.guild_id, due.due_at, "posted", channel_id=due.channel_id, message_id=message_id
        )

    async def schedule_set(self, guild_id: int) -> None:
        """A server just set its schedule: the moment already past is not "missed"."""
        server = await self._servers.get(guild_id)
        due_at = latest_due(server.digest, self._now())
        if due_at is not None and await self._store.digest_run(guild_id, due_at) is None:
            await self._store.record_digest_run(guild_id, due_at, "skipped")
