"""A poll's writes as plain functions on the sqlite3 connection, run in the database's own
thread: a feed's whole transaction is one round trip from the event loop, not one per
statement (under load, each round trip waits its turn on the loop; a cycle's commits are
serial, so their round trips add up).

`PollFacts` gives a decision made inside that transaction what it needs to read (the stories
an entry may belong to, what was posted already), so deciding and writing see the same
state and no other writer comes in between.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from bot.decide.deliveries import Delivery
from bot.decide.stories import StoryRef
from bot.models import NewItem
from bot.store.base import _CHUNK
from bot.store.dialect import Dialect
from bot.store.results import FeedState, PollResult, StoredItemUpdate
from bot.store.schema import HTML_SEPARATOR, from_db_time, to_db_time

log = logging.getLogger("bot.store")
T = TypeVar("T")

SUCCESS = """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
             failures = 0, next_poll_at = ? WHERE id = ?"""
VALIDATORS = """UPDATE feeds SET etag = ?, last_modified = ?, title = COALESCE(?, title),
                body_digest = COALESCE(?, body_digest),
                entry_identities = COALESCE(?, entry_identities) WHERE id = ?"""


class PollFacts:
    """Reads for a decision made inside a poll's transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def stories_with_urls(self, url_keys: Iterable[str]) -> dict[str, list[int]]:
        """Each of `url_keys` → the stories (of any age) one of whose items has that
        canonical link (the first item's, or another's: `story_links`), oldest first."""
        found: dict[str, set[int]] = {}
        for chunk in _chunks([key for key in dict.fromkeys(url_keys) if key]):
            rows = self._db.execute(
                f"""SELECT url_key, id FROM stories WHERE url_key IN ({_marks(chunk)})
                    UNION ALL
                    SELECT url_key, story_id FROM story_links
                    WHERE url_key IN ({_marks(chunk)})""",
                (*chunk, *chunk),
            ).fetchall()
            for url_key, story_id in rows:
                found.setdefault(url_key, set()).add(int(story_id))
        return {url_key: sorted(ids) for url_key, ids in found.items()}

    def items_after(self, item_id: int) -> list[tuple[int, int, int]]:
        """(item, its story, its feed) of every item written after `item_id`, in order."""
        rows = self._db.execute(
            "SELECT id, story_id, feed_id FROM items WHERE id > ? ORDER BY id", (item_id,)
        ).fetchall()
        return [(int(row[0]), int(row[1]), int(row[2])) for row in rows]

    def last_item_id(self) -> int:
        row = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()
        return int(row[0])

    def story_refs(self, ids: Iterable[int]) -> list[StoryRef]:
        """The stories `ids`, with the feeds that told them."""
        return story_refs(self._db, "s.id IN ({marks})", sorted(set(ids)))

    def posted_stories(
        self, story_ids: Iterable[int], channel_ids: Iterable[int]
    ) -> set[tuple[int, int]]:
        """Which (story, channel) pairs already have a post, sent or queued."""
        stories = list(dict.fromkeys(story_ids))
        channels = list(dict.fromkeys(channel_ids))
        if not stories or not channels:
            return set()
        found: set[tuple[int, int]] = set()
        for chunk in _chunks(stories):
            rows = self._db.execute(
                f"""SELECT story_id, channel_id FROM outbox WHERE kind = 'post'
                    AND story_id IN ({_marks(chunk)}) AND channel_id IN ({_marks(channels)})""",
                (*chunk, *channels),
            ).fetchall()
            found.update((int(row[0]), int(row[1])) for row in rows)
        return found


def story_refs(db: sqlite3.Connection, where: str, values: Sequence[object]) -> list[StoryRef]:
    """The stories matching `where` (its `{marks}` standing for as many `?` as `values`;
    without `{marks}`, run once with `values`), with the feeds that told them."""
    chunks = _chunks(list(values)) if "{marks}" in where else iter([list(values)])
    refs = []
    for chunk in chunks:
        # A row per item, grouped here: the engines have no string aggregate in common.
        rows = db.execute(
            f"""SELECT s.id, s.url_key, s.title_key, s.first_seen_at, i.feed_id
                FROM stories s LEFT JOIN items i ON i.story_id = s.id
                WHERE {where.format(marks=_marks(chunk))} ORDER BY s.id""",
            chunk,
        ).fetchall()
        for _, told in itertools.groupby(rows, key=lambda row: row[0]):
            story_rows = list(told)
            story_id, url_key, title_key, first_seen_at, _ = story_rows[0]
            first_seen = from_db_time(first_seen_at)
            assert first_seen is not None
            told_by = frozenset(int(row[4]) for row in story_rows if row[4] is not None)
            refs.append(StoryRef(story_id, url_key, title_key, told_by, first_seen))
    return refs


