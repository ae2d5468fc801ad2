"""A poll costs what changed, not what is stored: what a cycle must not do, pinned."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

import bot.pipeline
from bot.decide.server_settings import ServerSettings
from bot.delivery import DeliveryService, JobKind
from bot.models import NO_RULES, Entry, KeywordFilter, SubscriptionSource, Summary
from bot.pipeline import Pipeline
from bot.preparation import Backfill
from bot.reports import FeedStatus
from bot.server_settings import ServerSettingsService
from bot.store import Store
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.source import NO_CONTEXT, SourceContext
from tests.clock import TestClock
from tests.feed_server import FeedItem, FeedServer, atom, rss
from tests.polling import GENERAL, NEWS, follow, items, pending_titles, pipeline, queued_posts

T = TypeVar("T")


class CountingSummarizer:
    """The offline summarizer's summaries, counting what it is asked to summarize; run by
    the pipeline as it polls, as it runs an LLM (it is not a `LocalSummarizer`)."""

    def __init__(self) -> None:
        self.titles: list[str] = []
        self._inner = ExtractiveSummarizer()

    async def summarize(
        self, *, title: str, text: str, context: SourceContext = NO_CONTEXT
    ) -> Summary:
        self.titles.append(title)
        return await self._inner.summarize(title=title, text=text, context=context)


@asynccontextmanager
async def statements(store: Store) -> AsyncIterator[list[str]]:
    """Every SQL statement the store runs meanwhile (SQLite's own trace)."""
    seen: list[str] = []
    await store._db.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        await store._db.set_trace_callback(None)


def count_trips(poller: Pipeline) -> list[str]:
    """The name of each function the pipeline sends off the event loop from now on."""
    called: list[str] = []
    off_loop = poller._off_loop

    async def counted(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        called.append(fn.__name__)
        return await off_loop(fn, *args, **kwargs)

    poller._off_loop = counted
    return called


def reading(table: str, sql: list[str]) -> list[str]:
    return [s for s in sql if s.lstrip().upper().startswith("SELECT") and table in s]


async def test_only_what_is_posted_is_summarized_and_a_known_entry_never_again(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(200, now=clock())), conditional=False)
    await follow(store, url)
    summarizer = CountingSummarizer()
    poller = pipeline(store, http, summarizer=summarizer)

    await poller.poll_due()
    await poller.poll_feeds(await store.followed_feeds(), now=clock())  # the same 200 again

    assert sorted(summarizer.titles) == ["Story 0", "Story 1", "Story 2"]  # the backfill, once
    # The other 197 keep the feed's HTML, not cleaned: they may never be used.
    [old] = [i for i in await store.recent_items(1, 200) if i.title == "Story 150"]
    assert old.text == "" and old.html == ("<p>Story 150 is about open weights. It matters.</p>",)


@pytest.mark.sqlite_only("counts statements with SQLite's trace callback")
async def test_a_feed_with_nothing_new_reads_no_story_and_summarizes_nothing(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(5, now=clock())))
    await follow(store, url)
    summarizer = CountingSummarizer()
    poller = pipeline(store, http, summarizer=summarizer)
    await poller.poll_due()
    summarizer.titles.clear()

    async with statements(store) as sql:
        await poller.poll_feeds(await store.followed_feeds(), now=clock())  # a 304

    assert feed_server.hits("/feed.xml")[-1].status == 304
    assert reading("stories", sql) == [] and reading("FROM items", sql) == []
    assert summarizer.titles == []


async def test_a_stored_entry_becomes_a_new_channels_backfill_with_a_summary_made_then(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(5, now=clock())))
    await follow(store, url)
    summarizer = CountingSummarizer()
    poller = pipeline(store, http, summarizer=summarizer, backfill=1)
    await poller.poll_due()  # Story 0 posted; Stories 1-4 only stored

    await follow(store, url, GENERAL)
    poller = pipeline(store, http, summarizer=summarizer, backfill=2)
    await poller.poll_due()

    assert await pending_titles(store, GENERAL) == ["Story 1", "Story 0"]
    assert summarizer.titles == ["Story 0", "Story 1"]  # Story 1 only now, Story 0 not again
    [row] = [r for r in await store.pending_posts() if r.item.title == "Story 1"]
    assert row.item.summary == "Story 1 is about open weights. It matters."


@pytest.mark.sqlite_only("counts statements with SQLite's trace callback")
async def test_the_same_body_again_without_validators_is_not_parsed_again(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(3, now=clock())), conditional=False)
    await follow(store, url)
    poller = pipeline(store, http)
    await poller.poll_due()

    async with statements(store) as sql:
        report = await poller.poll_feeds(await store.followed_feeds(), now=clock())

    assert feed_server.hits("/feed.xml")[-1].status == 200  # no ETag: the whole body again
    assert report.feeds[0].status is FeedStatus.NOT_MODIFIED
    assert reading("FROM items", sql) == []  # not even its entries' keys were looked up


