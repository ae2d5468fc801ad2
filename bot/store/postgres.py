"""PostgreSQL under the store: psycopg's synchronous connection, in a thread of its own, made
to speak the part of sqlite3 the store's queries are written in.

    Store ──► PostgresDatabase.run(work) ──► its one thread ──► work(Connection) ──► psycopg
              (one hop from the event loop)                     (sqlite3's API, SQL translated)

The store's writes are synchronous functions `work(db)` run in the database's thread as one
transaction (see `bot.store.base`); through `Connection` the very same functions run here.
What it translates, so that one text of SQL serves both engines:

- placeholders: `?` becomes psycopg's `%s`, `?N` a named one (so the same value may appear
  twice), a literal `%` is doubled; nothing inside a string literal, a quoted name or a
  comment is taken for a placeholder;
- values are bound on the client (psycopg's `ClientCursor`), as literals the server types
  from their context as SQLite does (`? IS NULL` with None, a string compared to a number);
  `executemany`'s are bound on the server (one plan for all the rows);
  Python's booleans are bound as 1 and 0, as the schema keeps them (INTEGER columns);
- transactions: the connection is in autocommit mode, so `BEGIN`/`COMMIT` are explicit as
  with sqlite3 under `isolation_level=None`. `BEGIN IMMEDIATE` (SQLite's "one writer at a
  time") becomes `BEGIN` plus a transaction-scoped advisory lock, one per schema: the
  store's writes are serialised across every process on the database as they are on SQLite,
  so what a transaction reads before it writes (a poll's stories, the items other writers
  stored since) stays true until it commits, and items commit in the order of their ids;
  readers never wait for it;
- rows: `Row`, read by position or column name like `sqlite3.Row`;
- errors: psycopg's become sqlite3's of the same DB-API kind (`sqlite3.IntegrityError` for
  a constraint, `sqlite3.OperationalError` for a lost connection...), each chained to
  psycopg's (`__cause__`) and carrying its `sqlstate`, so the store's `except sqlite3.Error`
  holds whatever the engine. A lost connection is opened again by the next call that is not
  inside a transaction; inside one, every statement fails until it is rolled back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
import psycopg.adapt
import psycopg.postgres
from psycopg import pq

T = TypeVar("T")

# The advisory lock `BEGIN IMMEDIATE` takes: (this class, a hash of the current schema), so
# two Bazaars in two schemas of one database do not wait for each other.
WRITER_LOCK_CLASS = 0x62617A61  # "baza"
_BEGIN = f"BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK_CLASS}, hashtext(current_schema()))"
_BEGIN_STATEMENTS = {
    "BEGIN": "BEGIN",
    "BEGIN DEFERRED": "BEGIN",
    "BEGIN TRANSACTION": "BEGIN",
    "BEGIN IMMEDIATE": _BEGIN,
    "BEGIN EXCLUSIVE": _BEGIN,
}


class PostgresDatabase:
    """One connection to PostgreSQL and the one thread that uses it: `run(work)` calls
    `work(connection)` there, one at a time, in the order asked. Open with `connect`."""

    def __init__(self, url: str, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        self.url = url
        self._executor = executor
        self._connection = Connection(url)
        self._closed = False

    @classmethod
    async def connect(cls, url: str) -> PostgresDatabase:
        """Connect to `url`; raises `sqlite3.OperationalError` (from psycopg's) if it cannot."""
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="bazaar-postgres"
        )
        database = cls(url, executor)
        try:
            await database.run(lambda db: db.open())
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return database

    async def run(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in the database's thread. Once queued it runs to its end even
        if the caller is cancelled (as aiosqlite's calls do): a transaction queued is
        committed or rolled back by its own code, never cut in the middle. Raises
        ValueError once closed (as aiosqlite does)."""
        if self._closed:
            raise ValueError("the PostgreSQL connection is closed")
        done = self._executor.submit(work, self._connection)
        done.add_done_callback(_retrieve)
        return await asyncio.shield(asyncio.wrap_future(done))

    async def close(self) -> None:
        """Close the connection after what is queued; closing again does nothing."""
        if self._closed:
            return
        try:
            await self.run(lambda db: db.close())
        finally:
            self._closed = True
            self._executor.shutdown(wait=False)


def _retrieve(done: concurrent.futures.Future[Any]) -> None:
    # A shielded call whose caller was cancelled: its outcome is nobody's, so asyncio must
    # not warn that an exception was never retrieved.
    if not done.cancelled():
        done.exception()


class Connection:
    """A `psycopg.Connection` with the API of `sqlite3.Connection` that the store uses:
    `execute`, `executemany`, `executescript`, `commit`, `rollback`. Used from one thread."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._pg: psycopg.Connection[Row] | None = None
        self._in_transaction = False

    def open(self) -> None:
        with _sqlite_errors():
            self._pg = psycopg.connect(
                self._url,
                autocommit=True,
                cursor_factory=psycopg.ClientCursor,
                row_factory=sqlite_rows,
            )
        self._pg.adapters.register_dumper(bool, _BoolAsInteger)

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            self._pg = None

    def execute(self, sql: str, params: Sequence[object] | Mapping[str, object] = ()) -> Cursor:
        begin = _BEGIN_STATEMENTS.get(" ".join(sql.split()).upper().rstrip(";"))
        if begin is not None:
            self._begin(begin)
            return Cursor(None)
        query, values = translate(sql, params)
        with _sqlite_errors():
            cursor = self._connected().cursor()
            cursor.execute(query, values)
        return Cursor(cursor)

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence[object]]) -> Cursor:
        """Bound on the server, unlike `execute`: the statement is parsed and planned once
        for all its rows (4× faster for a poll's thousands of rows). The store's batched
        statements write typed columns, so the server needs no literals to type them."""
        translated = _translated(sql)
        rows = [translated.values(params) for params in seq_of_params]
        with _sqlite_errors():
            cursor = psycopg.Cursor(self._connected())
            if rows:
                cursor.executemany(translated.query, rows)
        return Cursor(cursor)

    def executescript(self, script: str) -> None:
        """Run `script`, statements separated by semicolons, as it is: no placeholders, no
        translation (schema_pg's migrations are PostgreSQL's own SQL)."""
        if not script.strip():
            return
        with _sqlite_errors():
            self._connected().execute(script)  # no parameters: psycopg reads no `%` in it

    def commit(self) -> None:
        """End the transaction, as sqlite3's commit does (nothing if none is open). A
        transaction in which a statement failed cannot be committed on PostgreSQL: it is
        rolled back, and this raises `sqlite3.OperationalError`."""
        self._in_transaction = False
        pg = self._pg
        if pg is None or pg.closed:
            return
        status = pg.info.transaction_status
        with _sqlite_errors():
            if status == pq.TransactionStatus.INERROR:
                pg.execute("ROLLBACK")
                raise sqlite3.OperationalError(
                    "the transaction was rolled back: one of its statements had failed"
                )
            if status != pq.TransactionStatus.IDLE:
                pg.execute("COMMIT")

    def rollback(self) -> None:
        """Undo the open transaction, if any; on a lost connection, forget it (the server
        has rolled it back) so that the next call connects again."""
        self._in_transaction = False
        pg = self._pg
        if pg is None or pg.closed:
            return
        if pg.info.transaction_status != pq.TransactionStatus.IDLE:
            with _sqlite_errors():
                pg.execute("ROLLBACK")

    def _begin(self, statement: str) -> None:
        with _sqlite_errors():
            self._connected().execute(statement)
        self._in_transaction = True

    def _connected(self) -> psycopg.Connection[Row]:
        if self._pg is not None and not self._pg.closed:
            return self._pg
        if self._in_transaction:
            # Connecting again here would run the rest of the transaction outside it.
            raise sqlite3.OperationalError(
                "the connection to PostgreSQL was lost inside a transaction (rolled back)"
            )
        self.open()
        assert self._pg is not None
        return self._pg