def apply_poll(db: sqlite3.Connection, result: PollResult, dialect: Dialect) -> list[StoryRef]:
    """Write everything one poll of one feed decided (inside a transaction); return the
    stories it created. On SQLite the new items are indexed for search later
    (`index_for_search`), outside the poll: a cycle's writes stay what the poll decided."""
    polled = to_db_time(result.polled_at)
    _record_feed_state(db, result.feed_id, result.state, polled)
    stories = _insert_items(db, result, polled, dialect)
    for update in result.stored_items:
        _update_item(db, update, dialect)
    if result.deliveries:
        _queue(db, result.deliveries, polled)
    if result.initialized_subscription_ids:
        db.executemany(
            "UPDATE subscriptions SET initialized = 1 WHERE id = ?",
            [(i,) for i in result.initialized_subscription_ids],
        )
    if result.skips:
        db.executemany(
            """INSERT INTO item_decisions (item_id, channel_id, reason, detail, decided_at)
               SELECT id, ?, ?, ?, ? FROM items WHERE feed_id = ? AND key = ?
               ON CONFLICT (item_id, channel_id) DO UPDATE SET
                   reason = excluded.reason, detail = excluded.detail,
                   decided_at = excluded.decided_at""",
            [
                (s.channel_id, s.reason.value, s.detail, polled, result.feed_id, s.item_key)
                for s in result.skips
            ],
        )
    if result.notices:
        db.executemany(
            """INSERT INTO notices (feed_id, channel_id, text, status, created_at)
               VALUES (?, ?, ?, 'pending', ?)""",
            [(result.feed_id, channel, text, polled) for channel, text in result.notices],
        )
    return stories


def apply_successes(db: sqlite3.Connection, results: Sequence[PollResult]) -> None:
    """The new state of many feeds whose poll only succeeded, in two batched statements."""
    rows = []
    for result in results:
        polled = to_db_time(result.polled_at)
        rows.append((polled, polled, to_db_time(result.state.next_poll_at), result.feed_id))
    db.executemany(SUCCESS, rows)
    changed = [
        (s.etag, s.last_modified, s.title, s.body_digest, s.entry_identities, r.feed_id)
        for r in results
        if not (s := r.state).not_modified
    ]
    if changed:
        db.executemany(VALIDATORS, changed)


