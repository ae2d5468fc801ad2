"""What the kill test needs: a busy news world, the bot as a subprocess, and the end-state check.

- `NewsWorld`: channels that each follow two feeds sharing some stories (so the second source
  becomes an "Also covered by" note), one story every channel follows, Hacker News items whose
  discussion gets a recap; fresh stories can be added between restarts. It knows what must end
  up in Discord (`expected`).
- `BotProcess`: ``python -m tests.run_bot_subprocess -- run --config PATH`` (the real bot,
  pointed at the fake Discord), started, signalled and awaited with time limits.
- `discord_problems` and `StateDatabase.problems`: compare the fake Discord and the database
  (a `SqliteState` file or a `PostgresState` schema) with the world, as readable lines (which url
  doubled in which channel, which thread lacks its note).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from bot.store import Store
from tests.comments_server import HN_STORY
from tests.fake_discord import JSON, FakeDiscord
from tests.feed_server import FeedItem, FeedServer, rss

REPO = Path(__file__).resolve().parent.parent
NOTE_PREFIX = "Also covered by "
RECAP_PREFIX = "💬 Discussion recap"
HN_COMMENTS = f"https://news.ycombinator.com/item?id={HN_STORY}"
FINAL_STATUSES = ("posted", "skipped")
BUSY_SERVER_SETTINGS = {"posts_per_hour": "200", "catch_up_above": "0"}
# The most the config allows: more than a feed here ever holds (its items and the fresh
# stories, at most four a round).
BACKFILL = 100


# ---- The world the bot reads ------------------------------------------------------------------


@dataclass
class FeedModel:
    path: str
    title: str
    channel_id: int
    items: list[FeedItem] = field(default_factory=list)  # newest first, as feeds list them


@dataclass(frozen=True)
class ExpectedPost:
    """One story in one channel: posted once, with a thread holding these notes and recaps."""

    notes: int
    recaps: int


class NewsWorld:
    """Two feeds per channel, ``items_per_feed`` items each, ``shared`` of them in both."""

    def __init__(
        self, channel_ids: list[int], *, items_per_feed: int, shared: int, recaps: int
    ) -> None:
        self.channel_ids = channel_ids
        self.items_per_feed = items_per_feed
        self.feeds: list[FeedModel] = []
        self._fresh = 0
        now = datetime.now(UTC)
        for c, channel_id in enumerate(channel_ids):
            a = FeedModel(f"/c{c}-a.xml", f"Wire {c}A", channel_id)
            b = FeedModel(f"/c{c}-b.xml", f"Wire {c}B", channel_id)
            for n in range(items_per_feed):
                when = now - timedelta(hours=n + 1)
                if n == 0:  # every channel follows this story, each through one feed
                    a.items.append(_item("Everywhere", "https://news.example/everywhere", c, when))
                else:
                    a.items.append(_item(f"A{c}-{n}", f"https://a{c}.example/{n}", c, when))
                if 1 <= n <= shared:  # told by both feeds: one post, one note
                    b.items.append(_item(f"B{c}-{n}", f"https://a{c}.example/{n}", c, when))
                else:
                    comments = HN_COMMENTS if n > items_per_feed - 1 - recaps else None
                    link = f"https://b{c}.example/{n}"
                    b.items.append(_item(f"B{c}-{n}", link, c, when, comments=comments))
            self.feeds += [a, b]

    @property
    def feed_paths(self) -> list[str]:
        return [feed.path for feed in self.feeds]

    def serve(self, server: FeedServer) -> None:
        for feed in self.feeds:
            server.serve(feed.path, rss(feed.title, feed.items))

    def add_fresh_stories(self, rng: random.Random, server: FeedServer) -> int:
        """Two to four new stories in random channels, some told by both feeds, some with a
        discussion; returns how many."""
        count = rng.randint(2, 4)
        for _ in range(count):
            self._fresh += 1
            c = rng.randrange(len(self.channel_ids))
            a, b = self.feeds[2 * c], self.feeds[2 * c + 1]
            link = f"https://fresh.example/{self._fresh}"
            now = datetime.now(UTC)
            roll = rng.random()
            if roll < 0.3:
                a.items.insert(0, _item(f"F{self._fresh}", link, c, now))
                b.items.insert(0, _item(f"F{self._fresh}b", link, c, now))
            else:
                comments = HN_COMMENTS if roll > 0.8 else None
                target = a if rng.random() < 0.5 else b
                target.items.insert(0, _item(f"F{self._fresh}", link, c, now, comments=comments))
        self.serve(server)
        return count

    def expected(self) -> dict[int, dict[str, ExpectedPost]]:
        """Per channel, per story url: the notes and recaps its thread must hold."""
        result: dict[int, dict[str, ExpectedPost]] = {}
        for channel_id in self.channel_ids:
            tellers: Counter[str] = Counter()
            recaps: Counter[str] = Counter()
            for feed in self.feeds:
                if feed.channel_id != channel_id:
                    continue
                for item in feed.items:
                    tellers[item.link] += 1
                    recaps[item.link] += item.comments is not None
            result[channel_id] = {
                url: ExpectedPost(notes=n - 1, recaps=recaps[url]) for url, n in tellers.items()
            }
        return result

    def expected_rows(self) -> int:
        """Outbox rows the bot should end with: a post, notes and recaps per story."""
        return sum(
            1 + post.notes + post.recaps
            for posts in self.expected().values()
            for post in posts.values()
        )

    async def set_up_server(self, state: StateDatabase, guild_id: int) -> None:
        """The server's settings, as its admins would set them with `/bazaar settings` for a
        wire this busy: the long form brings about 40 stories per channel within minutes,
        which the default 20 posts an hour per channel (and a catch-up list above 50
        waiting) would hold back for hours."""
        store = await Store.open(state.location)
        try:
            for key, value in BUSY_SERVER_SETTINGS.items():
                await store.set_server_setting(guild_id, key, value)
        finally:
            await store.close()

    def config(
        self, server: FeedServer, *, hn_api: str, guild_id: int, state: StateDatabase
    ) -> str:
        feeds = "".join(
            f'[[feeds]]\nurl = "{server.url(feed.path)}"\nchannel_id = {feed.channel_id}\n'
            for feed in self.feeds
        )
        return (
            f'[discord]\ntoken = "fake-token"\nguild_ids = [{guild_id}]\n'
            f"[storage]\n{state.storage_setting}\n"
            "[polling]\ninterval_seconds = 1\nmin_interval_seconds = 1\n"
            # Every item is expected posted: also the fresh stories that reach a feed whose
            # first poll a SIGKILL cut short (its first poll then finds them as well).
            f"backfill = {BACKFILL}\nfull_articles = false\n"
            "[network]\nallow_private_networks = true\nper_host_delay_seconds = 0\n"
            f'[discussions]\nhn_api = "{hn_api}"\n' + feeds
        )


def _item(
    title: str, link: str, channel: int, when: datetime, *, comments: str | None = None
) -> FeedItem:
    # Titles of two words never match another story by title: stories meet by url only.
    return FeedItem(
        f"Story {title}",
        link,
        f"<p>Story {title} is out in channel {channel}. The model ships open weights.</p>",
        guid=f"{title}-{link}",
        published=when,
        comments=comments,
    )


# ---- The bot as a subprocess ------------------------------------------------------------------


class BotProcess:
    """``python -m bot run`` against the fake, via tests/run_bot_subprocess.py."""

    def __init__(
        self, fake: FakeDiscord, config: Path, log: IO[bytes], args: Sequence[str] = ()
    ) -> None:
        self.fake = fake
        self.config = config
        self.log = log
        self.args = tuple(args)  # after `run`: e.g. --role publisher --shard 0/2
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0

    async def start(self) -> None:
        started = f"start {' '.join(self.args) or 'all'} at {time.strftime('%H:%M:%S')}"
        self.log.write(f"\n===== {started} =====\n".encode())
        self.log.flush()
        self.started_at = time.monotonic()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.run_bot_subprocess",
            "--discord-base",
            self.fake.base_url,
            "--discord-gateway",
            self.fake.gateway_url,
            "--",
            "run",
            *self.args,
            "--config",
            str(self.config),
            cwd=REPO,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            env={**os.environ, "DISCORD_TOKEN": "fake-token", "PYTHONUNBUFFERED": "1"},
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signum)

    async def wait(self, timeout: float) -> int | None:  # noqa: ASYNC109
        """The exit code, or None if it is still running after ``timeout`` seconds."""
        assert self.process is not None
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            return None

    async def kill(self) -> int:
        """SIGKILL and reap it (a killed process always goes within seconds)."""
        self.signal(signal.SIGKILL)
        code = await self.wait(10)
        if code is None:
            raise RuntimeError(f"bot process {self.pid} survived SIGKILL for 10 s")
        return code

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None


class WorkerGroup:
    """Several `BotProcess`es on one database, started, signalled and killed together: a
    multi-worker Bazaar (`run --role …`), as `BotProcess` is a single one."""

    def __init__(self, workers: Sequence[BotProcess]) -> None:
        self.workers = list(workers)

    async def start(self) -> None:
        for worker in self.workers:
            await worker.start()

    def signal(self, signum: signal.Signals) -> None:
        for worker in self.workers:
            worker.signal(signum)

    async def wait(self, timeout: float) -> int | None:  # noqa: ASYNC109
        """The worst exit code (the first nonzero), or None if one still runs."""
        codes = await asyncio.gather(*(worker.wait(timeout) for worker in self.workers))
        if any(code is None for code in codes):
            return None
        return next((code for code in codes if code), 0)

    async def kill(self) -> int:
        codes = await asyncio.gather(*(worker.kill() for worker in self.workers))
        return next((code for code in codes if code), 0)

    @property
    def running(self) -> bool:
        return any(worker.running for worker in self.workers)


# ---- Reading the outcome ----------------------------------------------------------------------


STUCK_ROWS = """SELECT o.id, o.kind, o.status, o.channel_id, i.link, o.last_error
               FROM outbox o JOIN items i ON i.id = o.item_id
               WHERE o.status NOT IN ('posted', 'skipped') ORDER BY o.id"""


@dataclass(frozen=True)
class SqliteState:
    """The bots' state in a SQLite file (the default, `storage.database`)."""

    path: Path

    @property
    def location(self) -> Path:
        return self.path

    @property
    def storage_setting(self) -> str:
        return f'database = "{self.path}"'

    def outbox_counts(self) -> dict[str, int] | None:
        """Outbox rows by status, read-only; None while the database cannot be read."""
        if not self.path.exists():
            return None
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1)
        except sqlite3.Error:
            return None
        try:
            rows = db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        except sqlite3.Error:
            return None  # not created yet, or a write in progress
        finally:
            db.close()
        return {status: count for status, count in rows}

    def problems(self) -> list[str]:
        """``PRAGMA integrity_check`` and the outbox rows that did not end posted or skipped."""
        db = sqlite3.connect(self.path, timeout=5)  # read-write: recovers the WAL as bots would
        try:
            integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
            problems = [] if integrity == ["ok"] else [f"PRAGMA integrity_check: {integrity}"]
            return problems + _stuck_row_problems(db.execute(STUCK_ROWS).fetchall())
        finally:
            db.close()