class Cursor:
    """What `Connection.execute` returns: sqlite3's cursor as the store reads one."""

    def __init__(self, cursor: psycopg.Cursor[Row] | None) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    def fetchone(self) -> Row | None:
        if not self._has_rows():
            return None
        with _sqlite_errors():
            return self._cursor.fetchone()  # type: ignore[union-attr]

    def fetchall(self) -> list[Row]:
        if not self._has_rows():
            return []
        with _sqlite_errors():
            return self._cursor.fetchall()  # type: ignore[union-attr]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())

    def _has_rows(self) -> bool:
        # sqlite3 answers None (or no rows) for a statement that returns none; psycopg raises.
        return self._cursor is not None and self._cursor.description is not None


class Row:
    """A result row read like `sqlite3.Row`: by position, by column name (the first column
    of that name, as sqlite3 does when a join repeats one), `keys()`, iteration over the
    values, and equality with another row."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: _Names, values: Sequence[Any]) -> None:
        self._names = names
        self._values = tuple(values)

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            return self._values[self._names.index(key)]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._names.names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self._names.names == other._names.names and self._values == other._values

    def __hash__(self) -> int:
        return hash((self._names.names, self._values))

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names.names, self._values, strict=True))!r})"


class _Names:
    """A result's column names, and where each is first (shared by the rows of a result)."""

    __slots__ = ("_first", "names")

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._first: dict[str, int] = {}
        for position, name in enumerate(self.names):
            self._first.setdefault(name, position)
            self._first.setdefault(name.lower(), position)

    def index(self, name: str) -> int:
        try:
            return self._first[name]
        except KeyError:
            try:
                return self._first[name.lower()]  # sqlite3.Row ignores case too
            except KeyError:
                raise IndexError(f"no column named {name!r}") from None