def _record_feed_state(db: sqlite3.Connection, feed_id: int, state: FeedState, polled: str) -> None:
    next_poll = to_db_time(state.next_poll_at)
    if state.error is not None:
        db.execute(
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
    db.execute(SUCCESS, (polled, polled, next_poll, feed_id))
    if not state.not_modified:
        db.execute(
            VALIDATORS,
            (
                state.etag,
                state.last_modified,
                state.title,
                state.body_digest,
                state.entry_identities,
                feed_id,
            ),
        )
    if state.moved_to:
        _move_feed(db, feed_id, state.moved_to)


def _move_feed(db: sqlite3.Connection, feed_id: int, new_url: str) -> None:
    taken = db.execute(
        "SELECT id FROM feeds WHERE url = ? AND id != ?", (new_url, feed_id)
    ).fetchone()
    if taken:
        # Another subscription already follows the new address; keep both rows as they
        # are rather than merge histories behind the admins' backs.
        log.warning("feed %s moved to %s, which is already followed", feed_id, new_url)
        return
    db.execute("UPDATE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
    log.info("feed %s moved permanently to %s", feed_id, new_url)


def _insert_items(
    db: sqlite3.Connection, result: PollResult, seen: str, dialect: Dialect
) -> list[StoryRef]:
    """Insert the new items, and a story for each that tells a new one, in two batched
    statements (not a few per item: a new feed brings hundreds); return the stories
    created. An item the feed already has (stored
    since it was read) is left as it is."""
    feed_id = result.feed_id
    new_items = _not_stored(db, feed_id, result.new_items)
    if not new_items:
        return []
    # Ids are given here so that each table gets one batch (an item's story is known before
    # either is written).
    new_stories = sum(1 for new in new_items if new.story_id is None)
    story_ids = iter(dialect.next_ids(db, "stories", new_stories))
    item_ids = dialect.next_ids(db, "items", len(new_items))
    stories, items = [], []
    for item_id, new in zip(item_ids, new_items, strict=True):
        entry, story_id = new.entry, new.story_id
        if story_id is None:
            story_id = next(story_ids)
            stories.append((story_id, entry.url_key, entry.title_key, seen))
        items.append(_item_row(item_id, feed_id, story_id, new, seen))
    db.executemany(
        "INSERT INTO stories (id, url_key, title_key, first_seen_at) VALUES (?, ?, ?, ?)",
        stories,
    )
    db.executemany(
        """INSERT INTO items (id, feed_id, story_id, key, guid, link, url_key, title,
                              title_key, author, text, summary, partial_reason, relevance,
                              relevant, tags, comments_url, published_at, seen_at, sort_at,
                              html, image_url)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        items,
    )
    # A link that joined a story by its headline is that story's from now on.
    other_links = [
        (new.entry.url_key, new.story_id, new.entry.url_key)
        for new in new_items
        if new.story_id is not None and new.entry.url_key
    ]
    if other_links:
        db.executemany(
            """INSERT INTO story_links (url_key, story_id) SELECT ?, ?
               WHERE NOT EXISTS (SELECT 1 FROM stories WHERE url_key = ?)
               ON CONFLICT (url_key) DO NOTHING""",
            other_links,
        )
    told_by = frozenset({feed_id})
    return [
        StoryRef(story_id, url_key, title_key, told_by, result.polled_at)
        for story_id, url_key, title_key, _ in stories
    ]


def _not_stored(
    db: sqlite3.Connection, feed_id: int, new_items: Sequence[NewItem]
) -> list[NewItem]:
    """`new_items` without those the feed has stored already, each key once."""
    by_key = {new.entry.key: new for new in new_items}
    keys = list(by_key)
    for chunk in _chunks(keys):
        rows = db.execute(
            f"SELECT key FROM items WHERE feed_id = ? AND key IN ({_marks(chunk)})",
            (feed_id, *chunk),
        ).fetchall()
        for (key,) in rows:
            del by_key[key]
    return list(by_key.values())


def _update_item(db: sqlite3.Connection, update: StoredItemUpdate, dialect: Dialect) -> None:
    score = update.relevance
    tags = ",".join(update.tags)
    db.execute(
        """UPDATE items SET summary = COALESCE(?, summary),
           relevance = COALESCE(?, relevance), relevant = COALESCE(?, relevant),
           tags = CASE WHEN ? = '' THEN tags ELSE ? END WHERE id = ?""",
        (
            update.summary.text if update.summary else None,
            score.score if score else None,
            score.relevant if score else None,
            tags,
            tags,
            update.item_id,
        ),
    )
    if update.summary:
        dialect.reindex_summary(db, update.item_id, update.summary.text)


def _queue(db: sqlite3.Connection, deliveries: Sequence[Delivery], now: str) -> None:
    """Queue what was decided; a story's second post in a channel is refused by the schema
    (one post per story and channel), never silently doubled."""
    db.executemany(
        """INSERT INTO outbox (item_id, story_id, channel_id, kind, status, created_at)
           SELECT id, story_id, ?, ?, 'pending', ? FROM items WHERE feed_id = ? AND key = ?
           ON CONFLICT DO NOTHING""",
        [(d.channel_id, d.kind.value, now, d.feed_id, d.item_key) for d in deliveries],
    )


def _item_row(
    item_id: int, feed_id: int, story_id: int, new: NewItem, seen: str
) -> tuple[object, ...]:
    entry, relevance = new.entry, new.relevance
    published = to_db_time(entry.published_at) if entry.published_at else None
    return (
        item_id,
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
        min(published, seen) if published else seen,
        HTML_SEPARATOR.join(entry.html) if entry.html else None,
        entry.image_url,
    )


def _chunks(values: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))
