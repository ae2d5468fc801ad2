"""The outbox (posts and notes to send) and notices for admins."""

from __future__ import annotations

from bot.models import (
    Notice,
    OutboxKind,
    OutboxRow,
    OutboxStatus,
)
from bot.store.base import StoreBase
from bot.store.schema import (
    item_from_row,
    to_db_time,
)


class OutboxQueries(StoreBase):
    async def pending_posts(self, limit: int = 50) -> list[OutboxRow]:
        """Posts, then notes, then recaps, not yet sent to Discord; oldest story first."""
        rows = await self._fetchall(
            """SELECT o.id AS outbox_id, o.channel_id, o.status, o.attempts, o.kind, i.*,
                      COALESCE(s.name, f.title, f.url) AS source_name
               FROM outbox o
               JOIN items i ON i.id = o.item_id
               JOIN feeds f ON f.id = i.feed_id
               LEFT JOIN subscriptions s ON s.feed_id = f.id AND s.channel_id = o.channel_id
               WHERE o.status IN ('pending', 'sending')
               ORDER BY o.kind != 'post', o.kind = 'recap', i.sort_at, i.id LIMIT ?""",
            (limit,),
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
            )
            for row in rows
        ]

    async def story_post(
        self, story_id: int, channel_id: int
    ) -> tuple[OutboxStatus, int | None] | None:
        """The status and thread of the story's post in the channel, if it has one."""
        row = await self._fetchone(
            """SELECT status, thread_id FROM outbox WHERE story_id = ? AND channel_id = ?
               AND kind = 'post'""",
            (story_id, channel_id),
        )
        return (OutboxStatus(row["status"]), row["thread_id"]) if row else None

    async def mark_sending(self, outbox_id: int) -> None:
        await self._write(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
            (outbox_id,),
        )

    async def mark_posted(
        self, outbox_id: int, *, message_id: int, thread_id: int | None, note: str | None = None
    ) -> None:
        """Record that Discord accepted the post (and opened its thread, if `thread_id`)."""
        await self._write(
            """UPDATE outbox SET status = 'posted', message_id = ?, thread_id = ?,
               posted_at = ?, last_error = ? WHERE id = ?""",
            (message_id, thread_id, to_db_time(self._now()), note, outbox_id),
        )

    async def mark_retry(self, outbox_id: int, error: str) -> None:
        """Put the post back in line after a failure worth retrying."""
        await self._write(
            "UPDATE outbox SET status = 'pending', last_error = ? WHERE id = ?", (error, outbox_id)
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

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        rows = await self._fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {OutboxStatus(row["status"]): int(row["n"]) for row in rows}

    # Notices -------------------------------------------------------------------------------

    async def pending_notices(self) -> list[Notice]:
        rows = await self._fetchall(
            "SELECT id, channel_id, text FROM notices WHERE status = 'pending' ORDER BY id"
        )
        return [Notice(row["id"], row["channel_id"], row["text"]) for row in rows]

    async def mark_notice(self, notice_id: int, *, sent: bool, error: str | None = None) -> None:
        await self._write(
            "UPDATE notices SET status = ?, sent_at = ?, last_error = ? WHERE id = ?",
            (
                "sent" if sent else "failed",
                to_db_time(self._now()) if sent else None,
                error,
                notice_id,
            ),
        )