@pytest.mark.sqlite_only("counts statements with SQLite's trace callback")
async def test_a_changed_feed_looks_up_only_its_new_entries_not_those_it_had_already(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(3, start=1, now=clock())))
    await follow(store, url)
    poller = pipeline(store, http)
    await poller.poll_due()

    feed_server.serve("/feed.xml", rss("F", items(4, now=clock())))  # story-0 is new
    async with statements(store) as sql:
        report = await poller.poll_feeds(await store.followed_feeds(), now=clock())

    assert report.feeds[0].new_items == 1
    lookups = reading("FROM items", sql)
    assert any("story-0" in s for s in lookups)  # the new entry's key, looked up...
    assert not any("story-1" in s or "story-3" in s for s in lookups)  # ...and only it


@pytest.mark.sqlite_only("counts statements with SQLite's trace; a SQLite trigger fails the write")
async def test_a_poll_whose_write_failed_leaves_every_entry_to_be_read_again(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(3, now=clock())))
    await follow(store, url)
    poller = pipeline(store, http)
    await store._db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'full'); END"
    )
    failed = await poller.poll_due()
    await store._db.execute("DROP TRIGGER refuse")

    report = await poller.poll_feeds(await store.followed_feeds(), now=clock())

    assert failed.feeds[0].status is FeedStatus.FAILED
    assert report.feeds[0].new_items == 3
    assert await pending_titles(store) == ["Story 2", "Story 1", "Story 0"]


@pytest.mark.parametrize(
    ("rules", "trips", "posted"),
    [
        (NO_RULES, ["read_and_prepare"], ["Story 2", "Story 1", "Story 0"]),
        # Story 0 is filtered out: the backfill takes Story 3 instead, prepared after.
        (
            KeywordFilter(exclude=("Story 0",)),
            ["read_and_prepare", "prepare_entries"],
            ["Story 3", "Story 2", "Story 1"],
        ),
    ],
    ids=["backfill-prepared-while-read", "filtered-backfill-prepared-after"],
)
async def test_a_new_feeds_backfill_is_prepared_in_the_same_trip_as_its_reading(
    clock: TestClock,
    feed_server: FeedServer,
    store: Store,
    http: httpx.AsyncClient,
    rules: KeywordFilter,
    trips: list[str],
    posted: list[str],
) -> None:
    # Story 144 is older than max_age (5 days): never posted, so never prepared either.
    feed = items(6, now=clock()) + items(1, start=6 * 24, now=clock())
    url = feed_server.serve("/feed.xml", rss("F", feed))
    await store.subscribe(url, NEWS, source=SubscriptionSource.COMMAND, guild_id=7, rules=rules)
    poller = pipeline(store, http, backfill=3, max_age_days=5)
    called = count_trips(poller)
    await poller.poll_due()

    assert called == trips
    assert await pending_titles(store) == posted
    by_title = {i.title: i for i in await store.recent_items(1, 10)}
    for title in posted:  # cleaned and scored; summarized only as it is sent
        assert by_title[title].text and by_title[title].relevance is not None
        assert by_title[title].summary == ""
    # What no channel gets is only stored: neither cleaned nor scored.
    assert by_title["Story 5"].text == "" and by_title["Story 5"].relevance is None
    assert by_title["Story 144"].text == "" and by_title["Story 144"].relevance is None
    summaries = [post.summary for post in await queued_posts(store)]
    assert summaries == [f"{title} is about open weights. It matters." for title in posted]


def test_a_backfill_is_likely_to_post_the_newest_entries_none_too_old() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    backfill = Backfill(count=2, now=now, oldest=now - timedelta(days=1))

    def entry(key: str, hours_ago: float | None) -> Entry:
        published = now - timedelta(hours=hours_ago) if hours_ago is not None else None
        return Entry(key, key, None, None, "", published)

    entries = [entry("a", 5), entry("b", 2), entry("undated", None), entry("old", 30)]
    assert [e.key for e in backfill.likely_posted(entries)] == ["undated", "b"]
    assert [e.key for e in backfill.likely_posted(entries[3:])] == []  # only too old