@dataclass(frozen=True)
class PostgresState:
    """The bots' state in a PostgreSQL schema (`storage.url`), read with psycopg as the bot's
    store does."""

    url: str

    @property
    def location(self) -> str:
        return self.url

    @property
    def storage_setting(self) -> str:
        return f'url = "{self.url}"'

    def outbox_counts(self) -> dict[str, int] | None:
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=2) as db:
                rows = db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
                return {status: count for status, count in rows.fetchall()}
        except psycopg.Error:
            return None  # not migrated yet

    def problems(self) -> list[str]:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as db:
            return _stuck_row_problems(db.execute(STUCK_ROWS).fetchall())


StateDatabase = SqliteState | PostgresState


def _stuck_row_problems(rows: Sequence[tuple[object, ...]]) -> list[str]:
    return [
        f"outbox row {row_id} ({kind} of {link} for channel {channel}) ended {status}: {error}"
        for row_id, kind, status, channel, link, error in rows
    ]


async def wait_until_drained(
    state: StateDatabase, fake: FakeDiscord, rows: int, within: float, *, quiet: float = 1.5
) -> dict[str, int] | None:
    """Wait (at most ``within`` s) until the outbox holds ``rows`` rows, none pending or
    sending, and the fake saw no request for ``quiet`` s; return the last counts read."""
    deadline = time.monotonic() + within
    counts: dict[str, int] | None = None
    while time.monotonic() < deadline:
        counts = await asyncio.to_thread(state.outbox_counts)
        if counts is not None:
            unfinished = counts.get("pending", 0) + counts.get("sending", 0)
            if unfinished == 0 and sum(counts.values()) >= rows:
                seen = len(fake.requests)
                await asyncio.sleep(quiet)
                if len(fake.requests) == seen:
                    return counts
                continue
        await asyncio.sleep(0.25)
    return counts


