"""Items, the stories they tell, and writing the outcome of a poll."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.decide.deliveries import Delivery
from bot.decide.stories import StoryRef
from bot.models import Item, NewItem, Relevance, Summary, tags_of
from bot.store.base import _CHUNK, StoreBase
from bot.store.schema import (
    HTML_SEPARATOR,
    from_db_time,
    item_from_row,
    to_db_time,
)

log = logging.getLogger("bot.store")

_SUCCESS = """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
              failures = 0, next_poll_at = ? WHERE id = ?"""
_VALIDATORS = """UPDATE feeds SET etag = ?, last_modified = ?, title = COALESCE(?, title),
                 body_digest = COALESCE(?, body_digest) WHERE id = ?"""


@dataclass(frozen=True)
class FeedState:
    """How a poll left the feed: success (validators, title) or failure (reason, pause)."""

    next_poll_at: datetime
    error: str | None = None
    failures: int = 0
    pause_reason: str | None = None
    not_modified: bool = False
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    body_digest: str | None = None


@dataclass(frozen=True)
class StoredItemUpdate:
    """A stored item about to be posted after all, with what it lacked: a summary, a score."""

    item_id: int
    summary: Summary | None
    relevance: Relevance | None

    @property
    def tags(self) -> tuple[str, ...]:
        return tags_of(self.summary, self.relevance)


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed changes in the store, written in one transaction."""

    feed_id: int
    polled_at: datetime
    state: FeedState
    new_items: Sequence[NewItem] = ()
    deliveries: Sequence[Delivery] = ()
    initialized_subscription_ids: Sequence[int] = ()
    notices: Sequence[tuple[int, str]] = ()  # (channel id, text) for the admins
    stored_items: Sequence[StoredItemUpdate] = ()

    @property
    def only_success(self) -> bool:
        """A poll that succeeded, brought nothing to store and moved nothing: only the
        feed's row changes (most polls: a 304, or a body with nothing new)."""
        state = self.state
        return (
            state.error is None
            and state.moved_to is None
            and not self.new_items
            and not self.deliveries
            and not self.initialized_subscription_ids
            and not self.notices
            and not self.stored_items
        )


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

    async def recent_story_titles(self, since: datetime) -> list[tuple[int, str, datetime]]:
        """(id, headline words, first seen) of every story first seen since `since`."""
        rows = await self._fetchall(
            "SELECT id, title_key, first_seen_at FROM stories WHERE first_seen_at >= ?",
            (to_db_time(since),),
        )
        return [(int(row[0]), row[1], from_db_time(row[2]) or since) for row in rows]

    async def candidate_stories(
        self, *, url_keys: Iterable[str], ids: Iterable[int] = ()
    ) -> list[StoryRef]:
        """The stories with one of `url_keys`, and those with one of `ids`, to match against."""
        found: set[int] = set(ids)
        for chunk in _chunks([key for key in dict.fromkeys(url_keys) if key]):
            rows = await self._fetchall(
                f"SELECT id FROM stories WHERE url_key IN ({_marks(chunk)})", chunk
            )
            found.update(row[0] for row in rows)
        return await self._story_refs(sorted(found))

    async def _story_refs(self, ids: list[int]) -> list[StoryRef]:
        refs = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._fetchall(
                f"""SELECT s.*, GROUP_CONCAT(i.feed_id) AS feed_ids
                    FROM stories s LEFT JOIN items i ON i.story_id = s.id
                    WHERE s.id IN ({marks}) GROUP BY s.id""",
                chunk,
            )
            for row in rows:
                first_seen = from_db_time(row["first_seen_at"])
                assert first_seen is not None
                feed_ids = frozenset(int(f) for f in (row["feed_ids"] or "").split(",") if f)
                refs.append(
                    StoryRef(row["id"], row["url_key"], row["title_key"], feed_ids, first_seen)
                )
        return refs

    async def recent_items(self, feed_id: int, limit: int) -> list[Item]:
        """The feed's newest stored items, newest first."""
        rows = await self._fetchall(
            "SELECT * FROM items WHERE feed_id = ? ORDER BY sort_at DESC, id DESC LIMIT ?",
            (feed_id, limit),
        )
        return [item_from_row(row) for row in rows]

    async def latest_items(self, guild_id: int, limit: int) -> list[tuple[Item, str]]:
        """The newest stories from the feeds a guild follows (one item each), with its source."""
        rows = await self._fetchall(
            """SELECT i.*, COALESCE(MAX(s.name), f.title, f.url) AS source_name
               FROM items i
               JOIN feeds f ON f.id = i.feed_id
               JOIN subscriptions s ON s.feed_id = f.id AND s.guild_id = ?
               WHERE i.id = (SELECT MIN(id) FROM items WHERE story_id = i.story_id)
               GROUP BY i.id
               ORDER BY i.sort_at DESC, i.id DESC LIMIT ?""",
            (guild_id, limit),
        )
        return [(item_from_row(row), row["source_name"]) for row in rows]

    async def set_summary(self, item_id: int, summary: str) -> None:
        await self._write("UPDATE items SET summary = ? WHERE id = ?", (summary, item_id))

    async def apply_poll(self, result: PollResult) -> list[tuple[int, str]]:
        """Write everything one poll of one feed decided, atomically; return the stories it
        created (id, headline words)."""
        polled = to_db_time(result.polled_at)
        async with self._transaction():
            await self._record_feed_state(result.feed_id, result.state, polled)
            stories = await self._insert_items(result.feed_id, result.new_items, polled)
            for update in result.stored_items:
                await self._update_item(update)
            if result.deliveries:
                await self._queue(result.deliveries, polled)
            if result.initialized_subscription_ids:
                await self._db.executemany(
                    "UPDATE subscriptions SET initialized = 1 WHERE id = ?",
                    [(i,) for i in result.initialized_subscription_ids],
                )
            if result.notices:
                await self._db.executemany(
                    """INSERT INTO notices (feed_id, channel_id, text, status, created_at)
                       VALUES (?, ?, ?, 'pending', ?)""",
                    [(result.feed_id, channel, text, polled) for channel, text in result.notices],
                )
        return stories

    async def apply_successes(self, results: Sequence[PollResult]) -> None:
        """The new state of many feeds whose poll only succeeded (`only_success`), in one
        transaction of two batched statements: a cycle of 304s costs a few round trips to
        the database, not a few per feed."""
        if not all(result.only_success for result in results):
            raise ValueError("apply_successes takes only polls that changed nothing else")
        rows = [
            (to_db_time(r.polled_at), to_db_time(r.state.next_poll_at), r.feed_id) for r in results
        ]
        changed = [
            (s.etag, s.last_modified, s.title, s.body_digest, r.feed_id)
            for r in results
            if not (s := r.state).not_modified
        ]
        async with self._transaction():
            await self._db.executemany(_SUCCESS, [(p, p, n, feed) for p, n, feed in rows])
            if changed:
                await self._db.executemany(_VALIDATORS, changed)

    async def _record_feed_state(self, feed_id: int, state: FeedState, polled: str) -> None:
        next_poll = to_db_time(state.next_poll_at)
        if state.error is not None:
            await self._db.execute(
                """UPDATE feeds SET last_polled_at = ?, last_error = ?, next_poll_at = ?,
                   failures = ?, paused_at = CASE WHEN ? IS NULL THEN NULL ELSE ? END,
                   pause_reason = ? WHERE id = ?""",
                (
                    polled,
                    state.error,
                    next_poll,
                    state.failures,
                    state.pause_reason,
                    polled,
                    state.pause_reason,
                    feed_id,
                ),
            )
            return
        await self._db.execute(_SUCCESS, (polled, polled, next_poll, feed_id))
        if not state.not_modified:
            await self._db.execute(
                _VALIDATORS,
                (state.etag, state.last_modified, state.title, state.body_digest, feed_id),
            )
        if state.moved_to:
            await self._move_feed(feed_id, state.moved_to)

    async def _move_feed(self, feed_id: int, new_url: str) -> None:
        taken = await self._fetchone(
            "SELECT id FROM feeds WHERE url = ? AND id != ?", (new_url, feed_id)
        )
        if taken:
            # Another subscription already follows the new address; keep both rows as
            # they are rather than merge histories behind the admins' backs.
            log.warning("feed %s moved to %s, which is already followed", feed_id, new_url)
            return
        await self._db.execute("UPDATE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
        log.info("feed %s moved permanently to %s", feed_id, new_url)

    async def _insert_items(
        self, feed_id: int, new_items: Sequence[NewItem], seen: str
    ) -> list[tuple[int, str]]:
        """Insert the new items, and a story for each that tells a new one, in two batched
        statements (not a few per item: a new feed brings hundreds); return the stories."""
        if not new_items:
            return []
        # Ids are given here so that stories and items go in as two batches; inside this
        # transaction (BEGIN IMMEDIATE) no other writer can take the same ones.
        row = await self._fetchone("SELECT COALESCE(MAX(id), 0) FROM stories")
        next_id = int(row[0]) + 1 if row else 1
        stories, items = [], []
        for new in new_items:
            entry, story_id = new.entry, new.story_id
            if story_id is None:
                story_id, next_id = next_id, next_id + 1
                stories.append((story_id, entry.url_key, entry.title_key, seen))
            items.append(_item_row(feed_id, story_id, new, seen))
        await self._db.executemany(
            "INSERT INTO stories (id, url_key, title_key, first_seen_at) VALUES (?, ?, ?, ?)",
            stories,
        )
        await self._db.executemany(
            """INSERT INTO items (feed_id, story_id, key, guid, link, url_key, title, title_key,
                                  author, text, summary, partial_reason, relevance, relevant,
                                  tags, comments_url, published_at, seen_at, sort_at, html)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (feed_id, key) DO NOTHING""",
            items,
        )
        return [(story_id, title_key) for story_id, _, title_key, _ in stories]

    async def _update_item(self, update: StoredItemUpdate) -> None:
        score = update.relevance
        await self._db.execute(
            """UPDATE items SET summary = COALESCE(?, summary),
               relevance = COALESCE(?, relevance), relevant = COALESCE(?, relevant),
               tags = CASE WHEN ? = '' THEN tags ELSE ? END WHERE id = ?""",
            (
                update.summary.text if update.summary else None,
                score.score if score else None,
                score.relevant if score else None,
                ",".join(update.tags),
                ",".join(update.tags),
                update.item_id,
            ),
        )

    async def _queue(self, deliveries: Sequence[Delivery], now: str) -> None:
        """Queue what was decided; a story's second post in a channel is refused by the
        schema (one post per story and channel), never silently doubled."""
        await self._db.executemany(
            """INSERT INTO outbox (item_id, story_id, channel_id, kind, status, created_at)
               SELECT id, story_id, ?, ?, 'pending', ? FROM items WHERE feed_id = ? AND key = ?
               ON CONFLICT DO NOTHING""",
            [(d.channel_id, d.kind.value, now, d.feed_id, d.item_key) for d in deliveries],
        )

    async def posted_stories(
        self, story_ids: Iterable[int], channel_ids: Iterable[int]
    ) -> set[tuple[int, int]]:
        """Which (story, channel) pairs already have a post, sent or queued."""
        stories = list(dict.fromkeys(story_ids))
        channels = list(dict.fromkeys(channel_ids))
        if not stories or not channels:
            return set()
        found: set[tuple[int, int]] = set()
        channel_marks = ",".join("?" * len(channels))
        for start in range(0, len(stories), _CHUNK):
            chunk = stories[start : start + _CHUNK]
            rows = await self._fetchall(
                f"""SELECT story_id, channel_id FROM outbox WHERE kind = 'post'
                    AND story_id IN ({",".join("?" * len(chunk))})
                    AND channel_id IN ({channel_marks})""",
                (*chunk, *channels),
            )
            found.update((int(row[0]), int(row[1])) for row in rows)
        return found


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _item_row(feed_id: int, story_id: int, new: NewItem, seen: str) -> tuple[object, ...]:
    entry, relevance = new.entry, new.relevance
    published = to_db_time(entry.published_at) if entry.published_at else None
    return (
        feed_id,
        story_id,
        entry.key,
        entry.guid,
        entry.link,
        entry.url_key,
        entry.title,
        entry.title_key,
        entry.author,
        entry.text,
        new.summary.text if new.summary else "",
        entry.partial_reason,
        relevance.score if relevance else None,
        relevance.relevant if relevance else True,
        ",".join(new.tags),
        entry.comments_url,
        published,
        seen,
        published or seen,
        HTML_SEPARATOR.join(entry.html) if entry.html else None,
    )
