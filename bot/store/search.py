"""Full-text search over one server's items (SQLite FTS5): the newest matches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import Item
from bot.store.base import StoreBase
from bot.store.schema import item_from_row, to_db_time

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
        summary and body (see bot.search), newest first, with the name of their source."""
        # Straight from the index, newest first, the guild's and the filters' only, so a
        # common word costs no more than a rare one. No bm25(): for its IDF, FTS5 counts
        # every row having each term (60 ms for "models" in a million items); bot.search
        # ranks these candidates itself.
        in_guild = (
            "AND i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?4)"
            if guild_id is not None
            else "AND ?4 IS NULL"
        )
        rows = await self._fetchall(
            f"""WITH hits AS MATERIALIZED (
                    SELECT x.rowid AS id
                    FROM items_fts x JOIN items i ON i.id = x.rowid
                    WHERE items_fts MATCH ?1 {in_guild}
                      AND x.rowid >= ?5 AND i.sort_at >= ?2
                      AND (?3 IS NULL OR (',' || i.tags || ',') LIKE '%,' || ?3 || ',%')
                    ORDER BY x.rowid DESC LIMIT {CANDIDATES}
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
                f"{{title summary body}} : ({terms})",
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
