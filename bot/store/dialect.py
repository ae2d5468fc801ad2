"""What differs between the store's two engines, and only that: one `Dialect` per engine,
asked by the shared store code (whose SQL is otherwise the same text on both).

    schema version and migrations | ids for new stories and items | the full-text index:
    how it is kept (after the poll on SQLite, by the row itself on PostgreSQL) and searched

Every function taking `db` runs in the database's thread, on sqlite3's connection or on
`bot.store.postgres.Connection`, inside the caller's transaction when it writes.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any, Protocol

from bot.store import schema, schema_pg

Db = Any  # sqlite3.Connection, or bot.store.postgres.Connection (the same API)

# The tables a poll cycle adds rows to.
GROWING_TABLES = ("items", "stories", "outbox", "item_decisions", "subscriptions")


@dataclass(frozen=True)
class FullText:
    """How a search finds items by words: `source` (joined to `items i`), the condition
    `match` on the search expression `?1`, and `rowid`, the item id as the index orders it."""

    source: str
    match: str
    rowid: str


class Dialect(Protocol):
    name: str
    migrations: tuple[str, ...]
    full_text: FullText
    # Whether items wait to be indexed for search (`index_waiting`) after the poll.
    indexes_later: bool

    def schema_version(self, db: Db) -> int:
        """How many migrations the database has run (0 for a new one)."""
        ...

    def migrate(self, db: Db, number: int) -> None:
        """Run migration `number` (from 1) and record it, in the caller's transaction."""
        ...

    def next_ids(self, db: Db, table: str, count: int) -> list[int]:
        """`count` ids, in increasing order, for new rows of `table` ("stories" or "items")."""
        ...

    def reindex_summary(self, db: Db, item_id: int, summary: str) -> None:
        """What search reads of the item's summary, after it changed."""
        ...

    def search_terms(self, match: str) -> str:
        """The value of `?1` in `full_text.match` for an FTS5 expression (`bot.search`)."""
        ...

    def refresh_statistics(self, db: Db) -> None:
        """What the query planner knows of the tables' sizes, after many rows came in."""
        ...


class SqliteDialect:
    name = "sqlite"
    migrations = schema.MIGRATIONS
    full_text = FullText(
        source="items_fts x JOIN items i ON i.id = x.rowid",
        match="items_fts MATCH ?1",
        rowid="x.rowid",
    )
    indexes_later = True

    def schema_version(self, db: Db) -> int:
        row = db.execute("PRAGMA user_version").fetchone()
        return int(row[0]) if row else 0

    def migrate(self, db: Db, number: int) -> None:
        for statement in schema.statements(self.migrations[number - 1]):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")

    def next_ids(self, db: Db, table: str, count: int) -> list[int]:
        # The next after the highest: inside a transaction (BEGIN IMMEDIATE) no other writer
        # can take the same ones.
        if table == "items":
            # Never an id the search index went past: an item given the id of one deleted
            # (its feed removed) would never be indexed.
            row = db.execute(
                """SELECT MAX(COALESCE((SELECT MAX(id) FROM items), 0), indexed_through)
                   FROM search_progress"""
            ).fetchone()
        elif table == "stories":
            row = db.execute("SELECT COALESCE(MAX(id), 0) FROM stories").fetchone()
        else:
            raise ValueError(f"no ids are given for {table!r}")
        first = int(row[0]) + 1
        return list(range(first, first + count))

    def reindex_summary(self, db: Db, item_id: int, summary: str) -> None:
        db.execute("UPDATE items_fts SET summary = ? WHERE rowid = ?", (summary, item_id))

    def search_terms(self, match: str) -> str:
        return f"{{title summary body}} : ({match})"

    def refresh_statistics(self, db: Db) -> None:
        pass  # no statistics kept: SQLite plans from the indexes (the EXPLAIN tests pin them)


class PostgresDialect:
    name = "postgresql"
    migrations = schema_pg.MIGRATIONS
    full_text = FullText(
        source="items i", match="i.search @@ to_tsquery('simple', ?1)", rowid="i.id"
    )
    indexes_later = False  # the search column is computed with the row

    def schema_version(self, db: Db) -> int:
        # From the catalog's table, not by name (to_regclass): a name looked up earlier may
        # be cached as missing, and this runs inside a transaction begun before another
        # process's migration committed (it waited for the writer lock).
        row = db.execute(
            """SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables
                              WHERE schemaname = current_schema() AND tablename = ?)""",
            ("schema_version",),
        ).fetchone()
        if not row[0]:
            return 0
        row = db.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def migrate(self, db: Db, number: int) -> None:
        db.executescript(self.migrations[number - 1])
        db.executescript(schema_pg.VERSION_TABLE)
        db.execute(
            """INSERT INTO schema_version (id, version) VALUES (1, ?)
               ON CONFLICT (id) DO UPDATE SET version = excluded.version""",
            (number,),
        )

    def next_ids(self, db: Db, table: str, count: int) -> list[int]:
        if table not in ("stories", "items"):
            raise ValueError(f"no ids are given for {table!r}")
        if count <= 0:
            return []
        rows = db.execute(
            "SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)",
            (table, count),
        ).fetchall()
        return sorted(int(row[0]) for row in rows)

    def reindex_summary(self, db: Db, item_id: int, summary: str) -> None:
        pass  # the search column follows the row's summary

    def search_terms(self, match: str) -> str:
        return tsquery(match)

    def refresh_statistics(self, db: Db) -> None:
        # Autovacuum analyzes a table only a while after it grew: a database filled by its
        # first cycle was planned as nearly empty (the publisher's query joined 52,000
        # waiting posts by a nested scan: 2 s a batch instead of 0.1 s).
        db.execute(f"ANALYZE {', '.join(GROWING_TABLES)}")


SQLITE: Dialect = SqliteDialect()
POSTGRESQL: Dialect = PostgresDialect()

# An FTS5 term as `bot.search.parse_query` writes them: a string ("" doubled inside),
# then * for a prefix.
_FTS5_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)')
# What splits words on both sides: ASCII punctuation (the search column's rule) and spaces.
_SEPARATORS = re.compile(f"[{re.escape(string.punctuation)}\\s]+")


def tsquery(match: str) -> str:
    """The tsquery (for `to_tsquery('simple', …)`) that finds what the FTS5 expression
    `match` finds: every term (`"word"`, `"a phrase"`, `"prefix"*`) joined by AND; a phrase's
    words next to each other, in order; a prefix as `:*` on its last word."""
    terms = []
    for quoted, prefix in _FTS5_TERM.findall(match):
        words = [word for word in _SEPARATORS.split(quoted.replace('""', '"')) if word]
        if not words:
            continue
        lexemes = [f"'{word}'" for word in words]  # no ' left: it is punctuation
        if prefix:
            lexemes[-1] += ":*"
        terms.append(lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")")
    return " & ".join(terms)
