"""Full-text search over one server's items (SQLite FTS5, bm25 with the title weighted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import Item
from bot.store.base import StoreBase
from bot.store.schema import item_from_row, to_db_time

# bm25 weights of title, summary, body (and the feed token, which is no evidence): a word in
# the headline says most about the item.
_WEIGHTS = "10.0, 4.0, 1.0, 0.0"
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
    async def search_items(
        self,
        guild_id: int | None,
        terms: str,
        *,
        since: datetime | None = None,
        tag: str | None = None,
        offset: int = 0,
        limit: int = 5,
    ) -> list[SearchHit]:
        """The best items of the guild's feeds (every followed feed's, if `guild_id` is None)
        for `terms`, a well-formed FTS5 expression over title, summary and body (see
        bot.search): one per story, best first, among the newest `CANDIDATES` matches."""
        # The newest matches first, straight from the index, the guild's and the filters'
        # only, so a common word costs no more than a rare one; each scored as it comes
        # (FTS5's functions cannot run inside an aggregate); then the best item of each
        # story. (Snippets are made from the page's items by the caller: FTS5's snippet()
        # with a rowid list costs more than the search.)
        in_guild = (
            "AND i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?6)"
            if guild_id is not None
            else "AND ?6 IS NULL"
        )
        rows = await self._fetchall(
            f"""WITH hits AS MATERIALIZED (
                    SELECT x.rowid AS id, bm25(items_fts, {_WEIGHTS}) AS score,
                           COALESCE(i.story_id, -i.id) AS story
                    FROM items_fts x JOIN items i ON i.id = x.rowid
                    WHERE items_fts MATCH ?1 {in_guild}
                      AND x.rowid >= ?7 AND i.sort_at >= ?2
                      AND (?3 IS NULL OR (',' || i.tags || ',') LIKE '%,' || ?3 || ',%')
                    ORDER BY x.rowid DESC LIMIT {CANDIDATES}
                ),
                best AS (
                    SELECT hits.*, ROW_NUMBER() OVER (
                        PARTITION BY story ORDER BY score, id
                    ) AS nth
                    FROM hits
                )
                SELECT i.*, best.score, COALESCE(s.name, f.title, f.url) AS source_name
                FROM best
                JOIN items i ON i.id = best.id
                JOIN feeds f ON f.id = i.feed_id
                JOIN subscriptions s ON s.id = (
                    SELECT MIN(id) FROM subscriptions
                    WHERE feed_id = i.feed_id AND (?6 IS NULL OR guild_id = ?6))
                WHERE best.nth = 1
                ORDER BY best.score, i.sort_at DESC, i.id
                LIMIT ?4 OFFSET ?5""",
            (
                f"{{title summary body}} : ({terms})",
                to_db_time(since) if since else "",
                tag,
                limit,
                offset,
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