@pytest.mark.parametrize(
    ("at_most", "trips"),
    [(8, ["read_and_prepare"]), (1, ["read_and_prepare", "prepare_entries"])],
    ids=["prepared-while-read", "too-many-prepared-after"],
)
async def test_a_feed_read_again_with_a_few_new_entries_is_prepared_in_the_same_trip(
    clock: TestClock,
    feed_server: FeedServer,
    store: Store,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    at_most: int,
    trips: list[str],
) -> None:
    monkeypatch.setattr(bot.pipeline, "PREPARE_WITH_READING", at_most)
    url = feed_server.serve("/feed.xml", rss("F", items(3, start=2, now=clock())))
    await follow(store, url)
    poller = pipeline(store, http)
    await poller.poll_due()
    feed_server.serve("/feed.xml", rss("F", items(5, now=clock())))  # Stories 0 and 1 are new
    called = count_trips(poller)
    await poller.poll_feeds(await store.followed_feeds(), now=clock())

    assert called == trips
    # Either way, the same posts: each new story scored, and summarized as it is sent.
    new = ("Story 0", "Story 1")
    scores = {r.item.title: r.item.relevance for r in await store.pending_posts()}
    assert None not in [scores[title] for title in new]
    summaries = {post.title: post.summary for post in await queued_posts(store)}
    assert [summaries[t] for t in new] == [f"{t} is about open weights. It matters." for t in new]


async def test_an_offline_summary_is_made_as_its_post_is_sent_never_for_a_folded_one(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    sent = feed_server.serve("/sent.xml", rss("Sent", items(2, now=clock())))
    folded = feed_server.serve("/folded.xml", rss("Folded", items(3, start=5, now=clock())))
    await store.subscribe(sent, NEWS, source=SubscriptionSource.COMMAND, guild_id=7)
    await store.subscribe(folded, GENERAL, source=SubscriptionSource.COMMAND, guild_id=8)
    servers = ServerSettingsService(store, ServerSettings())
    await servers.set(8, "catch_up_above", "2")  # GENERAL's 3 posts come as one list
    await pipeline(store, http).poll_due()
    assert {row.item.summary for row in await store.pending_posts()} == {""}  # left to sending

    jobs = await DeliveryService(store, clock=clock, server_settings=servers).due()

    summary = "{} is about open weights. It matters."
    posts = [(job.post.title, job.post.summary) for job in jobs if job.kind is JobKind.POST]
    assert posts == [(title, summary.format(title)) for title in ("Story 1", "Story 0")]
    kept = {item.title: item.summary for item in await store.recent_items(1, 10)}
    assert kept == {title: summary.format(title) for title in ("Story 1", "Story 0")}
    # What the catch-up list folded is never summarized: it shows titles only.
    assert {item.summary for item in await store.recent_items(2, 10)} == {""}


@pytest.mark.sqlite_only("counts statements with SQLite's trace callback")
async def test_an_item_posted_in_two_channels_is_summarized_once(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(1, now=clock())))
    await follow(store, url, NEWS)
    await follow(store, url, GENERAL)
    await pipeline(store, http).poll_due()

    async with statements(store) as sql:
        jobs = await DeliveryService(store, clock=clock).due()

    summary = "Story 0 is about open weights. It matters."
    assert [(job.target_id, job.post and job.post.summary) for job in jobs] == [
        (NEWS, summary),
        (GENERAL, summary),
    ]
    assert len([s for s in sql if s.startswith("UPDATE items SET summary")]) == 1


async def test_a_summary_made_as_the_post_is_sent_reads_its_feed_as_the_poll_would(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    # Only the feed's address says this is a release (GitHub's release feeds end so): a
    # summary made without it would read the notes as news.
    notes = (
        "<p>This build loads GGUF files twice as fast on Windows machines with many cores.</p>"
        "<p>It also fixes a crash in the server when the prompt is empty.</p>"
        "<p>Thanks to everyone who reported the problem.</p>"
    )
    release = FeedItem("Faster GGUF loading and a server fix",
                       "https://mirror.example/llama.cpp/b7214", notes,
                       published=clock() - timedelta(hours=1))  # fmt: skip
    url = feed_server.serve("/ggml-org/llama.cpp/releases.atom", atom("llama.cpp", [release]))
    await follow(store, url)
    await pipeline(store, http).poll_due()

    [job] = await DeliveryService(store, clock=clock).due()

    assert job.post is not None
    [item] = await store.recent_items(1, 1)
    summarizer = ExtractiveSummarizer()
    text = item.text  # cleaned by the poll: it was to be posted
    as_polled = SourceContext(link=item.link, feed_url=url, feed_title="llama.cpp")
    expected = summarizer.summarize_sync(title=item.title, text=text, context=as_polled).text
    assert job.post.summary == expected
    as_news = summarizer.summarize_sync(title=item.title, text=text).text
    assert expected != as_news  # the feed's address made the difference
