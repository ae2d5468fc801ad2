"""Full-text search over one server's items (SQLite FTS5, or PostgreSQL's tsvector): the
newest matches.

On SQLite, items are indexed after the poll that stored them (`index_for_search`), in
batches: the index costs a poll's transaction more than the items themselves (FTS5 with
prefixes), and a cycle's writes are serial. A search first indexes whatever is waiting, so
it always finds every item stored. On PostgreSQL the index is a column of the row, current
when it is written (`bot.store.dialect`).
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.content.text import searchable_body
from bot.models import Item
from bot.store.base import StoreBase
from bot.store.schema import item_from_row, to_db_time

log = logging.getLogger("bot.store")
# Items indexed per transaction: large enough that FTS5 writes its terms in big segments,
# small enough that a poll's write waiting behind one waits a fraction of a second.
INDEX_BATCH = 2000

# A search ranks the newest this many matches: a word in every other item must not cost a
# scan of the whole archive, and in news the newest matches are the ones wanted.
CANDIDATES = 100
# Items are numbered as they are written; a poll started earlier may write after one started
# later, by much less than this.
_LATE_COMMIT = timedelta(hours=1)
# Around the words found: marks that cannot be in feed text, turned into bold after escaping.
HIT_START, HIT_END = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    item: Item
    source_name: str
    snippet: str = ""  # with HIT_START / HIT_END around the words found


class SearchQueries(StoreBase):
    async def index_for_search(self, *, batch: int = INDEX_BATCH) -> int:
        """Index every item stored and not yet searchable, `batch` per transaction; return
        how many. Safe to run from several places at once: each batch reads where the
        index stands inside its own transaction."""
        if not self._dialect.indexes_later:
            return 0  # the index is current as soon as an item is written
        # A read first: a search must not wait for the write lock (a poll's batch holds it
        # for a fraction of a second) only to learn that nothing waits.
        waiting = await self._fetchone(
            """SELECT COALESCE((SELECT MAX(id) FROM items), 0) > indexed_through
               FROM search_progress"""
        )
        if not (waiting and waiting[0]):
            return 0
        total = 0
        while indexed := await self._write_in_db_thread(
            functools.partial(_index_waiting, limit=batch)
        ):
            total += indexed
        if total:
            log.info("search index: %d new item(s) indexed", total)
        return total

    async def search_candidates(
        self,
        guild_id: int | None,
        terms: str,
        *,
        since: datetime | None = None,
        tag: str | None = None,
    ) -> list[SearchHit]:
        """The newest `CANDIDATES` items of the guild's feeds (every followed feed's, if
        `guild_id` is None) matching `terms`, a well-formed FTS5 expression over title,
        summary and body (see bot.search), newest first, with the name of their source.
        Items not yet indexed are indexed first."""
        await self.index_for_search()
        # Straight from the index, newest first, the guild's and the filters' only, so a
        # common word costs no more than a rare one. No bm25(): for its IDF, FTS5 counts
        # every row having each term (60 ms for "models" in a million items); bot.search
        # ranks these candidates itself.
        in_guild = (
            "AND i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?4)"
            if guild_id is not None
            else "AND ?4 IS NULL"
        )
        full_text = self._dialect.full_text
        rows = await self._fetchall(
            f"""WITH hits AS MATERIALIZED (
                    SELECT {full_text.rowid} AS id
                    FROM {full_text.source}
                    WHERE {full_text.match} {in_guild}
                      AND {full_text.rowid} >= ?5 AND i.sort_at >= ?2
                      AND (?3 IS NULL OR (',' || i.tags || ',') LIKE '%,' || ?3 || ',%')
                    ORDER BY {full_text.rowid} DESC LIMIT {CANDIDATES}
                )
                SELECT i.*, COALESCE(s.name, f.title, f.url) AS source_name
                FROM hits
                JOIN items i ON i.id = hits.id
                JOIN feeds f ON f.id = i.feed_id
                JOIN subscriptions s ON s.id = (
                    SELECT MIN(id) FROM subscriptions
                    WHERE feed_id = i.feed_id AND (?4 IS NULL OR guild_id = ?4))
                ORDER BY i.id DESC""",
            (
                self._dialect.search_terms(terms),
                to_db_time(since) if since else "",
                tag,
                guild_id,
                await self._first_item_seen(since - _LATE_COMMIT) if since else 0,
            ),
        )
        return [SearchHit(item_from_row(row), row["source_name"]) for row in rows]

    async def _first_item_seen(self, since: datetime) -> int:
        """The id of the first item seen at or after `since` (items sort no later than they
        were seen, so none from earlier can be newer than `since`)."""
        rows = await self._fetchall(
            "SELECT id FROM items WHERE seen_at >= ? ORDER BY seen_at LIMIT 1",
            (to_db_time(since),),
        )
        return rows[0][0] if rows else 1 << 62


def _index_waiting(db: sqlite3.Connection, *, limit: int) -> int:
    """Index the first `limit` items not yet searchable, in the caller's transaction."""
    (through,) = db.execute("SELECT indexed_through FROM search_progress").fetchone()
    rows = db.execute(
        "SELECT id, title, summary, text, html FROM items WHERE id > ? ORDER BY id LIMIT ?",
        (through, limit),
    ).fetchall()
    if not rows:
        return 0
    # Before the index's rows: a statement after them could make FTS5 write its pending
    # terms once more before the commit.
    db.execute("UPDATE search_progress SET indexed_through = ?", (rows[-1][0],))
    db.executemany(
        "INSERT INTO items_fts (rowid, title, summary, body) VALUES (?, ?, ?, ?)",
        [
            # The stored HTML's block separator is whitespace to `split`, so the raw column
            # reads as its blocks joined.
            (item_id, title, summary or "", searchable_body(text, (html,) if html else ()))
            for item_id, title, summary, text, html in rows
        ],
    )
    return len(rows)
