"""Feeds and the channels that follow them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.models import (
    NO_RULES,
    Feed,
    FeedFilter,
    KeywordFilter,
    Subscription,
    SubscriptionSource,
)
from bot.roles import EVERY_FEED, Shard
from bot.store.base import _CHUNK, StoreBase
from bot.store.schema import (
    feed_from_row,
    from_db_time,
    subscription_from_row,
    to_db_time,
)

log = logging.getLogger("bot.store")


class ConfigFeed(Protocol):
    """A feed the config file follows (`[[feeds]]`), as the store needs it."""

    @property
    def url(self) -> str: ...
    @property
    def channel_id(self) -> int: ...
    @property
    def name(self) -> str | None: ...
    @property
    def filter(self) -> FeedFilter: ...


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription with the health of the feed behind it, for `/feeds list`."""

    subscription: Subscription
    feed: Feed
    item_count: int
    last_item_at: datetime | None = None  # when the feed last brought something new

    @property
    def name(self) -> str | None:
        """What the server calls the feed: its name there, else the feed's own title."""
        return self.subscription.name or self.feed.title


class FeedQueries(StoreBase):
    async def subscribe(
        self,
        url: str,
        channel_id: int,
        *,
        source: SubscriptionSource,
        guild_id: int | None = None,
        name: str | None = None,
        feed_filter: FeedFilter = FeedFilter.ALL,
        rules: KeywordFilter = NO_RULES,
        role_id: int | None = None,
    ) -> tuple[Subscription, bool]:
        """Make `channel_id` follow the feed at `url`; return the subscription and if it is new."""
        now = to_db_time(self.clock())
        async with self._transaction() as tx:
            await tx.execute(
                "INSERT INTO feeds (url, created_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                (url, now),
            )
            feed = await self._fetchone("SELECT id FROM feeds WHERE url = ?", (url,))
            assert feed is not None
            changed = await tx.execute(
                """INSERT INTO subscriptions
                       (feed_id, channel_id, guild_id, name, source, filter, created_at,
                        include_words, exclude_words, pattern, role_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (feed_id, channel_id) DO NOTHING""",
                (
                    feed["id"],
                    channel_id,
                    guild_id,
                    name,
                    source.value,
                    feed_filter.value,
                    now,
                    json.dumps(list(rules.include)),
                    json.dumps(list(rules.exclude)),
                    rules.pattern,
                    role_id,
                ),
            )
            created = changed == 1
            if created:
                # A channel that starts following an already-polled feed gets its backfill
                # at the next cycle, not whenever the feed is next due.
                await tx.execute(
                    "UPDATE feeds SET next_poll_at = NULL WHERE id = ? AND paused_at IS NULL",
                    (feed["id"],),
                )
            else:
                # Following again may change how: a new name or filter takes effect.
                await tx.execute(
                    """UPDATE subscriptions SET name = COALESCE(?, name), filter = ?,
                           include_words = ?, exclude_words = ?, pattern = ?, role_id = ?
                       WHERE feed_id = ? AND channel_id = ?""",
                    (
                        name,
                        feed_filter.value,
                        json.dumps(list(rules.include)),
                        json.dumps(list(rules.exclude)),
                        rules.pattern,
                        role_id,
                        feed["id"],
                        channel_id,
                    ),
                )
        row = await self._fetchone(
            "SELECT * FROM subscriptions WHERE feed_id = ? AND channel_id = ?",
            (feed["id"], channel_id),
        )
        assert row is not None
        return subscription_from_row(row), created

    async def sync_config_feeds(self, feeds: Iterable[ConfigFeed]) -> None:
        """Make the config file's `[[feeds]]` the set of config subscriptions.

        Feeds added with `/feeds add` are left alone; config feeds removed from the file
        stop being followed (their items stay stored).
        """
        wanted = list(feeds)
        for feed in wanted:
            await self.subscribe(
                feed.url,
                feed.channel_id,
                source=SubscriptionSource.CONFIG,
                name=feed.name,
                feed_filter=feed.filter,
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
        async with self._transaction() as tx:
            place = await self._subscription_place(subscription_id)
            if place is None:
                return
            feed_id, channel_id = place
            await tx.execute(
                """DELETE FROM outbox WHERE channel_id = ? AND status IN ('pending', 'failed')
                   AND item_id IN (SELECT id FROM items WHERE feed_id = ?)""",
                (channel_id, feed_id),
            )
            await tx.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    async def set_guilds_for_channels(self, guild_by_channel: dict[int, int]) -> None:
        """Fill in the guild of subscriptions that only knew their channel (config feeds)."""
        async with self._transaction() as tx:
            await tx.executemany(
                "UPDATE subscriptions SET guild_id = ? WHERE channel_id = ? AND guild_id IS NULL",
                [(guild, channel) for channel, guild in guild_by_channel.items()],
            )

    async def guild_subscriptions(self, guild_id: int) -> list[SubscriptionView]:
        """The guild's subscriptions with their feed's health, oldest first."""
        rows = await self._fetchall(
            """SELECT s.*, f.*, s.id AS sub_id, f.id AS feed_id,
                      (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id) AS item_count,
                      (SELECT MAX(seen_at) FROM items i WHERE i.feed_id = f.id) AS last_item_at
               FROM subscriptions s JOIN feeds f ON f.id = s.feed_id
               WHERE s.guild_id = ? ORDER BY s.id""",
            (guild_id,),
        )
        return _subscription_views(rows)

    async def channel_subscriptions(self, channel_id: int | None = None) -> list[SubscriptionView]:
        """What `channel_id` follows, or every subscription of every server (config feeds
        too, known guild or not) when None; oldest first."""
        rows = await self._fetchall(
            """SELECT s.*, f.*, s.id AS sub_id, f.id AS feed_id,
                      (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id) AS item_count,
                      (SELECT MAX(seen_at) FROM items i WHERE i.feed_id = f.id) AS last_item_at
               FROM subscriptions s JOIN feeds f ON f.id = s.feed_id
               WHERE ?1 IS NULL OR s.channel_id = ?1 ORDER BY s.id""",
            (channel_id,),
        )
        return _subscription_views(rows)

    async def subscriptions_of(self, feed_ids: Sequence[int]) -> dict[int, list[Subscription]]:
        """Every subscription of these feeds, by feed (in a few queries, not one per feed)."""
        found: dict[int, list[Subscription]] = {feed_id: [] for feed_id in feed_ids}
        ids = list(found)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = await self._fetchall(
                f"SELECT * FROM subscriptions WHERE feed_id IN ({', '.join('?' * len(chunk))})"
                " ORDER BY id",
                chunk,
            )
            for row in rows:
                found[int(row["feed_id"])].append(subscription_from_row(row))
        return found

    async def following_counts(self) -> tuple[int, int]:
        """How many feeds are followed, and by how many servers (those known so far)."""
        row = await self._fetchone(
            """SELECT COUNT(DISTINCT feed_id) AS feeds,
                      COUNT(DISTINCT guild_id) AS servers FROM subscriptions"""
        )
        return (int(row["feeds"]), int(row["servers"])) if row else (0, 0)

    async def feed_subscriptions(self, feed_id: int) -> list[Subscription]:
        rows = await self._fetchall(
            "SELECT * FROM subscriptions WHERE feed_id = ? ORDER BY id", (feed_id,)
        )
        return [subscription_from_row(row) for row in rows]

    async def due_feeds(self, now: datetime, shard: Shard = EVERY_FEED) -> list[Feed]:
        """Followed, unpaused feeds whose next poll time has come (never-polled ones first);
        only those of `shard` (see `Shard.owns`)."""
        rows = await self._fetchall(
            """SELECT * FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id)
                 AND f.paused_at IS NULL
                 AND (f.next_poll_at IS NULL OR f.next_poll_at <= ?)
                 AND (? = 1 OR f.id % ? = ?)
               ORDER BY f.next_poll_at IS NOT NULL, f.next_poll_at, f.id""",
            (to_db_time(now), shard.count, shard.count, shard.index),
        )
        return [feed_from_row(row) for row in rows]

    async def followed_feeds(self) -> list[Feed]:
        """Every feed at least one channel follows, due, paused or not."""
        rows = await self._fetchall(
            """SELECT * FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id) ORDER BY f.id"""
        )
        return [feed_from_row(row) for row in rows]

    async def next_poll_time(self, shard: Shard = EVERY_FEED) -> datetime | None:
        """The earliest time any followed, unpaused feed of `shard` is due (the distant
        past if never)."""
        row = await self._fetchone(
            """SELECT COUNT(*) AS n, MIN(COALESCE(f.next_poll_at, '')) AS due FROM feeds f
               WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.feed_id = f.id)
                 AND f.paused_at IS NULL AND (? = 1 OR f.id % ? = ?)""",
            (shard.count, shard.count, shard.index),
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


def _subscription_views(rows: Sequence[Any]) -> list[SubscriptionView]:
    """Subscriptions with their feed and its item count, from rows joining both."""
    return [
        SubscriptionView(
            subscription=subscription_from_row(row, id_column="sub_id"),
            feed=feed_from_row(row, id_column="feed_id"),
            item_count=int(row["item_count"]),
            last_item_at=from_db_time(row["last_item_at"]),
        )
        for row in rows
    ]
