"""The only package that speaks SQL: feeds, subscriptions, stories, items, outbox, notices.

Schema changes are migrations keyed by `PRAGMA user_version` (see `schema.py`); the
database runs in WAL mode so readers never wait on the poller's writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.config import FeedSettings
from bot.content.dedupe import StoryRef
from bot.models import (
    Feed,
    Item,
    NewItem,
    Notice,
    OutboxKind,
    OutboxRow,
    OutboxStatus,
    PlannedPost,
    Subscription,
    SubscriptionSource,
)
from bot.store.schema import (
    MIGRATIONS,
    feed_from_row,
    from_db_time,
    item_from_row,
    statements,
    subscription_from_row,
    to_db_time,
)

__all__ = ["FeedState", "PollResult", "Store", "SubscriptionView", "from_db_time", "to_db_time"]

log = logging.getLogger(__name__)
_CHUNK = 500  # SQLite's limit on bound parameters is generous, but not unlimited


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription with the health of the feed behind it, for `/feeds list`."""

    subscription: Subscription
    feed: Feed
    item_count: int


@dataclass(frozen=True)
class FeedState:
    """How a poll left the feed: success (validators, title) or failure (reason, pause)."""

    next_poll_at: datetime
    error: str | None = None
    failures: int = 0
    pause_reason: str | None = None
    not_modified: bool = False
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed changes in the store, written in one transaction."""

    feed_id: int
    polled_at: datetime
    state: FeedState
    new_items: Sequence[NewItem] = ()
    planned_posts: Sequence[PlannedPost] = ()
    initialized_subscription_ids: Sequence[int] = ()
    notices: Sequence[tuple[int, str]] = ()  # (channel id, text) for the admins


class Store:
    """Async access to the Bazaar database. Create with `await Store.open(path)`."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating and migrating as needed) the database at `path`."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        store = cls(connection)
        try:
            await store._configure()
            await store._migrate()
        except BaseException:
            await connection.close()
            raise
        return store

    async def close(self) -> None:
        await self._db.close()

    async def _configure(self) -> None:
        await self._db.execute("PRAGMA journal_mode = WAL")
        await self._db.execute("PRAGMA foreign_keys = ON")
        await self._db.execute("PRAGMA synchronous = NORMAL")
        await self._db.execute("PRAGMA busy_timeout = 5000")

    async def _migrate(self) -> None:
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"the database schema (version {version}) is newer than this Bazaar "
                f"(knows {len(MIGRATIONS)}); upgrade Bazaar"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("migrating database to schema version %d", number)
            async with self._transaction():
                for statement in statements(script):
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {number}")

    async def schema_version(self) -> int:
        row = await self._fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        # One connection is shared by every coroutine: the lock keeps another coroutine's
        # statements from landing inside (or being rolled back with) this transaction.
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _fetchone(self, sql: str, params: Sequence[object] = ()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _fetchall(self, sql: str, params: Sequence[object] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _write(self, sql: str, params: Sequence[object]) -> None:
        async with self._transaction():
            await self._db.execute(sql, params)

    # Feeds and subscriptions -------------------------------------------------------------

    async def subscribe(
        self,
        url: str,
        channel_id: int,
        *,
        source: SubscriptionSource,
        guild_id: int | None = None,
        name: str | None = None,
    ) -> tuple[Subscription, bool]:
        """Make `channel_id` follow the feed at `url`; return the subscription and if it is new."""
        now = to_db_time(datetime.now(UTC))
        async with self._transaction():
            await self._db.execute(
                "INSERT INTO feeds (url, created_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                (url, now),
            )
            feed = await self._fetchone("SELECT id FROM feeds WHERE url = ?", (url,))
            assert feed is not None
            cursor = await self._db.execute(
                """INSERT INTO subscriptions
                       (feed_id, channel_id, guild_id, name, source, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (feed_id, channel_id) DO NOTHING""",
                (feed["id"], channel_id, guild_id, name, source.value, now),
            )
            created = cursor.rowcount == 1
            if not created and name is not None:
                await self._db.execute(
                    "UPDATE subscriptions SET name = ? WHERE feed_id = ? AND channel_id = ?",
                    (name, feed["id"], channel_id),
                )
        row = await self._fetchone(
            "SELECT * FROM subscriptions WHERE feed_id = ? AND channel_id = ?",
            (feed["id"], channel_id),
        )
        assert row is not None
        return subscription_from_row(row), created

    async def sync_config_feeds(self, feeds: Iterable[FeedSettings]) -> None:
        """Make the config file's `[[feeds]]` the set of config subscriptions.

        Feeds added with `/feeds add` are left alone; config feeds removed from the file
        stop being followed (their items stay stored).
        """
        wanted = list(feeds)
        for feed in wanted:
            await self.subscribe(
                feed.url, feed.channel_id, source=SubscriptionSource.CONFIG, name=feed.name
            )
        keep = {(feed.url, feed.channel_id) for feed in wanted}
        rows = await self._fetchall(
            """SELECT s.id, f.url, s.channel_id
               FROM subscriptions s JOIN feeds f ON f.id = s.feed_id WHERE s.source = ?""",
            (SubscriptionSource.CONFIG.value,),
        )
        for row in rows:
            if (row["url"], row["channel_id"]) not in keep:
                await self.unsubscribe(row["id"])
                log.info("stopped following %s: removed from the config file", row["url"])

    async def unsubscribe(self, subscription_id: int) -> None:
        """Stop following; the feed's stored items are kept, unsent posts there are dropped."""
        async with self._transaction():
            row = await self._fetchone(
                "SELECT feed_id, channel_id FROM subscriptions WHERE id = ?", (subscription_id,)
            )
            if row is None:
                return
            await self._db.execute(
                """DELETE FROM outbox WHERE channel_id = ? AND status IN ('pending', 'failed')
                   AND item_id IN (SELECT id FROM items WHERE feed_id = ?)""",
                (row["channel_id"], row["feed_id"]),
            )
            await self._db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    async def set_guilds_for_channels(self, guild_by_channel: dict[int, int]) -> None:
        """Fill in the guild of subscriptions that only knew their channel (config feeds)."""
        async with self._transaction():
            await self._db.executemany(
                "UPDATE subscriptions SET guild_id = ? WHERE channel_id = ? AND guild_id IS NULL",
                [(guild, channel) for channel, guild in guild_by_channel.items()],
            )

    async def guild_subscriptions(self, guild_id: int) -> list[SubscriptionView]:
        """The guild's subscriptions with their feed's health, oldest first."""
        rows = await self._fetchall(
            """SELECT s.*, f.*, s.id AS sub_id, f.id AS feed_id,
                      (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id) AS item_count
               FROM subscriptions s JOIN feeds f ON f.id = s.feed_id
               WHERE s.guild_id = ? ORDER BY s.id""",
            (guild_id,),
        )
        return [
            SubscriptionView(
                subscription=subscription_from_row(row, id_column="sub_id"),
                feed=feed_from_row(row, id_column="feed_id"),
                item_count=int(row["item_count"]),
            )
            for row in rows
        ]

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        rows = await self._fetchall(
            "SELECT * FROM subscriptions WHERE feed_id = ? ORDER BY id", (feed_id,)
        )
        return [subscription_from_row(row) for row in rows]

    async def feed(self, feed_id: int) -> Feed | None:
        row = await self._fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return feed_from_row(row) if row else None

    async def due_feeds(self, now: datetime) -> list[Feed]:
        """Followed, unpaused feeds whose next poll time has come (never-polled ones first)."""
        rows = await self._fetchall(
            """SELECT * FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id)
                 AND f.paused_at IS NULL
                 AND (f.next_poll_at IS NULL OR f.next_poll_at <= ?)
               ORDER BY f.next_poll_at IS NOT NULL, f.next_poll_at, f.id""",
            (to_db_time(now),),
        )
        return [feed_from_row(row) for row in rows]

    async def followed_feeds(self) -> list[Feed]:
        """Every feed at least one channel follows, due, paused or not."""
        rows = await self._fetchall(
            """SELECT * FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id) ORDER BY f.id"""
        )
        return [feed_from_row(row) for row in rows]

    async def next_poll_time(self) -> datetime | None:
        """The earliest time any followed, unpaused feed is due (the distant past if never)."""
        row = await self._fetchone(
            """SELECT COUNT(*) AS n, MIN(COALESCE(f.next_poll_at, '')) AS due FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id)
                 AND f.paused_at IS NULL"""
        )
        if row is None or not row["n"]:
            return None
        return from_db_time(row["due"]) if row["due"] else datetime.min.replace(tzinfo=UTC)

    async def resume_feed(self, feed_id: int, now: datetime) -> None:
        """Unpause a feed and clear its failure count; it is polled at once."""
        await self._write(
            """UPDATE feeds SET paused_at = NULL, pause_reason = NULL, failures = 0,
               next_poll_at = ? WHERE id = ?""",
            (to_db_time(now), feed_id),
        )

    # Items and stories ---------------------------------------------------------------------

    async def known_identities(
        self, feed_id: int, keys: Iterable[str], url_keys: Iterable[str]
    ) -> set[str]:
        """Which of `keys` and `url_keys` the feed's stored items already have."""
        known: set[str] = set()
        for column, values in (("key", keys), ("url_key", url_keys)):
            wanted = list(dict.fromkeys(values))
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = await self._fetchall(
                    f"SELECT {column} FROM items WHERE feed_id = ? AND {column} IN ({marks})",
                    (feed_id, *chunk),
                )
                known.update(row[0] for row in rows)
        return known

    async def candidate_stories(
        self, *, since: datetime, url_keys: Iterable[str]
    ) -> list[StoryRef]:
        """Stories a new item could belong to: those with one of `url_keys`, and recent ones."""
        wanted = [key for key in dict.fromkeys(url_keys) if key]
        ids: set[int] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._fetchall(f"SELECT id FROM stories WHERE url_key IN ({marks})", chunk)
            ids.update(row["id"] for row in rows)
        rows = await self._fetchall(
            "SELECT id FROM stories WHERE first_seen_at >= ?", (to_db_time(since),)
        )
        ids.update(row["id"] for row in rows)
        return await self._story_refs(sorted(ids))

    async def _story_refs(self, ids: list[int]) -> list[StoryRef]:
        refs = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._fetchall(
                f"""SELECT s.*, GROUP_CONCAT(i.feed_id) AS feed_ids
                    FROM stories s LEFT JOIN items i ON i.story_id = s.id
                    WHERE s.id IN ({marks}) GROUP BY s.id""",
                chunk,
            )
            for row in rows:
                first_seen = from_db_time(row["first_seen_at"])
                assert first_seen is not None
                feed_ids = frozenset(int(f) for f in (row["feed_ids"] or "").split(",") if f)
                refs.append(
                    StoryRef(row["id"], row["url_key"], row["title_key"], feed_ids, first_seen)
                )
        return refs

    async def recent_items(self, feed_id: int, limit: int) -> list[Item]:
        """The feed's newest stored items, newest first."""
        rows = await self._fetchall(
            "SELECT * FROM items WHERE feed_id = ? ORDER BY sort_at DESC, id DESC LIMIT ?",
            (feed_id, limit),
        )
        return [item_from_row(row) for row in rows]

    async def latest_items(self, guild_id: int, limit: int) -> list[tuple[Item, str]]:
        """The newest stories from the feeds a guild follows (one item each), with its source."""
        rows = await self._fetchall(
            """SELECT i.*, COALESCE(MAX(s.name), f.title, f.url) AS source_name
               FROM items i
               JOIN feeds f ON f.id = i.feed_id
               JOIN subscriptions s ON s.feed_id = f.id AND s.guild_id = ?
               WHERE i.id = (SELECT MIN(id) FROM items WHERE story_id = i.story_id)
               GROUP BY i.id
               ORDER BY i.sort_at DESC, i.id DESC LIMIT ?""",
            (guild_id, limit),
        )
        return [(item_from_row(row), row["source_name"]) for row in rows]

    async def apply_poll(self, result: PollResult) -> None:
        """Write everything one poll of one feed decided, atomically."""
        polled = to_db_time(result.polled_at)
        async with self._transaction():
            await self._record_feed_state(result.feed_id, result.state, polled)
            for new in result.new_items:
                await self._insert_item(result.feed_id, new, polled)
            for post in result.planned_posts:
                await self._queue(post, polled)
            await self._db.executemany(
                "UPDATE subscriptions SET initialized = 1 WHERE id = ?",
                [(i,) for i in result.initialized_subscription_ids],
            )
            await self._db.executemany(
                """INSERT INTO notices (feed_id, channel_id, text, status, created_at)
                   VALUES (?, ?, ?, 'pending', ?)""",
                [(result.feed_id, channel, text, polled) for channel, text in result.notices],
            )

    async def _record_feed_state(self, feed_id: int, state: FeedState, polled: str) -> None:
        next_poll = to_db_time(state.next_poll_at)
        if state.error is not None:
            await self._db.execute(
                """UPDATE feeds SET last_polled_at = ?, last_error = ?, next_poll_at = ?,
                   failures = ?, paused_at = CASE WHEN ? IS NULL THEN NULL ELSE ? END,
                   pause_reason = ? WHERE id = ?""",
                (
                    polled,
                    state.error,
                    next_poll,
                    state.failures,
                    state.pause_reason,
                    polled,
                    state.pause_reason,
                    feed_id,
                ),
            )
            return
        await self._db.execute(
            """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
               failures = 0, next_poll_at = ? WHERE id = ?""",
            (polled, polled, next_poll, feed_id),
        )
        if not state.not_modified:
            await self._db.execute(
                """UPDATE feeds SET etag = ?, last_modified = ?, title = COALESCE(?, title)
                   WHERE id = ?""",
                (state.etag, state.last_modified, state.title, feed_id),
            )
        if state.moved_to:
            await self._move_feed(feed_id, state.moved_to)

    async def _move_feed(self, feed_id: int, new_url: str) -> None:
        taken = await self._fetchone(
            "SELECT id FROM feeds WHERE url = ? AND id != ?", (new_url, feed_id)
        )
        if taken:
            # Another subscription already follows the new address; keep both rows as
            # they are rather than merge histories behind the admins' backs.
            log.warning("feed %s moved to %s, which is already followed", feed_id, new_url)
            return
        await self._db.execute("UPDATE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
        log.info("feed %s moved permanently to %s", feed_id, new_url)

    async def _insert_item(self, feed_id: int, new: NewItem, seen: str) -> None:
        entry = new.entry
        story_id = new.story_id
        if story_id is None:
            cursor = await self._db.execute(
                "INSERT INTO stories (url_key, title_key, first_seen_at) VALUES (?, ?, ?)",
                (entry.url_key, entry.title_key, seen),
            )
            story_id = cursor.lastrowid
        published = to_db_time(entry.published_at) if entry.published_at else None
        await self._db.execute(
            """INSERT INTO items (feed_id, story_id, key, guid, link, url_key, title, title_key,
                                  author, text, summary, partial_reason, published_at, seen_at,
                                  sort_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (feed_id, key) DO NOTHING""",
            (
                feed_id,
                story_id,
                entry.key,
                entry.guid,
                entry.link,
                entry.url_key,
                entry.title,
                entry.title_key,
                entry.author,
                entry.text,
                new.summary,
                entry.partial_reason,
                published,
                seen,
                published or seen,
            ),
        )

    async def _queue(self, post: PlannedPost, now: str) -> None:
        """Queue the item's post in the channel, or a note if its story is already there."""
        item = await self._fetchone(
            "SELECT id, story_id FROM items WHERE feed_id = ? AND key = ?",
            (post.feed_id, post.item_key),
        )
        if item is None:
            return
        story_posted_here = await self._fetchone(
            "SELECT 1 FROM outbox WHERE story_id = ? AND channel_id = ? AND kind = 'post'",
            (item["story_id"], post.channel_id),
        )
        kind = OutboxKind.NOTE if story_posted_here else OutboxKind.POST
        await self._db.execute(
            """INSERT INTO outbox (item_id, story_id, channel_id, kind, status, created_at)
               VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING""",
            (item["id"], item["story_id"], post.channel_id, kind.value, now),
        )

    # Outbox --------------------------------------------------------------------------------

    async def pending_posts(self, limit: int = 50) -> list[OutboxRow]:
        """Posts, then notes, not yet accepted by Discord; oldest story first."""
        rows = await self._fetchall(
            """SELECT o.id AS outbox_id, o.channel_id, o.status, o.attempts, o.kind, i.*,
                      COALESCE(s.name, f.title, f.url) AS source_name
               FROM outbox o
               JOIN items i ON i.id = o.item_id
               JOIN feeds f ON f.id = i.feed_id
               LEFT JOIN subscriptions s ON s.feed_id = f.id AND s.channel_id = o.channel_id
               WHERE o.status IN ('pending', 'sending')
               ORDER BY o.kind = 'note', i.sort_at, i.id LIMIT ?""",
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
            (message_id, thread_id, to_db_time(datetime.now(UTC)), note, outbox_id),
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
                to_db_time(datetime.now(UTC)) if sent else None,
                error,
                notice_id,
            ),
        )
