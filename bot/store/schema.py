"""The database schema, its migrations, and the mapping from rows to our dataclasses."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import aiosqlite

from bot.models import Feed, FeedFilter, Item, KeywordFilter, Subscription, SubscriptionSource

# One script per schema version; `PRAGMA user_version` records how many have run.
# Shared by both engines' schemas (the same SQL on each).
STORY_LINKS = """
    CREATE TABLE story_links (
        url_key  TEXT PRIMARY KEY,
        story_id BIGINT NOT NULL
    );
    INSERT INTO story_links (url_key, story_id)
        SELECT i.url_key, MIN(i.story_id) FROM items i
        WHERE i.url_key IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.url_key = i.url_key)
        GROUP BY i.url_key;
"""

MIGRATIONS: tuple[str, ...] = (
    # 1: feeds are fetched once however many channels follow them; items are unique per
    #    feed and grouped into stories across feeds; the outbox has one row per item ×
    #    channel (a post, or a note in an earlier post's thread) recording what Discord
    #    accepted; notices tell admins about broken feeds.
    """
    CREATE TABLE feeds (
        id              INTEGER PRIMARY KEY,
        url             TEXT NOT NULL UNIQUE,
        title           TEXT,
        etag            TEXT,
        last_modified   TEXT,
        last_polled_at  TEXT,
        last_success_at TEXT,
        last_error      TEXT,
        next_poll_at    TEXT,
        failures        INTEGER NOT NULL DEFAULT 0,
        paused_at       TEXT,
        pause_reason    TEXT,
        created_at      TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        id          INTEGER PRIMARY KEY,
        feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        channel_id  INTEGER NOT NULL,
        guild_id    INTEGER,
        name        TEXT,
        source      TEXT NOT NULL,
        filter      TEXT NOT NULL DEFAULT 'all',
        initialized INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        UNIQUE (feed_id, channel_id)
    );
    CREATE INDEX subscriptions_guild ON subscriptions(guild_id);
    CREATE TABLE stories (
        id            INTEGER PRIMARY KEY,
        url_key       TEXT,
        title_key     TEXT NOT NULL,
        first_seen_at TEXT NOT NULL
    );
    CREATE INDEX stories_url ON stories(url_key);
    CREATE INDEX stories_seen ON stories(first_seen_at);
    CREATE TABLE items (
        id             INTEGER PRIMARY KEY,
        feed_id        INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        story_id       INTEGER NOT NULL REFERENCES stories(id),
        key            TEXT NOT NULL,
        guid           TEXT,
        link           TEXT,
        url_key        TEXT,
        title          TEXT NOT NULL,
        title_key      TEXT NOT NULL,
        author         TEXT,
        text           TEXT NOT NULL,
        summary        TEXT NOT NULL,
        partial_reason TEXT,
        relevance      REAL,
        relevant       INTEGER NOT NULL DEFAULT 1,
        tags           TEXT NOT NULL DEFAULT '',
        comments_url   TEXT,
        published_at   TEXT,
        seen_at        TEXT NOT NULL,
        sort_at        TEXT NOT NULL,
        UNIQUE (feed_id, key)
    );
    CREATE INDEX items_feed_sort ON items(feed_id, sort_at);
    CREATE INDEX items_feed_url ON items(feed_id, url_key);
    CREATE INDEX items_story ON items(story_id);
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        item_id     INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        story_id    INTEGER NOT NULL REFERENCES stories(id),
        channel_id  INTEGER NOT NULL,
        kind        TEXT NOT NULL DEFAULT 'post',
        status      TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        message_id  INTEGER,
        thread_id   INTEGER,
        last_error  TEXT,
        created_at  TEXT NOT NULL,
        posted_at   TEXT,
        UNIQUE (item_id, channel_id, kind)
    );
    CREATE UNIQUE INDEX outbox_one_post_per_story ON outbox(story_id, channel_id)
        WHERE kind = 'post';
    CREATE INDEX outbox_status ON outbox(status);
    CREATE TABLE summary_cache (
        key        TEXT PRIMARY KEY,
        summary    TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE notices (
        id          INTEGER PRIMARY KEY,
        feed_id     INTEGER REFERENCES feeds(id) ON DELETE CASCADE,
        channel_id  INTEGER NOT NULL,
        text        TEXT NOT NULL,
        status      TEXT NOT NULL,
        last_error  TEXT,
        created_at  TEXT NOT NULL,
        sent_at     TEXT
    );
    """,
    # 2: every queued message remembers when it was first attempted (so a restart looks for
    #    it in the channel since then before sending again) and when to retry; a recap
    #    keeps the text the core wrote for it; notices are sent like the outbox's rows.
    """
    ALTER TABLE outbox ADD COLUMN first_attempt_at TEXT;
    ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
    ALTER TABLE outbox ADD COLUMN body TEXT;
    ALTER TABLE notices ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE notices ADD COLUMN first_attempt_at TEXT;
    ALTER TABLE notices ADD COLUMN next_attempt_at TEXT;
    ALTER TABLE notices ADD COLUMN message_id INTEGER;
    """,
    # 3: notes and recaps find their story's post in the channel by index.
    """
    CREATE INDEX outbox_story_channel ON outbox(story_id, channel_id);
    """,
    # 4: a feed remembers a digest of the last body it parsed: the same body again (from a
    #    server that sends no validators) is not parsed again.
    """
    ALTER TABLE feeds ADD COLUMN body_digest TEXT;
    """,
    # 5: an item only stored keeps the feed's HTML (its text is cleaned if it is ever used).
    """
    ALTER TABLE items ADD COLUMN html TEXT;
    """,
    # 6: full-text search over what the feeds brought: each item's title, summary and body
    #    (its text, or its HTML with the tags taken out), kept in step by the writes; the
    #    items stored before are indexed here with the same body (tags cut by the tokenizer's
    #    rules only: good enough for words). `feed` held one token, "f<feed id>", to narrow a
    #    server's search inside the index; since migration 8 searches narrow through `items`
    #    and new rows leave it empty. Items go when their feed goes.
    """
    CREATE VIRTUAL TABLE items_fts USING fts5(
        title, summary, body, feed,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5'
    );
    INSERT INTO items_fts (rowid, title, summary, body, feed)
        SELECT id, title, summary, COALESCE(NULLIF(text, ''), html, ''), 'f' || feed_id
        FROM items;
    CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        DELETE FROM items_fts WHERE rowid = old.id;
    END;
    CREATE INDEX items_sort ON items(sort_at);
    """,
    # 7: keyword alerts: a member's keywords in a server, whether their DMs are paused (the
    #    member accepts none from the bot) and must be told, and each story that matched,
    #    once per member, until its DM is sent.
    """
    CREATE TABLE alert_keywords (
        id         INTEGER PRIMARY KEY,
        guild_id   INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        keyword    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (guild_id, user_id, keyword)
    );
    CREATE TABLE alert_members (
        guild_id    INTEGER NOT NULL,
        user_id     INTEGER NOT NULL,
        paused_at   TEXT,
        tell_paused INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (guild_id, user_id)
    );
    CREATE TABLE alert_hits (
        id         INTEGER PRIMARY KEY,
        guild_id   INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        story_id   INTEGER NOT NULL,
        item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        keyword    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at    TEXT,
        UNIQUE (user_id, story_id)
    );
    CREATE INDEX alert_hits_waiting ON alert_hits(sent_at, user_id);
    """,
    # 8: an item sorts when it was published, but never later than it was first seen (a feed
    #    dating its entries in the future must not keep them on top), so a search "since"
    #    some time starts at the first item seen then, found by seen_at.
    """
    UPDATE items SET sort_at = seen_at WHERE sort_at > seen_at;
    CREATE INDEX items_seen ON items(seen_at);
    """,
    # 9: what admins set per channel: keyword filters (JSON lists of lowercased words, and a
    #    regular expression), a pause of their own; and why each item was not posted in a
    #    channel, recorded when decided (posted ones are in the outbox).
    """
    ALTER TABLE subscriptions ADD COLUMN include_words TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE subscriptions ADD COLUMN exclude_words TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE subscriptions ADD COLUMN pattern TEXT;
    ALTER TABLE subscriptions ADD COLUMN channel_paused_at TEXT;
    ALTER TABLE subscriptions ADD COLUMN channel_pause_reason TEXT;
    CREATE TABLE item_decisions (
        item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        channel_id INTEGER NOT NULL,
        reason     TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT '',
        decided_at TEXT NOT NULL,
        PRIMARY KEY (item_id, channel_id)
    ) WITHOUT ROWID;
    """,
    # 10: each server's own settings (as the admin typed them, validated; the config file
    #     gives the defaults), the role a feed's posts mention in a channel (none unless an
    #     admin opts in), and each scheduled digest posted (so one is never posted twice).
    """
    CREATE TABLE server_settings (
        guild_id INTEGER NOT NULL,
        key      TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (guild_id, key)
    ) WITHOUT ROWID;
    ALTER TABLE subscriptions ADD COLUMN role_id INTEGER;
    CREATE TABLE digest_runs (
        guild_id   INTEGER NOT NULL,
        due_at     TEXT NOT NULL,
        channel_id INTEGER NOT NULL,
        status     TEXT NOT NULL,
        message_id INTEGER,
        attempted_at TEXT,
        PRIMARY KEY (guild_id, due_at)
    ) WITHOUT ROWID;
    """,
    # 11: the feed's picture for an item (a media thumbnail or image enclosure), which posts
    #     show when the server turns images on.
    """
    ALTER TABLE items ADD COLUMN image_url TEXT;
    """,
    # 12: a feed remembers the identity of every entry of the last document it parsed: the
    #     entries of the next document that it had already are not read again.
    """
    ALTER TABLE feeds ADD COLUMN entry_identities BLOB;
    """,
    # 13: items are indexed for search after the poll that stored them, not inside it:
    #     every item up to `indexed_through` is in `items_fts`, the later ones are not yet
    #     (item ids only grow, so the next to index are always those above it).
    """
    CREATE TABLE search_progress (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_through INTEGER NOT NULL
    );
    INSERT INTO search_progress (id, indexed_through) SELECT 1, COALESCE(MAX(id), 0) FROM items;
    """,
    # 14: the other links of a story: an item that joined a story by its headline brings its
    #     own link, and a later item with that link is the same story (not another one).
    STORY_LINKS,
)

HTML_SEPARATOR = "\x1e"  # between an item's HTML blocks (an ASCII record separator)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db_time(value: datetime) -> str:
    """A fixed-width UTC timestamp, so text order is time order."""
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def from_db_time(value: str | None) -> datetime | None:
    # fromisoformat reads our fixed format ("…T12:00:00.000000Z") about 20 times faster
    # than strptime, which a cycle would otherwise call for every timestamp it reads.
    return datetime.fromisoformat(value) if value is not None else None


def statements(script: str) -> list[str]:
    """The statements of `script`, split where SQLite says one ends (a trigger's body holds
    semicolons of its own)."""
    found, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                found.append(current.strip())
            current = ""
    return found


def feed_from_row(row: aiosqlite.Row, *, id_column: str = "id") -> Feed:
    return Feed(
        id=int(row[id_column]),
        url=row["url"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled_at=from_db_time(row["last_polled_at"]),
        last_success_at=from_db_time(row["last_success_at"]),
        last_error=row["last_error"],
        next_poll_at=from_db_time(row["next_poll_at"]),
        failures=int(row["failures"]),
        paused_at=from_db_time(row["paused_at"]),
        pause_reason=row["pause_reason"],
        body_digest=row["body_digest"],
        entry_identities=row["entry_identities"],
    )


def subscription_from_row(row: aiosqlite.Row, *, id_column: str = "id") -> Subscription:
    return Subscription(
        id=int(row[id_column]),
        feed_id=int(row["feed_id"]),
        channel_id=int(row["channel_id"]),
        guild_id=row["guild_id"],
        name=row["name"],
        source=SubscriptionSource(row["source"]),
        initialized=bool(row["initialized"]),
        filter=FeedFilter(row["filter"]),
        rules=KeywordFilter(
            include=tuple(json.loads(row["include_words"])),
            exclude=tuple(json.loads(row["exclude_words"])),
            pattern=row["pattern"],
        ),
        paused_at=from_db_time(row["channel_paused_at"]),
        pause_reason=row["channel_pause_reason"],
        role_id=row["role_id"],
    )


def item_from_row(row: aiosqlite.Row, *, id_column: str = "id") -> Item:
    seen_at = from_db_time(row["seen_at"])
    assert seen_at is not None
    return Item(
        id=int(row[id_column]),
        feed_id=int(row["feed_id"]),
        key=row["key"],
        title=row["title"],
        link=row["link"],
        text=row["text"],
        summary=row["summary"],
        published_at=from_db_time(row["published_at"]),
        seen_at=seen_at,
        story_id=row["story_id"],
        partial_reason=row["partial_reason"],
        relevance=row["relevance"],
        relevant=bool(row["relevant"]),
        tags=tuple(tag for tag in row["tags"].split(",") if tag),
        comments_url=row["comments_url"],
        html=tuple(row["html"].split(HTML_SEPARATOR)) if row["html"] else (),
        image_url=row["image_url"],
    )