def discord_problems(fake: FakeDiscord, world: NewsWorld) -> list[str]:
    """Every way what the fake Discord holds differs from exactly-once, as readable lines."""
    bot_id = str(fake.bot_user_id)
    threads_by_message: dict[int, list[JSON]] = {}
    for thread in fake.threads:
        threads_by_message.setdefault(thread["message_id"] or 0, []).append(thread)
    problems: list[str] = []
    for channel_id, expected in world.expected().items():
        where = f"channel {channel_id}"
        posts: dict[str, list[JSON]] = {}
        for message in fake.messages[channel_id]:
            if message["author"]["id"] != bot_id:
                continue
            urls = [embed.get("url") for embed in message["embeds"]]
            if not urls:
                problems.append(f"{where}: unexpected bot message {message['content'][:80]!r}")
            for url in urls:
                posts.setdefault(url, []).append(message)
        for url, post in sorted(expected.items()):
            sent = posts.get(url, [])
            if not sent:
                problems.append(f"{where}: {url} was never posted")
                continue
            if len(sent) > 1:
                ids = [m["id"] for m in sent]
                problems.append(f"{where}: {url} posted {len(sent)} times (messages {ids})")
            problems += _thread_problems(fake, f"{where}: {url}", sent, threads_by_message, post)
        problems += [
            f"{where}: {url} posted but no feed of this channel has it"
            for url in sorted(set(posts) - set(expected))
        ]
    return problems