def sqlite_rows(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    """psycopg's row factory for `Row`s."""
    names = _Names([column.name for column in cursor.description or ()])
    return functools.partial(Row, names)


class _BoolAsInteger(psycopg.adapt.Dumper):
    """True and False as 1 and 0: the schema keeps booleans in INTEGER columns, as SQLite."""

    oid = psycopg.postgres.types["int4"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"

    def quote(self, obj: bool) -> bytes:
        return self.dump(obj)


# Placeholders ---------------------------------------------------------------------------

# What a placeholder may not be found in (string literals, quoted names, comments), then a
# placeholder, then a percent sign; everything else is copied as it is.
_SQL_PIECE = re.compile(
    r"""(?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/)"""
    r"""|\?(?P<number>\d*)|%""",
    re.DOTALL,
)


@dataclass(frozen=True)
class Translated:
    """A statement in psycopg's terms: `query`, and which parameter each name stands for
    (`numbers`, for a statement with `?N`; None when its placeholders are all `?`)."""

    query: str
    numbers: tuple[int, ...] | None

    def values(
        self, params: Sequence[object] | Mapping[str, object]
    ) -> Sequence[object] | dict[str, object]:
        if isinstance(params, Mapping):
            raise sqlite3.ProgrammingError("named parameters (:name) are not supported here")
        if self.numbers is None:
            return tuple(params)
        if self.numbers and max(self.numbers) > len(params):
            raise sqlite3.ProgrammingError(
                f"Incorrect number of bindings supplied. The statement uses "
                f"{max(self.numbers)}, and there are {len(params)} supplied."
            )
        return {f"p{number}": params[number - 1] for number in self.numbers}


@functools.lru_cache(maxsize=1024)
def _translated(sql: str) -> Translated:
    numbered = False
    highest = 0
    numbers: list[int] = []
    pieces: list[str] = []

    def piece(match: re.Match[str]) -> str:
        nonlocal numbered, highest
        if match.group("quoted") is not None:
            return match.group("quoted").replace("%", "%%")
        if match.group(0) == "%":
            return "%%"
        number = match.group("number")
        # SQLite's rule: a bare ? is the one after the highest number used so far.
        value = int(number) if number else highest + 1
        numbered = numbered or bool(number)
        highest = max(highest, value)
        numbers.append(value)
        pieces.append(f"%(p{value})s")
        return "\0"  # where the placeholder goes, once it is known whether all are bare

    marked = _SQL_PIECE.sub(piece, sql)
    if not numbered:
        return Translated(marked.replace("\0", "%s"), None)
    query = iter(marked.split("\0"))
    joined = next(query) + "".join(name + rest for name, rest in zip(pieces, query, strict=True))
    return Translated(joined, tuple(sorted(set(numbers))))


def translate(
    sql: str, params: Sequence[object] | Mapping[str, object] = ()
) -> tuple[str, Sequence[object] | dict[str, object]]:
    """`sql` (sqlite3's placeholders) and `params` as psycopg takes them."""
    translated = _translated(sql)
    return translated.query, translated.values(params)


# Errors ---------------------------------------------------------------------------------

_SQLITE_ERRORS: tuple[tuple[type[psycopg.Error], type[sqlite3.Error]], ...] = (
    (psycopg.IntegrityError, sqlite3.IntegrityError),
    (psycopg.DataError, sqlite3.DataError),
    (psycopg.OperationalError, sqlite3.OperationalError),
    (psycopg.ProgrammingError, sqlite3.ProgrammingError),
    (psycopg.NotSupportedError, sqlite3.NotSupportedError),
    (psycopg.InternalError, sqlite3.InternalError),
    (psycopg.InterfaceError, sqlite3.InterfaceError),
    (psycopg.DatabaseError, sqlite3.DatabaseError),
)


def sqlite_error(error: psycopg.Error) -> sqlite3.Error:
    """psycopg's `error` as the sqlite3 exception of the same DB-API kind, with `sqlstate`."""
    kind = next((ours for theirs, ours in _SQLITE_ERRORS if isinstance(error, theirs)), None)
    mapped = (kind or sqlite3.Error)(str(error).strip() or type(error).__name__)
    mapped.sqlstate = error.sqlstate  # type: ignore[attr-defined]
    return mapped


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as error:
        raise sqlite_error(error) from error
