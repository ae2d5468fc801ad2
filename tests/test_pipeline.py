"""A poll cycle against real HTTP (a local server) and a real SQLite database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import LLMSettings
from bot.models import OutboxStatus
from bot.reports import FeedStatus
from bot.store import Store, StoreSummaryCache
from bot.summarize.llm import summarizer_from_settings
from tests.clock import TestClock
from tests.feed_server import FeedServer, atom, rss
from tests.llm_server import LLMServer, Reply, completion
from tests.polling import GENERAL, NEWS, follow, items, pending_titles, pipeline, queued_posts


async def test_a_feed_with_200_old_items_queues_only_the_newest_three(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("Big Feed", items(200, now=clock())))
    await follow(store, url)

    report = await pipeline(store, http).poll_due()

    assert report.feeds[0].new_items == 200
    assert await pending_titles(store) == ["Story 2", "Story 1", "Story 0"]
    [first, *_] = await queued_posts(store)
    assert first.source_name == "Big Feed"
    assert first.summary == "Story 2 is about open weights. It matters."


async def test_an_unchanged_feed_is_asked_conditionally_and_queues_nothing(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(2, now=clock())))
    await follow(store, url)
    poller = pipeline(store, http)
    await poller.poll_due()
    await poller.poll_due(now=clock() + timedelta(hours=1))

    second = feed_server.hits("/feed.xml")[1]
    assert second.headers["If-None-Match"] == feed_server.resources["/feed.xml"].etag
    assert second.status == 304
    assert len(await store.pending_posts()) == 2


async def test_a_new_entry_in_a_changed_feed_is_queued_once(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.atom", atom("Releases", items(3, start=1, now=clock())))
    await follow(store, url)
    poller = pipeline(store, http)
    await poller.poll_due()

    feed_server.serve("/feed.atom", atom("Releases", items(4, now=clock())))
    later = clock() + timedelta(hours=1)
    report = await poller.poll_due(now=later)

    assert report.feeds[0].new_items == 1
    assert report.deliveries == 1
    assert await pending_titles(store) == ["Story 3", "Story 2", "Story 1", "Story 0"]


async def test_nothing_is_queued_twice_after_a_restart(
    clock: TestClock, feed_server: FeedServer, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(3, now=clock())), conditional=False)
    first = await Store.open(tmp_path / "bazaar.db", clock=clock)
    await follow(first, url)
    await pipeline(first, http).poll_due()
    for row in await first.pending_posts():
        await first.mark_posted(row.id, message_id=row.id, thread_id=None)
    await first.close()

    # The same entries in a changed document (so it is parsed again, not skipped as seen).
    feed_server.serve("/feed.xml", rss("F, renamed", items(3, now=clock())), conditional=False)
    reopened = await Store.open(tmp_path / "bazaar.db", clock=clock)
    try:
        later = clock() + timedelta(hours=1)
        report = await pipeline(reopened, http).poll_due(now=later)
        assert report.feeds[0].status is FeedStatus.UPDATED
        assert report.deliveries == 0
        assert await reopened.pending_posts() == []
        assert (await reopened.outbox_counts())[OutboxStatus.POSTED] == 3
    finally:
        await reopened.close()


async def test_a_feed_followed_in_two_channels_is_fetched_once_and_posted_in_both(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(1, now=clock())))
    await follow(store, url, NEWS)
    await follow(store, url, GENERAL)

    await pipeline(store, http).poll_due()

    assert len(feed_server.hits("/feed.xml")) == 1
    assert await pending_titles(store, NEWS) == ["Story 0"]
    assert await pending_titles(store, GENERAL) == ["Story 0"]


async def test_a_broken_feed_is_recorded_and_does_not_stop_the_others(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    good = feed_server.serve("/good.xml", rss("Good", items(1, now=clock())))
    html = feed_server.serve("/page", "<!doctype html><html></html>", content_type="text/html")
    missing = feed_server.url("/missing.xml")
    for url in (good, html, missing):
        await follow(store, url)

    report = await pipeline(store, http).poll_due()

    errors = {f.feed_url: f.error for f in report.feeds}
    assert errors[good] is None
    assert "HTML page, not an RSS or Atom feed" in str(errors[html])
    assert "HTTP 404" in str(errors[missing])
    assert await pending_titles(store) == ["Story 0"]
    [view] = [v for v in await store.guild_subscriptions(7) if v.feed.url == missing]
    assert view.feed.last_error is not None and "404" in view.feed.last_error


async def test_a_body_over_the_cap_is_refused_and_nothing_is_stored(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/huge.xml", rss("Huge", items(50, now=clock())))
    await follow(store, url)

    report = await pipeline(store, http, max_body_bytes=2000).poll_due()

    assert "larger than the 2,000 byte limit" in str(report.feeds[0].error)
    assert await store.pending_posts() == []


async def test_only_posted_items_go_to_the_llm_and_its_summaries_are_cached_in_the_database(
    clock: TestClock,
    feed_server: FeedServer,
    store: Store,
    http: httpx.AsyncClient,
    llm_server: LLMServer,
) -> None:
    answer = {"tldr": "An open model shipped.", "key_points": [], "tags": ["model-release"]}
    llm_server.then(*(Reply(body=completion(json.dumps(answer))) for _ in range(2)))
    url = feed_server.serve("/feed.xml", rss("F", items(5, now=clock())))
    await follow(store, url)
    settings = LLMSettings(enabled=True, base_url=llm_server.base_url, model="tiny")
    summarizer = summarizer_from_settings(settings, http=http, cache=StoreSummaryCache(store))

    await pipeline(store, http, backfill=2, summarizer=summarizer).poll_due()

    assert len(llm_server.requests) == 2  # the 3 items only stored got the offline summary
    posts = await queued_posts(store)
    assert [p.summary for p in posts] == ["An open model shipped."] * 2
    assert all(p.tags == ("model-release",) for p in posts)
    # A new summarizer (as after a restart) finds the summary in the database.
    fresh = summarizer_from_settings(settings, http=http, cache=StoreSummaryCache(store))
    again = await fresh.summarize(title="Story 0", text=items(1, now=clock())[0].description[3:-4])
    assert again.tldr == "An open model shipped." and len(llm_server.requests) == 2


async def test_a_channel_joining_a_feed_already_polled_gets_its_backfill_at_the_next_cycle(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", items(4, now=clock())))
    await follow(store, url, NEWS)
    poller = pipeline(store, http)
    await poller.poll_due()

    await follow(store, url, GENERAL)
    report = await poller.poll_due()  # not an hour later: the new channel made the feed due

    assert feed_server.hits("/feed.xml")[-1].status == 304
    assert await pending_titles(store, GENERAL) == ["Story 2", "Story 1", "Story 0"]
    assert report.deliveries == 3


@pytest.mark.sqlite_only("a SQLite trigger makes the one feed's write fail")
async def test_a_feed_whose_write_fails_fails_alone_and_the_others_are_stored(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    urls = [
        feed_server.serve(f"/{n}.xml", rss(f"Feed {n}", items(3, start=10 * n, now=clock())))
        for n in range(6)
    ]
    for url in urls:
        await follow(store, url)
    broken = next(f.id for f in await store.followed_feeds() if f.url == urls[2])
    # The database refuses that one feed's items (a real write failure, inside whichever
    # transaction its write shares with the others').
    await store._db.execute(
        f"""CREATE TRIGGER refuse BEFORE INSERT ON items WHEN NEW.feed_id = {broken}
            BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"""
    )

    report = await pipeline(store, http).poll_due()

    statuses = {r.feed_url: r.status for r in report.feeds}
    assert statuses.pop(urls[2]) is FeedStatus.FAILED
    assert set(statuses.values()) == {FeedStatus.UPDATED}
    assert len(await store.pending_posts()) == 15  # 3 from each of the five others
    rows = await store._fetchall("SELECT DISTINCT feed_id FROM items")
    assert broken not in {row[0] for row in rows} and len(rows) == 5
