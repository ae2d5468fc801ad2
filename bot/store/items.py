"""Items, the stories they tell, and writing the outcome of a poll."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from bot.decide.digest import DigestCandidate
from bot.decide.stories import StoryRef
from bot.models import Item
from bot.store import writes
from bot.store.base import _CHUNK, StoreBase
from bot.store.results import PollResult
from bot.store.schema import from_db_time, item_from_row, to_db_time
from bot.store.writes import PollFacts


class ItemQueries(StoreBase):
    async def known_identities(
        self, feed_id: int, keys: Iterable[str], url_keys: Iterable[str]
    ) -> set[str]:
        """Which of `keys` and `url_keys` the feed's stored items already have."""
        known: set[str] = set()
        for column, values in (("key", keys), ("url_key", url_keys)):
            wanted = list(dict.fromkeys(values))
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = await self._fetchall(
                    f"SELECT {column} FROM items WHERE feed_id = ? AND {column} IN ({marks})",
                    (feed_id, *chunk),
                )
                known.update(row[0] for row in rows)
        return known

    async def recent_stories(self, since: datetime) -> list[StoryRef]:
        """Every story first seen since `since`, oldest first, with the feeds that told it."""
        refs = await self._in_db_thread(
            lambda db: writes.story_refs(db, "s.first_seen_at >= ?", [to_db_time(since)])
        )
        return sorted(refs, key=lambda ref: (ref.first_seen_at, ref.id))

    async def last_item_id(self) -> int:
        """The id of the newest item written (0 if none)."""
        return await self._in_db_thread(lambda db: writes.PollFacts(db).last_item_id())

    async def recent_items(self, feed_id: int, limit: int) -> list[Item]:
        """The feed's newest stored items, newest first."""
        rows = await self._fetchall(
            "SELECT * FROM items WHERE feed_id = ? ORDER BY sort_at DESC, id DESC LIMIT ?",
            (feed_id, limit),
        )
        return [item_from_row(row) for row in rows]

    async def latest_items(
        self, guild_id: int, limit: int, *, tag: str | None = None, feed_id: int | None = None
    ) -> list[tuple[Item, str]]:
        """The newest stories from the feeds a guild follows (one item each), with its
        source; only those tagged `tag`, or from the feed `feed_id`, when given."""
        rows = await self._fetchall(
            """SELECT i.*, COALESCE(MAX(s.name), f.title, f.url) AS source_name
               FROM items i
               JOIN feeds f ON f.id = i.feed_id
               JOIN subscriptions s ON s.feed_id = f.id AND s.guild_id = ?1
               WHERE i.id = (SELECT MIN(id) FROM items WHERE story_id = i.story_id
                             AND (?3 IS NULL OR feed_id = ?3))
                 AND (?2 IS NULL OR (',' || i.tags || ',') LIKE '%,' || ?2 || ',%')
               GROUP BY i.id, f.id
               ORDER BY i.sort_at DESC, i.id DESC LIMIT ?4""",
            (guild_id, tag, feed_id, limit),
        )
        return [(item_from_row(row), row["source_name"]) for row in rows]

    async def digest_candidates(
        self, guild_id: int | None, since: datetime
    ) -> list[DigestCandidate]:
        """The stories the guild's feeds (all followed feeds, if `guild_id` is None) brought
        since `since`, relevant ones only: each with its first item's title, link and TL;DR,
        how many feeds told it, its best relevance and its tags."""
        rows = await self._fetchall(
            """WITH told AS (
                   SELECT i.story_id, MIN(i.id) AS first_id, COUNT(DISTINCT i.feed_id) AS sources,
                          MAX(i.relevance) AS relevance, MIN(i.seen_at) AS first_seen
                   FROM items i
                   WHERE i.seen_at >= ?1 AND i.relevant = 1 AND i.story_id IS NOT NULL
                     AND i.feed_id IN (SELECT feed_id FROM subscriptions
                                       WHERE ?2 IS NULL OR guild_id = ?2)
                   GROUP BY i.story_id
               )
               SELECT told.*, i.title, i.link, i.summary, i.tags FROM told
               JOIN items i ON i.id = told.first_id""",
            (to_db_time(since), guild_id),
        )
        return [
            DigestCandidate(
                story_id=int(row["story_id"]),
                title=row["title"],
                link=row["link"],
                tldr=(row["summary"] or "").split("\n", 1)[0],
                sources=int(row["sources"]),
                relevance=row["relevance"],
                tags=tuple(tag for tag in row["tags"].split(",") if tag),
                first_seen=from_db_time(row["first_seen"]) or since,
            )
            for row in rows
        ]

    async def item_in_guild(self, item_id: int, guild_id: int) -> tuple[Item, str] | None:
        """The item and its source's name, if one of the guild's feeds brought it."""
        row = await self._fetchone(
            """SELECT i.*, COALESCE(s.name, f.title, f.url) AS source_name
               FROM items i JOIN feeds f ON f.id = i.feed_id
               JOIN subscriptions s ON s.id = (
                   SELECT MIN(id) FROM subscriptions WHERE feed_id = i.feed_id AND guild_id = ?)
               WHERE i.id = ?""",
            (guild_id, item_id),
        )
        return (item_from_row(row), row["source_name"]) if row else None

    async def set_summary(self, item_id: int, summary: str) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("UPDATE items SET summary = ? WHERE id = ?", (summary, item_id))
            self._dialect.reindex_summary(db, item_id, summary)

        await self._write_in_db_thread(write)

    async def apply_poll(self, result: PollResult) -> list[StoryRef]:
        """Write everything one poll of one feed decided, atomically and in one round trip
        to the database; return the stories it created."""
        return await self._write_in_db_thread(
            lambda db: writes.apply_poll(db, result, self._dialect)
        )

    async def commit_polls(
        self,
        decides: Sequence[Callable[[PollFacts], PollResult]],
        *,
        written: Callable[[PollResult, list[StoryRef]], None] | None = None,
        catch_up: Callable[[PollFacts], None] | None = None,
    ) -> list[tuple[PollResult, list[StoryRef]]]:
        """Decide many polls' outcomes from what the store holds, and write them, in one
        transaction and one round trip: each `decide` (pure but for the reads `PollFacts`
        offers) runs in the database's thread and sees the writes of those before it, and
        nothing else is written between its reads and its write. `written(result, created
        stories)` is told of each write as it is made, before the next decide.

        Returns each poll's result and the stories it created, in order. All or nothing: if
        one decide or write raises, nothing is written."""

        def decide_and_write(db: sqlite3.Connection) -> list[tuple[PollResult, list[StoryRef]]]:
            outcomes = []
            if catch_up is not None:
                catch_up(PollFacts(db))
            for decide in decides:
                result = decide(PollFacts(db))
                created = writes.apply_poll(db, result, self._dialect)
                if written is not None:
                    written(result, created)
                outcomes.append((result, created))
            return outcomes

        return await self._write_in_db_thread(decide_and_write)

    async def apply_successes(self, results: Sequence[PollResult]) -> None:
        """The new state of many feeds whose poll only succeeded (`only_success`), in one
        transaction and one round trip: a cycle of 304s costs a few trips to the database,
        not a few per feed."""
        if not all(result.only_success for result in results):
            raise ValueError("apply_successes takes only polls that changed nothing else")
        await self._write_in_db_thread(lambda db: writes.apply_successes(db, results))
