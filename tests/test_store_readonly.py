"""Reading the subscriptions for a tool that must not change the database: while the bot
runs (its last writes still in the WAL) and when it does not (nothing created beside it)."""

from __future__ import annotations

import os
from pathlib import Path

from bot.config import FeedSettings
from bot.models import SubscriptionSource
from bot.store import Store
from bot.store.readonly import StoredSubscription, read_subscriptions

CONFIG = SubscriptionSource.CONFIG


async def test_a_running_bots_latest_subscriptions_are_read_from_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "bazaar.db"
    store = await Store.open(path)  # stays open, as the running bot's connection does
    try:
        await store.subscribe(
            "https://example.org/feed.xml", 7, source=SubscriptionSource.COMMAND, guild_id=1
        )
        subscription, _ = await store.subscribe(
            "https://example.org/other.xml",
            8,
            source=SubscriptionSource.COMMAND,
            guild_id=1,
            name="Other",
            role_id=99,
        )
        await store.pause_subscription(subscription.id, "Missing Permissions", store.clock())
        await store.sync_config_feeds([FeedSettings("https://example.org/config.xml", 9)])
        assert "bazaar.db-wal" in os.listdir(tmp_path)

        snapshot = await read_subscriptions(path)
    finally:
        await store.close()

    assert snapshot is not None
    assert snapshot.subscriptions == (
        StoredSubscription("https://example.org/feed.xml", 7, 1),
        StoredSubscription("https://example.org/other.xml", 8, 1, "Other", 99, paused=True),
        StoredSubscription("https://example.org/config.xml", 9, None, source=CONFIG),
    )


async def test_no_file_is_no_database_and_reading_creates_nothing(tmp_path: Path) -> None:
    assert await read_subscriptions(tmp_path / "bazaar.db") is None
    store = await Store.open(tmp_path / "bazaar.db")
    await store.close()
    before = sorted(os.listdir(tmp_path))

    snapshot = await read_subscriptions(tmp_path / "bazaar.db")

    assert snapshot is not None and snapshot.subscriptions == ()
    assert not snapshot.newer_than_this_bazaar
    assert sorted(os.listdir(tmp_path)) == before == ["bazaar.db"]
