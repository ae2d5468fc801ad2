"""Keyword alerts: members' keywords, the stories that matched them, and their DMs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.decide.alerts import PendingHit
from bot.models import Item
from bot.store.base import StoreBase
from bot.store.schema import from_db_time, item_from_row, to_db_time


class AlertQueries(StoreBase):
    async def add_keyword(self, guild_id: int, user_id: int, keyword: str) -> bool:
        """Add the keyword (False if the member had it already); alerts resume if paused."""
        now = to_db_time(self.clock())
        async with self._transaction() as tx:
            changed = await tx.execute(
                """INSERT INTO alert_keywords (guild_id, user_id, keyword, created_at)
                   VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                (guild_id, user_id, keyword, now),
            )
            await tx.execute(
                """INSERT INTO alert_members (guild_id, user_id) VALUES (?, ?)
                   ON CONFLICT (guild_id, user_id) DO UPDATE
                   SET paused_at = NULL, tell_paused = 0""",
                (guild_id, user_id),
            )
            return changed == 1

    async def remove_keyword(self, guild_id: int, user_id: int, keyword: str) -> bool:
        async with self._transaction() as tx:
            changed = await tx.execute(
                "DELETE FROM alert_keywords WHERE guild_id = ? AND user_id = ? AND keyword = ?",
                (guild_id, user_id, keyword),
            )
            return changed == 1

    async def keywords(self, guild_id: int, user_id: int) -> list[str]:
        rows = await self._fetchall(
            """SELECT keyword FROM alert_keywords WHERE guild_id = ? AND user_id = ?
               ORDER BY keyword""",
            (guild_id, user_id),
        )
        return [row[0] for row in rows]

    async def guild_keywords(self, guild_id: int) -> list[tuple[int, str]]:
        """(member, keyword) of the members of the guild whose alerts are not paused."""
        rows = await self._fetchall(
            """SELECT k.user_id, k.keyword FROM alert_keywords k
               JOIN alert_members m ON m.guild_id = k.guild_id AND m.user_id = k.user_id
               WHERE k.guild_id = ? AND m.paused_at IS NULL""",
            (guild_id,),
        )
        return [(int(row[0]), row[1]) for row in rows]

    async def item_by_id(self, item_id: int) -> Item | None:
        row = await self._fetchone("SELECT * FROM items WHERE id = ?", (item_id,))
        return item_from_row(row) if row else None

    async def guild_of_channel(self, channel_id: int) -> int | None:
        row = await self._fetchone(
            "SELECT guild_id FROM subscriptions WHERE channel_id = ? AND guild_id IS NOT NULL",
            (channel_id,),
        )
        return int(row[0]) if row else None

    async def record_hits(
        self, guild_id: int, story_id: int, item_id: int, hits: Sequence[tuple[int, str]]
    ) -> None:
        """The story matched these (member, keyword): kept once per member and story."""
        now = to_db_time(self.clock())
        async with self._transaction() as tx:
            await tx.executemany(
                """INSERT INTO alert_hits (guild_id, user_id, story_id, item_id, keyword,
                                           created_at)
                   VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                [(guild_id, user, story_id, item_id, keyword, now) for user, keyword in hits],
            )

    async def waiting_hits(self) -> list[PendingHit]:
        rows = await self._fetchall(
            """SELECT h.id, h.user_id, h.keyword, h.created_at, i.title, i.link
               FROM alert_hits h JOIN items i ON i.id = h.item_id
               JOIN alert_members m ON m.guild_id = h.guild_id AND m.user_id = h.user_id
               WHERE h.sent_at IS NULL AND m.paused_at IS NULL"""
        )
        return [
            PendingHit(
                id=int(row["id"]),
                user_id=int(row["user_id"]),
                title=row["title"],
                link=row["link"],
                keyword=row["keyword"],
                created_at=from_db_time(row["created_at"]) or self.clock(),
            )
            for row in rows
        ]

    async def dm_times(self, since: datetime) -> dict[int, list[datetime]]:
        """When each member was sent an alert DM since `since` (one time per DM)."""
        rows = await self._fetchall(
            "SELECT DISTINCT user_id, sent_at FROM alert_hits WHERE sent_at >= ?",
            (to_db_time(since),),
        )
        times: dict[int, list[datetime]] = {}
        for row in rows:
            sent = from_db_time(row["sent_at"])
            if sent is not None:
                times.setdefault(int(row["user_id"]), []).append(sent)
        return times

    async def mark_sent(self, hit_ids: Sequence[int], when: datetime) -> None:
        async with self._transaction() as tx:
            await tx.executemany(
                "UPDATE alert_hits SET sent_at = ? WHERE id = ?",
                [(to_db_time(when), hit) for hit in hit_ids],
            )

    async def pause_alerts(self, user_id: int, when: datetime) -> None:
        """The member accepts no DMs: their alerts pause, in every server, until they are
        told (once) and add a keyword again."""
        await self._write(
            """UPDATE alert_members SET paused_at = ?, tell_paused = 1
               WHERE user_id = ? AND paused_at IS NULL""",
            (to_db_time(when), user_id),
        )

    async def take_pause_notice(self, user_id: int) -> bool:
        """Whether the member is still to be told their alerts paused (then: told)."""
        async with self._transaction() as tx:
            changed = await tx.execute(
                "UPDATE alert_members SET tell_paused = 0 WHERE user_id = ? AND tell_paused = 1",
                (user_id,),
            )
            return changed > 0
