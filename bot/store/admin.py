"""What admins change on a subscription (channel, name, filters, pause), and what the store
knows about why an item was or was not posted in each of a server's channels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.models import Item, OutboxKind, SkipReason, SubscriptionEdit
from bot.store.base import StoreBase
from bot.store.schema import from_db_time, item_from_row, to_db_time


@dataclass(frozen=True)
class ChannelVerdict:
    """What became of an item in one channel following its feed."""

    channel_id: int
    subscribed_at: datetime
    kind: OutboxKind | None = None  # in the outbox as a post, note or recap
    status: str | None = None  # pending, sent, failed
    message_id: int | None = None
    thread_id: int | None = None
    last_error: str | None = None
    story_title: str | None = None  # of the story it was merged into, for a note
    skip: SkipReason | None = None  # not posted, for this reason
    detail: str = ""


@dataclass(frozen=True)
class ItemExplanation:
    item: Item
    source_name: str
    verdicts: tuple[ChannelVerdict, ...]  # one per channel of the guild following the feed


class AdminQueries(StoreBase):
    async def edit_subscription(self, subscription_id: int, edit: SubscriptionEdit) -> None:
        """Change what `edit` gives. Moving to another channel keeps the subscription (and
        its backfill done); unsent posts move with it."""
        channel_id, rules = edit.channel_id, edit.rules
        async with self._transaction() as tx:
            place = await self._subscription_place(subscription_id)
            if place is None:
                return
            feed_id, old_channel = place
            if channel_id is not None and channel_id != old_channel:
                await tx.execute(
                    """UPDATE outbox SET channel_id = ? WHERE channel_id = ? AND status = 'pending'
                       AND item_id IN (SELECT id FROM items WHERE feed_id = ?)""",
                    (channel_id, old_channel, feed_id),
                )
            await tx.execute(
                """UPDATE subscriptions SET channel_id = COALESCE(?, channel_id),
                       name = COALESCE(?, name), filter = COALESCE(?, filter),
                       include_words = COALESCE(?, include_words),
                       exclude_words = COALESCE(?, exclude_words),
                       pattern = CASE WHEN ? = 1 THEN ? ELSE pattern END,
                       role_id = CASE WHEN ? = 1 THEN NULL ELSE COALESCE(?, role_id) END
                   WHERE id = ?""",
                (
                    channel_id,
                    edit.name,
                    edit.feed_filter.value if edit.feed_filter else None,
                    json.dumps(list(rules.include)) if rules is not None else None,
                    json.dumps(list(rules.exclude)) if rules is not None else None,
                    rules is not None,
                    rules.pattern if rules is not None else None,
                    edit.clear_role,
                    edit.role_id,
                    subscription_id,
                ),
            )

    async def pause_subscription(self, subscription_id: int, reason: str, now: datetime) -> None:
        """Post nothing more in this channel from this feed until resumed (the feed is
        still polled for the server's other channels and for search)."""
        await self._write(
            """UPDATE subscriptions SET channel_paused_at = ?, channel_pause_reason = ?
               WHERE id = ?""",
            (to_db_time(now), reason, subscription_id),
        )

    async def pause_channel(
        self, channel_id: int, reason: str, now: datetime
    ) -> list[tuple[int | None, str]]:
        """Pause every feed posting in `channel_id` (not yet paused); return the (guild,
        feed name) of each paused now."""
        async with self._transaction() as tx:
            rows = await self._fetchall(
                """SELECT s.id, s.guild_id, COALESCE(s.name, f.title, f.url) AS name
                   FROM subscriptions s JOIN feeds f ON f.id = s.feed_id
                   WHERE s.channel_id = ? AND s.channel_paused_at IS NULL""",
                (channel_id,),
            )
            await tx.executemany(
                """UPDATE subscriptions SET channel_paused_at = ?, channel_pause_reason = ?
                   WHERE id = ?""",
                [(to_db_time(now), reason, row["id"]) for row in rows],
            )
        return [(row["guild_id"], row["name"]) for row in rows]

    async def pause_guild(self, guild_id: int, reason: str, now: datetime) -> int:
        """Pause every feed of a server (the bot was removed from it); how many."""
        async with self._transaction() as tx:
            changed = await tx.execute(
                """UPDATE subscriptions SET channel_paused_at = ?, channel_pause_reason = ?
                   WHERE guild_id = ? AND channel_paused_at IS NULL""",
                (to_db_time(now), reason, guild_id),
            )
        return changed

    async def add_notice(self, channel_id: int, text: str, now: datetime) -> None:
        await self._write(
            """INSERT INTO notices (feed_id, channel_id, text, status, created_at)
               VALUES (NULL, ?, ?, 'pending', ?)""",
            (channel_id, text, to_db_time(now)),
        )

    async def resume_subscription(self, subscription_id: int) -> None:
        """Post again in the channel; what Discord refused there is tried again too."""
        async with self._transaction() as tx:
            place = await self._subscription_place(subscription_id)
            if place is None:
                return
            feed_id, channel_id = place
            await tx.execute(
                """UPDATE subscriptions SET channel_paused_at = NULL, channel_pause_reason = NULL
                   WHERE id = ?""",
                (subscription_id,),
            )
            await tx.execute(
                """UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL
                   WHERE channel_id = ? AND status = 'failed'
                     AND item_id IN (SELECT id FROM items WHERE feed_id = ?)""",
                (channel_id, feed_id),
            )

    async def guild_item_titles(
        self, guild_id: int, typed: str, limit: int = 25
    ) -> list[tuple[int, str]]:
        """The newest items of the guild's feeds whose title has `typed` (autocomplete)."""
        rows = await self._fetchall(
            """SELECT i.id, i.title FROM items i
               WHERE i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?)
                 AND lower(i.title) LIKE '%' || lower(?) || '%' ESCAPE '\\'
               ORDER BY i.id DESC LIMIT ?""",
            (guild_id, _like_escaped(typed), limit),
        )
        return [(int(row[0]), row[1]) for row in rows]

    async def guild_item_by_link(self, guild_id: int, link: str) -> int | None:
        row = await self._fetchone(
            """SELECT i.id FROM items i
               WHERE (i.link = ?1 OR i.url_key = ?2)
                 AND i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?3)
               ORDER BY i.id DESC LIMIT 1""",
            (link, link, guild_id),
        )
        return int(row[0]) if row else None

    async def explain_item(self, guild_id: int, item_id: int) -> ItemExplanation | None:
        """Why the item was or was not posted in each of the guild's channels following its
        feed; None if it is not an item of the guild's feeds."""
        rows = await self._fetchall(
            """SELECT i.*, COALESCE(s.name, f.title, f.url) AS source_name,
                      s.channel_id AS sub_channel, s.created_at AS subscribed_at
               FROM items i JOIN feeds f ON f.id = i.feed_id
               JOIN subscriptions s ON s.feed_id = i.feed_id AND s.guild_id = ?
               WHERE i.id = ? ORDER BY s.id""",
            (guild_id, item_id),
        )
        if not rows:
            return None
        outbox = await self._fetchall(
            """SELECT o.*, st.title_key AS story_title,
                      (SELECT p.title FROM outbox po JOIN items p ON p.id = po.item_id
                       WHERE po.story_id = o.story_id AND po.channel_id = o.channel_id
                         AND po.kind = 'post') AS post_title,
                      (SELECT po.thread_id FROM outbox po
                       WHERE po.story_id = o.story_id AND po.channel_id = o.channel_id
                         AND po.kind = 'post') AS post_thread
               FROM outbox o JOIN stories st ON st.id = o.story_id
               WHERE o.item_id = ? ORDER BY o.id""",
            (item_id,),
        )
        decided = await self._fetchall(
            "SELECT channel_id, reason, detail FROM item_decisions WHERE item_id = ?", (item_id,)
        )
        skips = {int(r["channel_id"]): (SkipReason(r["reason"]), r["detail"]) for r in decided}
        verdicts = []
        for row in rows:
            channel = int(row["sub_channel"])
            subscribed = from_db_time(row["subscribed_at"])
            assert subscribed is not None
            sent = [o for o in outbox if int(o["channel_id"]) == channel]
            main = next((o for o in sent if o["kind"] != OutboxKind.RECAP.value), None)
            if main is not None:
                verdicts.append(
                    ChannelVerdict(
                        channel,
                        subscribed,
                        kind=OutboxKind(main["kind"]),
                        status=main["status"],
                        message_id=main["message_id"],
                        thread_id=main["thread_id"] or main["post_thread"],
                        last_error=main["last_error"],
                        story_title=main["post_title"],
                    )
                )
            elif channel in skips:
                reason, detail = skips[channel]
                verdicts.append(ChannelVerdict(channel, subscribed, skip=reason, detail=detail))
            else:
                verdicts.append(ChannelVerdict(channel, subscribed))
        return ItemExplanation(item_from_row(rows[0]), rows[0]["source_name"], tuple(verdicts))


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ServerSettingsQueries(StoreBase):
    async def server_settings(self, guild_id: int) -> dict[str, str]:
        """What the server's admins set, by key (as typed, validated when set)."""
        rows = await self._fetchall(
            "SELECT key, value FROM server_settings WHERE guild_id = ?", (guild_id,)
        )
        return {row[0]: row[1] for row in rows}

    async def set_server_setting(self, guild_id: int, key: str, value: str | None) -> None:
        """Store `value` for `key`, or forget it (back to the default) when None."""
        if value is None:
            await self._write(
                "DELETE FROM server_settings WHERE guild_id = ? AND key = ?", (guild_id, key)
            )
            return
        await self._write(
            """INSERT INTO server_settings (guild_id, key, value) VALUES (?, ?, ?)
               ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value""",
            (guild_id, key, value),
        )


class DigestRunQueries(StoreBase):
    async def digest_schedules(self) -> dict[int, str]:
        """Every server that set a digest schedule: its setting, as typed."""
        rows = await self._fetchall(
            "SELECT guild_id, value FROM server_settings WHERE key = 'digest'"
        )
        return {int(row[0]): row[1] for row in rows}

    async def digest_run(
        self, guild_id: int, due_at: datetime
    ) -> tuple[str, datetime | None] | None:
        """(status, when the attempt started) of the server's digest due at `due_at`."""
        row = await self._fetchone(
            "SELECT status, attempted_at FROM digest_runs WHERE guild_id = ? AND due_at = ?",
            (guild_id, to_db_time(due_at)),
        )
        return (row["status"], from_db_time(row["attempted_at"])) if row else None

    async def record_digest_run(
        self,
        guild_id: int,
        due_at: datetime,
        status: str,
        *,
        channel_id: int = 0,
        message_id: int | None = None,
    ) -> None:
        """The digest due at `due_at`: 'skipped' (not wanted), 'sending' (an attempt starts
        now: from here on a restart looks for it first) or 'posted'."""
        await self._write(
            """INSERT INTO digest_runs (guild_id, due_at, channel_id, status, message_id,
                                        attempted_at)
               VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?4 = 'sending' THEN ?6 END)
               ON CONFLICT (guild_id, due_at) DO UPDATE SET status = excluded.status,
                   channel_id = excluded.channel_id,
                   message_id = COALESCE(excluded.message_id, message_id),
                   attempted_at = COALESCE(attempted_at, excluded.attempted_at)""",
            (
                guild_id,
                to_db_time(due_at),
                channel_id,
                status,
                message_id,
                to_db_time(self.clock()),
            ),
        )