def _thread_problems(
    fake: FakeDiscord,
    what: str,
    sent: list[JSON],
    threads_by_message: dict[int, list[JSON]],
    expected: ExpectedPost,
) -> list[str]:
    problems: list[str] = []
    notes = recaps = 0
    for message in sent:
        threads = threads_by_message.get(int(message["id"]), [])
        if len(threads) != 1:
            problems.append(f"{what}: message {message['id']} has {len(threads)} threads")
        for thread in threads:
            for reply in fake.messages[int(thread["id"])]:
                if reply["author"]["id"] != str(fake.bot_user_id):
                    continue
                if reply["content"].startswith(NOTE_PREFIX):
                    notes += 1
                elif reply["content"].startswith(RECAP_PREFIX):
                    recaps += 1
                else:
                    problems.append(f"{what}: unexpected thread message {reply['content'][:60]!r}")
    if notes != expected.notes:
        problems.append(f"{what}: {notes} 'Also covered by' note(s), expected {expected.notes}")
    if recaps != expected.recaps:
        problems.append(f"{what}: {recaps} discussion recap(s), expected {expected.recaps}")
    return problems


def message_totals(fake: FakeDiscord) -> dict[str, int]:
    """Figures for the report: the bot's posts, threads and thread messages, members' chatter."""
    bot_id = str(fake.bot_user_id)
    everything = [m for messages in fake.messages.values() for m in messages]
    in_threads = {int(t["id"]) for t in fake.threads}
    return {
        "bot posts": sum(1 for m in everything if m["author"]["id"] == bot_id and m["embeds"]),
        "threads": len(fake.threads),
        "bot thread messages": sum(
            1
            for thread_id in in_threads
            for m in fake.messages[thread_id]
            if m["author"]["id"] == bot_id
        ),
        "member messages": sum(1 for m in everything if m["author"]["id"] != bot_id),
    }
