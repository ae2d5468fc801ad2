"""Reading the database without changing it, for tools that look but must not touch
(`python -m bot doctor`): no migration, no write, no file created next to it."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.models import SubscriptionSource
from bot.store.base import StoreOpenError
from bot.store.schema import MIGRATIONS


@dataclass(frozen=True)
class StoredSubscription:
    """A channel following a feed, as the database has it."""

    feed_url: str
    channel_id: int
    guild_id: int | None
    name: str | None = None
    role_id: int | None = None  # mentioned on new posts, if an admin opted in
    paused: bool = False  # in this channel, by an admin or after Discord refused a post
    source: SubscriptionSource = SubscriptionSource.COMMAND  # /feeds add, or the config file


@dataclass(frozen=True)
class DatabaseSnapshot:
    path: Path
    schema_version: int
    subscriptions: tuple[StoredSubscription, ...]

    @property
    def newer_than_this_bazaar(self) -> bool:
        return self.schema_version > len(MIGRATIONS)


async def read_subscriptions(path: Path) -> DatabaseSnapshot | None:
    """Every subscription in the database at `path`, or None if there is no file yet.

    Raises `StoreOpenError` if the file cannot be read as a Bazaar database."""
    return await asyncio.to_thread(_read, path)


def _read(path: Path) -> DatabaseSnapshot | None:
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise StoreOpenError(path, str(exc)) from None
    try:
        db.row_factory = sqlite3.Row
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version == 0:
            return DatabaseSnapshot(path, version, ())
        rows = db.execute(
            "SELECT s.*, f.url AS feed_url FROM subscriptions s JOIN feeds f ON f.id = s.feed_id"
            " ORDER BY s.id"
        ).fetchall()
    except sqlite3.Error as exc:  # not a database, or not Bazaar's
        raise StoreOpenError(path, str(exc)) from None
    finally:
        db.close()
    return DatabaseSnapshot(path, version, tuple(_subscription(row) for row in rows))


def _read_only_uri(path: Path) -> str:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    # A read-only connection to a WAL database still creates its -wal and -shm files when
    # they are missing, owned by whoever runs the tool: run as root, they would lock the bot
    # out. No -wal file means no writer has anything unsaved, so the file alone is the
    # whole database and can be read as immutable, creating nothing.
    if not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return uri


def _subscription(row: sqlite3.Row) -> StoredSubscription:
    columns = row.keys()  # older schemas lack the later columns: the bot adds them on start

    def column(name: str) -> object:
        return row[name] if name in columns else None

    role = column("role_id")
    return StoredSubscription(
        feed_url=row["feed_url"],
        channel_id=int(row["channel_id"]),
        guild_id=None if row["guild_id"] is None else int(row["guild_id"]),
        name=row["name"],
        role_id=None if role is None else int(role),  # type: ignore[call-overload]
        paused=column("channel_paused_at") is not None,
        source=SubscriptionSource(row["source"]),
    )
