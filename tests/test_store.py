import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.config import FeedSettings
from bot.models import SubscriptionSource
from bot.store import Store
from bot.store.base import CHECKPOINT_EVERY, _Checkpoints
from bot.store.schema import MIGRATIONS


async def test_a_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "sub" / "bazaar.db")
    try:
        assert await store.schema_version() == len(MIGRATIONS)
    finally:
        await store.close()
    async with (
        aiosqlite.connect(tmp_path / "sub" / "bazaar.db") as db,
        db.execute("PRAGMA journal_mode") as cursor,
    ):
        assert (await cursor.fetchone())[0] == "wal"


async def test_a_database_from_a_newer_bazaar_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bazaar.db"
    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer than this Bazaar"):
        await Store.open(path)


async def test_config_feeds_are_synced_and_removed_ones_stop_being_followed(store: Store) -> None:
    a = FeedSettings("https://a.example/feed", 1, "A")
    b = FeedSettings("https://b.example/feed", 2)
    await store.sync_config_feeds([a, b])
    await store.subscribe(
        "https://c.example/feed", 3, source=SubscriptionSource.COMMAND, guild_id=5
    )
    await store.sync_config_feeds([a])

    urls = sorted(feed.url for feed in await store.followed_feeds())
    assert urls == ["https://a.example/feed", "https://c.example/feed"]


async def test_subscribing_twice_keeps_one_subscription(store: Store) -> None:
    _, created = await store.subscribe("https://a.example/f", 1, source=SubscriptionSource.COMMAND)
    _, again = await store.subscribe("https://a.example/f", 1, source=SubscriptionSource.COMMAND)
    assert (created, again) == (True, False)
    assert len(await store.followed_feeds()) == 1


async def test_the_write_ahead_log_is_copied_into_the_database_as_writes_go_on(
    tmp_path: Path,
) -> None:
    # Checkpoints run beside the writes (their own connection), and the log stays bounded
    # however much is written in a row, instead of growing until the store is closed.
    path, log = tmp_path / "bazaar.db", tmp_path / "bazaar.db-wal"
    store = await Store.open(path)
    try:
        text = "x" * 100_000
        for n in range(600):  # 60 MB in 600 transactions
            await store.add_notice(1000 + n, text, datetime(2026, 11, 24, tzinfo=UTC))
        # Bounded (16 MiB, once more when a checkpoint was busy), not the 60 MB written.
        assert log.stat().st_size < 30_000_000
        assert path.stat().st_size > 50_000_000  # the notices are in the file
    finally:
        await store.close()


async def test_a_store_closed_in_the_middle_of_a_checkpoint_closes_its_connection_after_it(
    tmp_path: Path,
) -> None:
    # Shutting down cancels the checkpoint's task, but not its statement, which runs on in
    # its thread: closing the connection under that statement crashed the process.
    calls: list[str] = []
    started, release = threading.Event(), threading.Event()

    class SlowConnection(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            calls.append("checkpoint")
            started.set()
            release.wait(10)
            cursor = super().execute(sql, *args)
            calls.append("checkpoint done")
            return cursor

        def close(self) -> None:
            calls.append("close")
            super().close()

    connection = sqlite3.connect(
        tmp_path / "bazaar.db", factory=SlowConnection, check_same_thread=False
    )
    checkpoints = _Checkpoints(connection, ThreadPoolExecutor(max_workers=1))
    for _ in range(CHECKPOINT_EVERY):
        checkpoints.after_write()
    await asyncio.to_thread(started.wait, 10)
    for task in asyncio.all_tasks() - {asyncio.current_task()}:
        task.cancel()  # as asyncio.run does on the way out

    closing = asyncio.create_task(checkpoints.close())
    await asyncio.sleep(0.05)
    assert calls == ["checkpoint"]  # the close waits for the statement
    release.set()
    await closing
    assert calls == ["checkpoint", "checkpoint done", "close"]

    for _ in range(CHECKPOINT_EVERY):
        checkpoints.after_write()  # a closed store starts no checkpoint
    await asyncio.sleep(0)
    assert calls == ["checkpoint", "checkpoint done", "close"]


async def test_a_store_closed_twice_is_closed_once(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bazaar.db")
    await store.close()
    await store.close()  # as a caller's own close and then its fixture's
