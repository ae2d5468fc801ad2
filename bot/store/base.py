"""The database connection: opening, migrating, transactions, small query helpers."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import aiosqlite

from bot.clock import Clock, system_clock
from bot.store.dialect import POSTGRESQL, SQLITE, Dialect
from bot.store.urls import is_postgres_url, redacted

if TYPE_CHECKING:
    from bot.store.postgres import PostgresDatabase

log = logging.getLogger("bot.store")
_CHUNK = 500  # SQLite's limit on bound parameters is generous, but not unlimited
# Write transactions between two checkpoints of the write-ahead log, run beside the writes.
CHECKPOINT_EVERY = 8
# Pages of log after which the writer checkpoints in its commit, as SQLite does by itself
# every 1,000 pages: under a steady stream of writes the log is copied out beside them but
# restarts from its beginning only after a checkpoint by the writer (who then finds
# little left to copy), so this bounds its size (16 MiB of 4 KiB pages).
WRITER_CHECKPOINT_PAGES = 4000
T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


class StoreOpenError(Exception):
    """The database at `path` (a file, or a PostgreSQL URL without its password) cannot be
    created, opened or read as a database; `reason` says why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"cannot open {path}: {reason}")
        self.path = path
        self.reason = reason


class StoreBase:
    """The connection, migrations and transactions every group of queries shares."""

    def __init__(
        self,
        connection: aiosqlite.Connection | PostgresDatabase,
        clock: Clock = system_clock,
        dialect: Dialect = SQLITE,
    ) -> None:
        self._db = connection
        self._dialect = dialect
        self.clock = clock
        self._write_lock = asyncio.Lock()
        self._checkpoints: _Checkpoints | None = None

    @classmethod
    async def open(cls, path: Path | str, *, clock: Clock = system_clock) -> Self:
        """Open (creating and migrating as needed) the database at `path`: a SQLite file,
        or a PostgreSQL database if it is a `postgresql://` URL.

        `clock` stamps what the store records on its own (creation and posting times).
        Raises `StoreOpenError` if it cannot be created, opened or read as a database.
        """
        if is_postgres_url(path):
            return await cls._open_postgres(str(path), clock)
        try:
            if str(path) != ":memory:":
                _create_writable(Path(path))
            connection = await aiosqlite.connect(str(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreOpenError(path, _reason(exc)) from exc
        connection.row_factory = aiosqlite.Row
        store = cls(connection, clock)
        try:
            await store._configure()
            await store._migrate()
            if str(path) != ":memory:":
                store._checkpoints = await _Checkpoints.open(Path(path))
                autocheckpoint = f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}"
                await store._in_db_thread(lambda db: db.execute(autocheckpoint))
        except sqlite3.Error as exc:  # not a database, read-only, locked...
            await connection.close()
            raise StoreOpenError(path, _reason(exc)) from exc
        except BaseException:
            await connection.close()
            raise
        return store

    @classmethod
    async def _open_postgres(cls, url: str, clock: Clock) -> Self:
        from bot.store.postgres import PostgresDatabase  # psycopg, only for a PostgreSQL store

        try:
            database = await PostgresDatabase.connect(url)
        except sqlite3.Error as exc:  # bot.store.postgres: psycopg's errors as sqlite3's
            raise StoreOpenError(redacted(url), _reason(exc)) from exc
        store = cls(database, clock, POSTGRESQL)
        try:
            await store._migrate()
        except sqlite3.Error as exc:
            await database.close()
            raise StoreOpenError(redacted(url), _reason(exc)) from exc
        except BaseException:
            await database.close()
            raise
        return store

    async def close(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.close()
        await self._db.close()  # the last connection to close checkpoints the whole log

    async def _configure(self) -> None:
        def configure(db: sqlite3.Connection) -> None:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA busy_timeout = 5000")

        await self._in_db_thread(configure)

    async def _migrate(self) -> None:
        dialect = self._dialect
        known = len(dialect.migrations)
        version = await self.schema_version()
        if version > known:
            raise RuntimeError(
                f"the database schema (version {version}) is newer than this Bazaar "
                f"(knows {known}); upgrade Bazaar"
            )
        for number in range(version + 1, known + 1):
            log.info("migrating database to schema version %d", number)

            def migrate(db: sqlite3.Connection, number: int = number) -> None:
                # Read again inside the transaction: another process may have run it since.
                if dialect.schema_version(db) < number:
                    dialect.migrate(db, number)

            await self._write_in_db_thread(migrate)

    async def schema_version(self) -> int:
        return await self._in_db_thread(self._dialect.schema_version)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
        """A transaction whose statements are awaited one by one (each a round trip to the
        database's thread); `_write_in_db_thread` runs a whole one in one round trip."""
        # One connection is shared by every coroutine: the lock keeps another coroutine's
        # statements from landing inside (or being rolled back with) this transaction.
        async with self._write_lock:
            try:
                await self._in_db_thread(lambda db: db.execute("BEGIN IMMEDIATE"))
                yield Transaction(self._in_db_thread)
            except BaseException:
                # Queued in the worker thread behind any statement still running there (even
                # one whose caller was cancelled, BEGIN included), so it always ends what
                # BEGIN opened, and it is a no-op if nothing was opened: a cancellation stays
                # a cancellation instead of becoming "no transaction is active".
                await self._in_db_thread(lambda db: db.rollback())
                raise
            await self._in_db_thread(lambda db: db.commit())
        self._written()

    async def refresh_statistics(self) -> None:
        """Tell the query planner how large the tables have grown (after a cycle that
        stored many rows)."""
        await self._in_db_thread(self._dialect.refresh_statistics)

    async def _in_db_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` in the database's own thread: many statements, one round trip
        from the event loop. (aiosqlite runs its own calls the same way; it has no public
        name for it, so this is the one place that uses its private `_execute`. On
        PostgreSQL, `connection` is `bot.store.postgres.Connection`, of the same API.)"""
        if not isinstance(self._db, aiosqlite.Connection):
            return await self._db.run(work)  # type: ignore[arg-type]
        return await self._db._execute(work, self._db._conn)

    async def _write_in_db_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` as one transaction, in one round trip; rolled back if it
        raises. Once queued it runs to its end even if the caller is cancelled: it is
        committed whole or not at all, like any transaction."""
        async with self._write_lock:
            result = await self._in_db_thread(functools.partial(_transaction, work))
        self._written()
        return result

    def _written(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.after_write()

    # A query is run to its end in one call in the database's thread: stepped in two calls
    # (aiosqlite's execute, then fetchall), another coroutine's write could land between
    # the steps on this same connection, and SQLite leaves such a read's results undefined
    # (a GROUP BY once gave a NULL status). One call is one round trip, too.
    async def _fetchone(self, sql: str, params: Sequence[object] = ()) -> aiosqlite.Row | None:
        return await self._in_db_thread(lambda db: db.execute(sql, params).fetchone())

    async def _fetchall(self, sql: str, params: Sequence[object] = ()) -> list[aiosqlite.Row]:
        return await self._in_db_thread(lambda db: db.execute(sql, params).fetchall())

    async def _subscription_place(self, subscription_id: int) -> tuple[int, int] | None:
        """(feed id, channel id) of a subscription, None if there is none such."""
        row = await self._fetchone(
            "SELECT feed_id, channel_id FROM subscriptions WHERE id = ?", (subscription_id,)
        )
        return (int(row["feed_id"]), int(row["channel_id"])) if row else None

    async def _write(self, sql: str, params: Sequence[object]) -> None:
        await self._write_in_db_thread(lambda db: db.execute(sql, params))


class Transaction:
    """The statements of one transaction (`StoreBase._transaction`), run in the database's
    thread one at a time."""

    def __init__(self, run: Callable[[Work], Awaitable[Any]]) -> None:
        self._run = run

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; how many rows it changed."""
        return int(await self._run(lambda db: db.execute(sql, params).rowcount))

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        rows = list(rows)
        await self._run(lambda db: db.executemany(sql, rows))


class _Checkpoints:
    """Checkpoints of the write-ahead log on a connection (and thread) of their own, every
    `CHECKPOINT_EVERY` write transactions: copying the log into the database then runs
    beside the writes instead of inside one of them. PASSIVE: it never waits for, nor
    blocks, a reader or the writer; what it cannot copy yet is copied by a later one."""

    def __init__(self, connection: sqlite3.Connection, thread: ThreadPoolExecutor) -> None:
        self._connection = connection
        # One thread runs the connection's calls in the order given, so its close comes
        # after a checkpoint still running, even one whose task was cancelled: closing a
        # connection in the middle of its statement crashes the process.
        self._thread = thread
        self._writes = 0
        self._running: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> _Checkpoints:
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bazaar-checkpoints")
        connect = functools.partial(
            sqlite3.connect, str(path), isolation_level=None, check_same_thread=False
        )
        try:
            connection = await asyncio.get_running_loop().run_in_executor(thread, connect)
        except BaseException:
            thread.shutdown(wait=False)
            raise
        return cls(connection, thread)

    def after_write(self) -> None:
        self._writes += 1
        if self._writes >= CHECKPOINT_EVERY and self._running is None and not self._closed:
            self._writes = 0
            self._running = asyncio.create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        checkpoint = functools.partial(self._connection.execute, "PRAGMA wal_checkpoint(PASSIVE)")
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, checkpoint)
        except sqlite3.Error as exc:  # busy or locked: the next one copies what this did not
            log.debug("checkpoint skipped: %s", exc)
        finally:
            self._running = None

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._connection.close)
        finally:
            self._thread.shutdown(wait=False)


def _transaction(work: Callable[[sqlite3.Connection], T], db: sqlite3.Connection) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return result


def _create_writable(path: Path) -> None:
    """Create `path` (and its folders) if missing and open it for writing, or raise OSError.

    SQLite says only "unable to open database file"; the operating system says why (is a
    directory, not a directory, permission denied, read-only file system).
    """
    if not path.parent.exists():  # a regular file there fails below, as "Not a directory"
        path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))


def _reason(exc: OSError | sqlite3.Error) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
