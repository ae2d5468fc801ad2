"""The outbox (posts, notes and recaps to send) and notices for admins.

It writes what `bot.decide.outbox` decided; it decides nothing.
"""

from __future__ import annotations

from datetime import datetime

from bot.decide.outbox import MarkFailed, MarkPosted, Retry, Transition
from bot.models import Notice, OutboxKind, OutboxRow, OutboxStatus
from bot.roles import EVERY_CHANNEL, Shard
from bot.store.base import StoreBase
from bot.store.schema import from_db_time, item_from_row, to_db_time

PER_CHANNEL = 50  # rows of one channel in a batch of due rows


class OutboxQueries(StoreBase):
    async def pending_posts(
        self,
        limit: int = 50,
        *,
        now: datetime | None = None,
        unwritten_recaps: bool = False,
        shard: Shard = EVERY_CHANNEL,
    ) -> list[OutboxRow]:
        """Posts, then notes, then recaps, not yet sent to Discord, oldest story first;
        with `now`, only those whose retry time has come; with `unwritten_recaps`, only
        recaps whose text is not written yet; only to the channels of `shard` (one
        publisher among several sends all of a channel's, and only it)."""
        due = to_db_time(now) if now is not None else None
        only = "AND o.kind = 'recap' AND o.body IS NULL" if unwritten_recaps else ""
        # `?4 = 1 OR`: with one publisher the shard's condition folds away; PostgreSQL
        # would otherwise plan for a fraction of the rows (2 s a batch at 50,000 waiting,
        # 0.15 s without). The other shard conditions of the store are written the same way.
        # At most PER_CHANNEL rows of each channel: a channel held back (its hourly
        # allowance spent, a backlog after downtime) must not fill the batch and starve
        # the others.
        rows = await self._fetchall(
            f"""WITH due AS (
                    SELECT o.id, o.kind != 'post' AS later, o.kind = 'recap' AS last,
                           i.sort_at, i.id AS item_id,
                           ROW_NUMBER() OVER (
                               PARTITION BY o.channel_id
                               ORDER BY o.kind != 'post', o.kind = 'recap', i.sort_at, i.id, o.id
                           ) AS nth
                    FROM outbox o JOIN items i ON i.id = o.item_id
                    LEFT JOIN subscriptions held ON held.feed_id = i.feed_id
                         AND held.channel_id = o.channel_id
                    WHERE o.status IN ('pending', 'sending')
                      AND held.channel_paused_at IS NULL
                      AND (?1 IS NULL OR o.next_attempt_at IS NULL OR o.next_attempt_at <= ?1)
                      AND (?4 = 1 OR o.channel_id % ?4 = ?5)
                      {only}
                )
                SELECT o.id AS outbox_id, o.channel_id, o.status, o.attempts, o.kind,
                      o.first_attempt_at, o.body, i.*,
                      COALESCE(s.name, f.title, f.url) AS source_name,
                      f.url AS feed_url, f.title AS feed_title,
                      s.guild_id AS sub_guild, s.role_id AS sub_role,
                      p.status AS story_post_status, p.thread_id AS story_thread_id
               FROM due
               JOIN outbox o ON o.id = due.id
               JOIN items i ON i.id = o.item_id
               JOIN feeds f ON f.id = i.feed_id
               LEFT JOIN subscriptions s ON s.feed_id = f.id AND s.channel_id = o.channel_id
               LEFT JOIN outbox p ON p.story_id = o.story_id AND p.channel_id = o.channel_id
                                  AND p.kind = 'post'
               WHERE due.nth <= ?2
               ORDER BY due.later, due.last, due.sort_at, due.item_id, o.id LIMIT ?3""",
            (due, PER_CHANNEL, limit, shard.count, shard.index),
        )
        return [
            OutboxRow(
                id=int(row["outbox_id"]),
                item=item_from_row(row),
                channel_id=int(row["channel_id"]),
                source_name=row["source_name"],
                status=OutboxStatus(row["status"]),
                attempts=int(row["attempts"]),
                kind=OutboxKind(row["kind"]),
                first_attempt_at=from_db_time(row["first_attempt_at"]),
                body=row["body"],
                story_post_status=(
                    OutboxStatus(row["story_post_status"]) if row["story_post_status"] else None
                ),
                story_thread_id=row["story_thread_id"],
                guild_id=row["sub_guild"],
                role_id=row["sub_role"],
                feed_url=row["feed_url"],
                feed_title=row["feed_title"],
            )
            for row in rows
        ]

    async def waiting_posts_by_channel(
        self, shard: Shard = EVERY_CHANNEL
    ) -> dict[int, tuple[int | None, int]]:
        """Channel → (its server, how many story posts wait there, never tried), for the
        channels of `shard` not paused."""
        rows = await self._fetchall(
            """SELECT o.channel_id, MAX(s.guild_id), COUNT(*) FROM outbox o
               JOIN items i ON i.id = o.item_id
               LEFT JOIN subscriptions s ON s.feed_id = i.feed_id AND s.channel_id = o.channel_id
               WHERE o.kind = 'post' AND o.status = 'pending' AND o.attempts = 0
                 AND s.channel_paused_at IS NULL AND (? = 1 OR o.channel_id % ? = ?)
               GROUP BY o.channel_id""",
            (shard.count, shard.count, shard.index),
        )
        return {int(row[0]): (row[1], int(row[2])) for row in rows}

    async def waiting_posts_of(self, channel_id: int) -> list[tuple[int, str, str | None, str]]:
        """(outbox id, title, link, source) of the story posts waiting in a channel, never
        tried, oldest first."""
        rows = await self._fetchall(
            """SELECT o.id, i.title, i.link, COALESCE(s.name, f.title, f.url) AS source
               FROM outbox o JOIN items i ON i.id = o.item_id JOIN feeds f ON f.id = i.feed_id
               LEFT JOIN subscriptions s ON s.feed_id = i.feed_id AND s.channel_id = o.channel_id
               WHERE o.channel_id = ? AND o.kind = 'post' AND o.status = 'pending'
                 AND o.attempts = 0
               ORDER BY i.sort_at, i.id, o.id""",
            (channel_id,),
        )
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]

    async def fold_into_catch_up(
        self, channel_id: int, outbox_ids: list[int], pages: list[str], now: datetime
    ) -> None:
        """The waiting posts `outbox_ids` go out as the catch-up list `pages` instead (sent
        like notices: once, looked for after an interrupted attempt)."""
        async with self._transaction() as tx:
            await tx.executemany(
                """UPDATE outbox SET status = 'skipped',
                       last_error = 'in a catch-up list of the waiting stories'
                   WHERE id = ? AND status = 'pending' AND attempts = 0""",
                [(outbox_id,) for outbox_id in outbox_ids],
            )
            await tx.executemany(
                """INSERT INTO notices (feed_id, channel_id, text, status, created_at)
                   VALUES (NULL, ?, ?, 'pending', ?)""",
                [(channel_id, page, to_db_time(now)) for page in pages],
            )

    async def posts_sent_since(self, channel_ids: list[int], since: datetime) -> dict[int, int]:
        """How many posts each channel got since `since` (notes and recaps, in threads, do
        not count)."""
        if not channel_ids:
            return {}
        rows = await self._fetchall(
            f"""SELECT channel_id, COUNT(*) FROM outbox
                WHERE kind = 'post' AND status = 'posted' AND posted_at >= ?
                  AND channel_id IN ({", ".join("?" * len(channel_ids))})
                GROUP BY channel_id""",
            (to_db_time(since), *channel_ids),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def unwritten_recaps(self, now: datetime, limit: int = 50) -> list[OutboxRow]:
        """Recaps queued whose text the core has not written yet (and may try now)."""
        return await self.pending_posts(limit, now=now, unwritten_recaps=True)

    async def write_recap(self, outbox_id: int, body: str) -> None:
        await self._write("UPDATE outbox SET body = ? WHERE id = ?", (body, outbox_id))

    async def mark_sending(self, outbox_id: int) -> None:
        """An attempt starts now: from here on, a restart looks for the message first."""
        await self._write(
            """UPDATE outbox SET status = 'sending', attempts = attempts + 1,
               first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ?""",
            (to_db_time(self.clock()), outbox_id),
        )

    async def apply_outcome(self, outbox_id: int, transition: Transition) -> None:
        """Write what was decided about an attempt: posted, retry later, or given up."""
        if isinstance(transition, MarkPosted):
            await self.mark_posted(
                outbox_id,
                message_id=transition.message_id,
                thread_id=transition.thread_id,
                note=transition.note,
            )
        else:
            await self._retry_or_fail("outbox", outbox_id, transition)

    async def mark_posted(
        self, outbox_id: int, *, message_id: int, thread_id: int | None, note: str | None = None
    ) -> None:
        """Record that Discord accepted the post (and opened its thread, if `thread_id`)."""
        await self._write(
            """UPDATE outbox SET status = 'posted', message_id = ?, thread_id = ?,
               posted_at = ?, last_error = ? WHERE id = ?""",
            (message_id, thread_id, to_db_time(self.clock()), note, outbox_id),
        )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        """Give up on a post (for example: the bot may not write in the channel)."""
        await self._write(
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", (error, outbox_id)
        )

    async def mark_skipped(self, outbox_id: int, reason: str) -> None:
        """Nothing to send after all (e.g. a discussion with too few comments to recap)."""
        await self._write(
            "UPDATE outbox SET status = 'skipped', last_error = ? WHERE id = ?",
            (reason, outbox_id),
        )

    async def delay_row(self, outbox_id: int, error: str, at: datetime) -> None:
        """Try the row again at `at` (e.g. the discussion could not be read this time)."""
        await self._write(
            "UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?",
            (error, to_db_time(at), outbox_id),
        )

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        rows = await self._fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {OutboxStatus(row["status"]): int(row["n"]) for row in rows}

    async def newest_queued(self) -> tuple[int, int]:
        """The newest outbox row and notice: when either changes, something was queued."""
        row = await self._fetchone(
            """SELECT COALESCE((SELECT MAX(id) FROM outbox), 0),
                      COALESCE((SELECT MAX(id) FROM notices), 0)"""
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def last_outbox_id(self) -> int:
        row = await self._fetchone("SELECT COALESCE(MAX(id), 0) FROM outbox")
        return int(row[0]) if row else 0

    # Notices -------------------------------------------------------------------------------

    async def pending_notices(
        self, *, now: datetime | None = None, shard: Shard = EVERY_CHANNEL
    ) -> list[Notice]:
        due = to_db_time(now) if now is not None else None
        rows = await self._fetchall(
            """SELECT id, channel_id, text, attempts, first_attempt_at FROM notices
               WHERE status IN ('pending', 'sending')
                 AND (? IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?)
                 AND (? = 1 OR channel_id % ? = ?)
               ORDER BY id""",
            (due, due, shard.count, shard.count, shard.index),
        )
        return [
            Notice(
                row["id"],
                row["channel_id"],
                row["text"],
                int(row["attempts"]),
                from_db_time(row["first_attempt_at"]),
            )
            for row in rows
        ]

    async def mark_notice_sending(self, notice_id: int) -> None:
        await self._write(
            """UPDATE notices SET status = 'sending', attempts = attempts + 1,
               first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ?""",
            (to_db_time(self.clock()), notice_id),
        )

    async def apply_notice_outcome(self, notice_id: int, transition: Transition) -> None:
        if isinstance(transition, MarkPosted):
            await self._write(
                """UPDATE notices SET status = 'sent', sent_at = ?, message_id = ?,
                   last_error = NULL WHERE id = ?""",
                (to_db_time(self.clock()), transition.message_id, notice_id),
            )
        else:
            await self._retry_or_fail("notices", notice_id, transition)

    async def _retry_or_fail(self, table: str, row_id: int, transition: Transition) -> None:
        assert table in ("outbox", "notices")  # never from input: the two queues' tables
        match transition:
            case Retry(error, at):
                await self._write(
                    f"""UPDATE {table} SET status = 'pending', last_error = ?,
                        next_attempt_at = ? WHERE id = ?""",
                    (error, to_db_time(at), row_id),
                )
            case MarkFailed(reason):
                await self._write(
                    f"UPDATE {table} SET status = 'failed', last_error = ? WHERE id = ?",
                    (reason, row_id),
                )
