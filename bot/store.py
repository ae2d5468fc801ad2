"""The only module that speaks SQL: feeds, subscriptions, items and the outbox in SQLite.

Schema changes are migrations keyed by `PRAGMA user_version`; the database runs in WAL
mode so readers never wait on the poller's writes.
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
from bot.models import (
    Feed,
    Item,
    NewItem,
    OutboxRow,
    OutboxStatus,
    PlannedPost,
    Subscription,
    SubscriptionSource,
)

log = logging.getLogger(__name__)

_MIGRATIONS: tuple[str, ...] = (
    # 1: feeds fetched once however many channels follow them; items unique per feed;
    #    an outbox row per item × channel that records whether Discord accepted it.
    """
    CREATE TABLE feeds (
        id              INTEGER PRIMARY KEY,
        url             TEXT NOT NULL UNIQUE,
        title           TEXT,
        etag            TEXT,
        last_modified   TEXT,
        last_polled_at  TEXT,
        last_success_at TEXT,
        last_error      TEXT,
        next_poll_at    TEXT,
        created_at      TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        id          INTEGER PRIMARY KEY,
        feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        channel_id  INTEGER NOT NULL,
        guild_id    INTEGER,
        name        TEXT,
        source      TEXT NOT NULL,
        initialized INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        UNIQUE (feed_id, channel_id)
    );
    CREATE INDEX subscriptions_guild ON subscriptions(guild_id);
    CREATE TABLE items (
        id           INTEGER PRIMARY KEY,
        feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        key          TEXT NOT NULL,
        guid         TEXT,
        link         TEXT,
        title        TEXT NOT NULL,
        author       TEXT,
        text         TEXT NOT NULL,
        summary      TEXT NOT NULL,
        published_at TEXT,
        seen_at      TEXT NOT NULL,
        sort_at      TEXT NOT NULL,
        UNIQUE (feed_id, key)
    );
    CREATE INDEX items_feed_sort ON items(feed_id, sort_at);
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        item_id     INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        channel_id  INTEGER NOT NULL,
        status      TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        message_id  INTEGER,
        thread_id   INTEGER,
        last_error  TEXT,
        created_at  TEXT NOT NULL,
        posted_at   TEXT,
        UNIQUE (item_id, channel_id)
    );
    CREATE INDEX outbox_status ON outbox(status);
    """,
)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db_time(value: datetime) -> str:
    """A fixed-width UTC timestamp, so text order is time order."""
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def from_db_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription with the health of the feed behind it, for `/feeds list`."""

    subscription: Subscription
    feed: Feed
    item_count: int


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed changes in the store, written in one transaction."""

    feed_id: int
    polled_at: datetime
    next_poll_at: datetime
    new_items: Sequence[NewItem] = ()
    planned_posts: Sequence[PlannedPost] = ()
    initialized_subscription_ids: Sequence[int] = ()
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    not_modified: bool = False


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
        if version > len(_MIGRATIONS):
            raise RuntimeError(
                f"the database schema (version {version}) is newer than this Bazaar "
                f"(knows {len(_MIGRATIONS)}); upgrade Bazaar"
            )
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            log.info("migrating database to schema version %d", number)
            async with self._transaction():
                for statement in _statements(script):
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {number}")

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
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
            feed_id = await self._feed_id_for(url, now)
            cursor = await self._db.execute(
                """INSERT INTO subscriptions
                       (feed_id, channel_id, guild_id, name, source, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (feed_id, channel_id) DO NOTHING""",
                (feed_id, channel_id, guild_id, name, source.value, now),
            )
            created = cursor.rowcount == 1
            if not created and name is not None:
                await self._db.execute(
                    "UPDATE subscriptions SET name = ? WHERE feed_id = ? AND channel_id = ?",
                    (name, feed_id, channel_id),
                )
        subscription = await self._subscription(feed_id, channel_id)
        assert subscription is not None
        return subscription, created

    async def _feed_id_for(self, url: str, now: str) -> int:
        await self._db.execute(
            "INSERT INTO feeds (url, created_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
            (url, now),
        )
        async with self._db.execute("SELECT id FROM feeds WHERE url = ?", (url,)) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row["id"])

    async def _subscription(self, feed_id: int, channel_id: int) -> Subscription | None:
        async with self._db.execute(
            "SELECT * FROM subscriptions WHERE feed_id = ? AND channel_id = ?",
            (feed_id, channel_id),
        ) as cursor:
            row = await cursor.fetchone()
        return _subscription(row) if row else None

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
        async with self._db.execute(
            """SELECT s.id, f.url, s.channel_id
               FROM subscriptions s JOIN feeds f ON f.id = s.feed_id WHERE s.source = ?""",
            (SubscriptionSource.CONFIG.value,),
        ) as cursor:
            stale = [row["id"] for row in await cursor.fetchall() if (row[1], row[2]) not in keep]
        if stale:
            async with self._transaction():
                await self._db.executemany(
                    "DELETE FROM subscriptions WHERE id = ?", [(i,) for i in stale]
                )
            log.info("stopped following %d feed(s) removed from the config file", len(stale))

    async def unsubscribe(self, subscription_id: int) -> None:
        """Stop following; the feed's stored items are kept, pending posts there are dropped."""
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
        async with self._db.execute(
            """SELECT s.*, f.*, s.id AS sub_id, f.id AS feed_id,
                      (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id) AS item_count
               FROM subscriptions s JOIN feeds f ON f.id = s.feed_id
               WHERE s.guild_id = ? ORDER BY s.id""",
            (guild_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            SubscriptionView(
                subscription=_subscription(row, id_column="sub_id"),
                feed=_feed(row, id_column="feed_id"),
                item_count=int(row["item_count"]),
            )
            for row in rows
        ]

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        async with self._db.execute(
            "SELECT * FROM subscriptions WHERE feed_id = ? ORDER BY id", (feed_id,)
        ) as cursor:
            return [_subscription(row) for row in await cursor.fetchall()]

    async def feed(self, feed_id: int) -> Feed | None:
        row = await self._fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return _feed(row) if row else None

    async def due_feeds(self, now: datetime) -> list[Feed]:
        """Feeds someone follows whose next poll time has come (never-polled feeds first)."""
        async with self._db.execute(
            """SELECT * FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id)
                 AND (f.next_poll_at IS NULL OR f.next_poll_at <= ?)
               ORDER BY f.next_poll_at IS NOT NULL, f.next_poll_at, f.id""",
            (to_db_time(now),),
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def followed_feeds(self) -> list[Feed]:
        """Every feed at least one channel follows, due or not."""
        async with self._db.execute(
            """SELECT * FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id) ORDER BY f.id"""
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def next_poll_time(self) -> datetime | None:
        """The earliest time any followed feed is due."""
        row = await self._fetchone(
            """SELECT MIN(COALESCE(f.next_poll_at, '')) AS due FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id)"""
        )
        if row is None or row["due"] is None:
            return None
        return from_db_time(row["due"]) if row["due"] else datetime.min.replace(tzinfo=UTC)

    # Items ---------------------------------------------------------------------------------

    async def known_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """Which of `keys` are already stored for the feed."""
        wanted = list(dict.fromkeys(keys))
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self._db.execute(
                f"SELECT key FROM items WHERE feed_id = ? AND key IN ({marks})",
                (feed_id, *chunk),
            ) as cursor:
                known.update(row["key"] for row in await cursor.fetchall())
        return known

    async def recent_items(self, feed_id: int, limit: int) -> list[Item]:
        """The feed's newest stored items, newest first."""
        async with self._db.execute(
            "SELECT * FROM items WHERE feed_id = ? ORDER BY sort_at DESC, id DESC LIMIT ?",
            (feed_id, limit),
        ) as cursor:
            return [_item(row) for row in await cursor.fetchall()]

    async def latest_items(self, guild_id: int, limit: int) -> list[tuple[Item, str]]:
        """The newest items from the feeds a guild follows, with the name of their source."""
        async with self._db.execute(
            """SELECT i.*, COALESCE(MAX(s.name), f.title, f.url) AS source_name
               FROM items i
               JOIN feeds f ON f.id = i.feed_id
               JOIN subscriptions s ON s.feed_id = f.id AND s.guild_id = ?
               GROUP BY i.id
               ORDER BY i.sort_at DESC, i.id DESC LIMIT ?""",
            (guild_id, limit),
        ) as cursor:
            return [(_item(row), row["source_name"]) for row in await cursor.fetchall()]

    async def apply_poll(self, result: PollResult) -> None:
        """Write everything one poll of one feed decided, atomically."""
        polled = to_db_time(result.polled_at)
        async with self._transaction():
            await self._record_feed_state(result, polled)
            for new in result.new_items:
                await self._insert_item(result.feed_id, new, polled)
            for post in result.planned_posts:
                await self._db.execute(
                    """INSERT INTO outbox (item_id, channel_id, status, created_at)
                       SELECT id, ?, 'pending', ? FROM items WHERE feed_id = ? AND key = ?
                       ON CONFLICT (item_id, channel_id) DO NOTHING""",
                    (post.channel_id, polled, post.feed_id, post.item_key),
                )
            await self._db.executemany(
                "UPDATE subscriptions SET initialized = 1 WHERE id = ?",
                [(i,) for i in result.initialized_subscription_ids],
            )

    async def _record_feed_state(self, result: PollResult, polled: str) -> None:
        next_poll = to_db_time(result.next_poll_at)
        if result.error is not None:
            await self._db.execute(
                """UPDATE feeds SET last_polled_at = ?, last_error = ?, next_poll_at = ?
                   WHERE id = ?""",
                (polled, result.error, next_poll, result.feed_id),
            )
        elif result.not_modified:
            await self._db.execute(
                """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
                   next_poll_at = ? WHERE id = ?""",
                (polled, polled, next_poll, result.feed_id),
            )
        else:
            await self._db.execute(
                """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
                   next_poll_at = ?, etag = ?, last_modified = ?, title = COALESCE(?, title)
                   WHERE id = ?""",
                (
                    polled,
                    polled,
                    next_poll,
                    result.etag,
                    result.last_modified,
                    result.title,
                    result.feed_id,
                ),
            )

    async def _insert_item(self, feed_id: int, new: NewItem, seen: str) -> None:
        entry = new.entry
        published = to_db_time(entry.published_at) if entry.published_at else None
        await self._db.execute(
            """INSERT INTO items (feed_id, key, guid, link, title, author, text, summary,
                                  published_at, seen_at, sort_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (feed_id, key) DO NOTHING""",
            (
                feed_id,
                entry.key,
                entry.guid,
                entry.link,
                entry.title,
                entry.author,
                entry.text,
                new.summary,
                published,
                seen,
                published or seen,
            ),
        )

    # Outbox --------------------------------------------------------------------------------

    async def pending_posts(self, limit: int = 50) -> list[OutboxRow]:
        """Posts not yet accepted by Discord, oldest story first, so channels read in order."""
        async with self._db.execute(
            """SELECT o.id AS outbox_id, o.channel_id, o.status, o.attempts, i.*,
                      COALESCE(s.name, f.title, f.url) AS source_name
               FROM outbox o
               JOIN items i ON i.id = o.item_id
               JOIN feeds f ON f.id = i.feed_id
               LEFT JOIN subscriptions s ON s.feed_id = f.id AND s.channel_id = o.channel_id
               WHERE o.status IN ('pending', 'sending')
               ORDER BY i.sort_at, i.id LIMIT ?""",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            OutboxRow(
                id=int(row["outbox_id"]),
                item=_item(row),
                channel_id=int(row["channel_id"]),
                source_name=row["source_name"],
                status=OutboxStatus(row["status"]),
                attempts=int(row["attempts"]),
            )
            for row in rows
        ]

    async def mark_sending(self, outbox_id: int) -> None:
        await self._update_outbox(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
            (outbox_id,),
        )

    async def mark_posted(
        self, outbox_id: int, *, message_id: int, thread_id: int | None, note: str | None = None
    ) -> None:
        """Record that Discord accepted the post (and opened its thread, if `thread_id`)."""
        await self._update_outbox(
            """UPDATE outbox SET status = 'posted', message_id = ?, thread_id = ?,
               posted_at = ?, last_error = ? WHERE id = ?""",
            (message_id, thread_id, to_db_time(datetime.now(UTC)), note, outbox_id),
        )

    async def mark_retry(self, outbox_id: int, error: str) -> None:
        """Put the post back in line after a failure worth retrying."""
        await self._update_outbox(
            "UPDATE outbox SET status = 'pending', last_error = ? WHERE id = ?",
            (error, outbox_id),
        )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        """Give up on a post (for example: the bot may not write in the channel)."""
        await self._update_outbox(
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
            (error, outbox_id),
        )

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        async with self._db.execute(
            "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"
        ) as cursor:
            return {OutboxStatus(row["status"]): int(row["n"]) for row in await cursor.fetchall()}

    async def _update_outbox(self, sql: str, params: tuple[object, ...]) -> None:
        async with self._transaction():
            await self._db.execute(sql, params)

    async def _fetchone(self, sql: str, params: tuple[object, ...] = ()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()


def _statements(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _feed(row: aiosqlite.Row, *, id_column: str = "id") -> Feed:
    return Feed(
        id=int(row[id_column]),
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled_at=from_db_time(row["last_polled_at"]),
        last_success_at=from_db_time(row["last_success_at"]),
        last_error=row["last_error"],
        next_poll_at=from_db_time(row["next_poll_at"]),
    )


def _subscription(row: aiosqlite.Row, *, id_column: str = "id") -> Subscription:
    return Subscription(
        id=int(row[id_column]),
        feed_id=int(row["feed_id"]),
        channel_id=int(row["channel_id"]),
        guild_id=row["guild_id"],
        name=row["name"],
        source=SubscriptionSource(row["source"]),
        initialized=bool(row["initialized"]),
    )


def _item(row: aiosqlite.Row) -> Item:
    seen_at = from_db_time(row["seen_at"])
    assert seen_at is not None
    return Item(
        id=int(row["id"]),
        feed_id=int(row["feed_id"]),
        key=row["key"],
        title=row["title"],
        link=row["link"],
        text=row["text"],
        summary=row["summary"],
        published_at=from_db_time(row["published_at"]),
        seen_at=seen_at,
    )
