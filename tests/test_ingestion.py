"""Feeds that misbehave on purpose, served over real HTTP, polled into a real database."""

from __future__ import annotations

import asyncio
import gzip
import itertools
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from bot.http.fetch import Fetcher, make_http_client
from bot.http.limits import HostLimiter
from bot.models import Feed, FeedFilter, SubscriptionSource, Summary
from bot.pipeline import ADMITTED
from bot.reports import FeedStatus
from bot.store import Store
from bot.teasers import PageArticles
from tests.clock import TestClock
from tests.feed_server import FeedItem, FeedServer, rss
from tests.polling import NEWS, follow, items, pending_titles, pipeline, queued_posts

GUILD = 7


async def health(store: Store, url: str) -> Feed:
    [view] = [v for v in await store.guild_subscriptions(GUILD) if v.feed.url == url]
    return view.feed


async def notices(store: Store) -> list[tuple[int, str]]:
    return [(n.channel_id, n.text) for n in await store.pending_notices()]


async def test_429_with_retry_after_waits_as_long_as_the_server_asks(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", "slow down", status=429, headers={"Retry-After": "3600"})
    await follow(store, url)
    now = clock()

    report = await pipeline(store, http).poll_due(now=now)

    assert "HTTP 429" in str(report.feeds[0].error)
    feed = await health(store, url)
    assert feed.next_poll_at == now + timedelta(hours=1)
    assert feed.failures == 1 and not feed.paused
    assert await store.due_feeds(now + timedelta(minutes=59)) == []


async def test_410_gone_pauses_at_once_and_tells_the_channel_once(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", "gone", status=410)
    await follow(store, url)

    report = await pipeline(store, http).poll_due()
    await pipeline(store, http).poll_due(now=clock() + timedelta(days=1))

    assert report.feeds[0].paused
    feed = await health(store, url)
    assert feed.paused and "HTTP 410" in str(feed.pause_reason)
    assert len(feed_server.hits("/feed.xml")) == 1  # paused feeds are not polled
    [(channel, text)] = await notices(store)
    assert channel == NEWS
    assert "Stopped polling the feed" in text and "gone for good" in text
    assert "/feeds resume" in text


async def test_repeated_failures_back_off_then_pause_and_resume_clears_them(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.url("/missing.xml")
    await follow(store, url)
    poller = pipeline(store, http, pause_after_failures=3, backoff_base_seconds=300)
    now = clock()

    waits = []
    for _ in range(3):
        await poller.poll_due(now=now)
        feed = await health(store, url)
        assert feed.next_poll_at is not None
        waits.append(feed.next_poll_at - now)
        now = feed.next_poll_at
    assert waits[:2] == [timedelta(minutes=5), timedelta(minutes=10)]
    assert feed.paused and feed.failures == 3
    [(_, text)] = await notices(store)
    assert "failed 3 times in a row" in text and "HTTP 404" in text

    feed_server.serve("/missing.xml", rss("Back", items(1, now=clock())))
    await store.resume_feed(feed.id, now)
    await poller.poll_due(now=now)
    feed = await health(store, url)
    assert not feed.paused and feed.failures == 0 and feed.last_error is None
    assert await pending_titles(store) == ["Story 0"]


async def test_a_permanent_redirect_updates_the_address_a_temporary_one_does_not(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    feed_server.serve("/new.xml", rss("Moved", items(1, now=clock())))
    moved = feed_server.redirect("/old.xml", "/new.xml", status=301)
    visiting = feed_server.redirect("/visit.xml", "/new.xml", status=302)
    await follow(store, moved)
    await follow(store, visiting, NEWS + 1)

    await pipeline(store, http).poll_due()

    urls = {f.url for f in await store.followed_feeds()}
    assert urls == {feed_server.url("/new.xml"), visiting}


async def test_an_html_page_given_as_a_feed_points_to_the_feed_it_advertises(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    page = (
        "<!doctype html><html><head><title>Blog</title>"
        '<link rel="alternate" type="application/rss+xml" href="/blog/feed.xml">'
        "</head><body>Posts</body></html>"
    )
    url = feed_server.serve("/blog/", page, content_type="text/html")
    await follow(store, url)

    report = await pipeline(store, http).poll_due()

    error = str(report.feeds[0].error)
    assert "HTML page, not an RSS or Atom feed" in error
    assert f"points to a feed at {feed_server.url('/blog/feed.xml')}" in error


async def test_oversized_bodies_and_gzip_bombs_are_cut_off_at_the_cap(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    huge = feed_server.serve("/huge.xml", b"<rss>" + b" " * 200_000 + b"</rss>")
    bomb = gzip.compress(b"<rss>" + b"\0" * 5_000_000 + b"</rss>")
    assert len(bomb) < 10_000
    bombed = feed_server.serve("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    await follow(store, huge)
    await follow(store, bombed)

    report = await pipeline(store, http, max_body_bytes=20_000).poll_due()

    assert all("larger than the 20,000 byte limit" in str(f.error) for f in report.feeds)


async def test_a_server_that_drips_bytes_times_out(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/drip.xml", rss("Slow", items(3, now=clock())), drip_seconds=0.05)
    await follow(store, url)
    # Every byte comes well within the read timeout; only the whole-fetch deadline stops it.
    report = await pipeline(store, http, timeout_seconds=0.5).poll_due()
    assert "did not answer in time (0.5 s)" in str(report.feeds[0].error)
    assert await store.pending_posts() == []


async def test_a_redirect_loop_is_reported(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    feed_server.redirect("/a.xml", "/b.xml", status=302)
    url = feed_server.redirect("/b.xml", "/a.xml", status=302)
    await follow(store, url)
    report = await pipeline(store, http).poll_due()
    assert "too many redirects" in str(report.feeds[0].error)


async def test_invalid_xml_is_reported_as_not_a_feed(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/broken.xml", "<<<this is not xml at all", content_type="text/xml")
    await follow(store, url)
    report = await pipeline(store, http).poll_due()
    assert "not an RSS or Atom feed" in str(report.feeds[0].error)


async def test_a_wrong_charset_declaration_does_not_garble_titles(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    body = rss("Café IA", [FeedItem("Modèle “ouvert” publié", "https://example.org/m", guid="m")])
    url = feed_server.serve(
        "/feed.xml", body.encode("utf-8"), content_type="application/rss+xml; charset=iso-8859-1"
    )
    await follow(store, url)
    await pipeline(store, http).poll_due()
    [post] = await queued_posts(store)
    assert post.title == "Modèle “ouvert” publié"


async def test_a_publisher_changing_guids_does_not_cause_a_second_post(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    first = [FeedItem("Llama 4", "https://example.org/llama4?utm_source=rss", guid="a-1")]
    url = feed_server.serve("/feed.xml", rss("F", first))
    await follow(store, url)
    poller = pipeline(store, http)
    await poller.poll_due()

    renamed = [FeedItem("Llama 4", "https://www.example.org/llama4", guid="b-2")]
    feed_server.serve("/feed.xml", rss("F", renamed))
    report = await poller.poll_due(now=clock() + timedelta(hours=1))

    assert report.feeds[0].new_items == 0
    assert await pending_titles(store) == ["Llama 4"]


def serve_one_story_twice(
    feed_server: FeedServer, now: datetime, *, same_link: bool = True
) -> tuple[str, str]:
    """Two feeds telling one story in other words (the second, with `same_link`, also has
    an item of other words linking the first's page): their addresses."""
    a = feed_server.serve(
        "/a.xml",
        rss("Open Models Weekly", [
            FeedItem("Mistral releases Large 3 under Apache 2.0", "https://a.example/m3",
                     guid="a", published=now - timedelta(hours=2)),
        ]),
    )  # fmt: skip
    linked = [
        FeedItem("Same link, other words", "https://a.example/m3?utm_campaign=wire",
                 guid="b2", published=now - timedelta(hours=1)),
    ]  # fmt: skip
    b = feed_server.serve(
        "/b.xml",
        rss("AI Wire", [
            FeedItem("Mistral Releases Large 3 Under Apache 2.0 - AI Wire", "https://b.example/x",
                     guid="b", published=now - timedelta(hours=1)),
            *(linked if same_link else []),
        ]),
    )  # fmt: skip
    return a, b


async def test_the_same_story_from_two_feeds_is_posted_once_and_noted_in_its_thread(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    now = clock()
    a, b = serve_one_story_twice(feed_server, now)
    await follow(store, a)
    await follow(store, b)
    first, second = await store.followed_feeds()

    # Which source posts first decides which one is "the post": poll them in turn.
    poller = pipeline(store, http)
    await poller.poll_feeds([first], now=now)
    await poller.poll_feeds([second], now=now)

    rows = await store.pending_posts()
    kinds = sorted((r.kind.value, r.item.title) for r in rows)
    assert kinds == [
        ("note", "Mistral Releases Large 3 Under Apache 2.0 - AI Wire"),
        ("note", "Same link, other words"),
        ("post", "Mistral releases Large 3 under Apache 2.0"),
    ]


async def follow_three_sources(feed_server: FeedServer, store: Store, now: datetime) -> list[Feed]:
    """The two feeds of `serve_one_story_twice` (one story in other words) and a third
    linking AI Wire's page under a headline of its own: the same story. Followed; returned
    in that order."""
    a, b = serve_one_story_twice(feed_server, now, same_link=False)
    c = feed_server.serve(
        "/c.xml",
        rss("Digest", [
            FeedItem("Weights of the new French model are out", "https://b.example/x",
                     guid="c", published=now - timedelta(minutes=30)),
        ]),
    )  # fmt: skip
    for url in (a, b, c):
        await follow(store, url)
    return await store.followed_feeds()


async def test_a_link_that_joined_a_story_by_its_headline_brings_later_items_with_it(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    now = clock()
    poller = pipeline(store, http)
    for feed in await follow_three_sources(feed_server, store, now):
        await poller.poll_feeds([feed], now=now)

    kinds = sorted((r.kind.value, r.item.title) for r in await store.pending_posts())
    assert kinds == THREE_SOURCES_ONE_STORY


THREE_SOURCES_ONE_STORY = [
    ("note", "Mistral Releases Large 3 Under Apache 2.0 - AI Wire"),
    ("note", "Weights of the new French model are out"),
    ("post", "Mistral releases Large 3 under Apache 2.0"),
]


async def test_a_database_from_before_story_links_learns_them_from_its_items(
    clock: TestClock, feed_server: FeedServer, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    now = clock()
    path = tmp_path / "old.db"
    store = await Store.open(path, clock=clock)
    first, second, third = await follow_three_sources(feed_server, store, now)
    await pipeline(store, http).poll_feeds([first], now=now)
    await pipeline(store, http).poll_feeds([second], now=now)
    await store._db.execute("DROP TABLE story_links")  # as schema 13 had it
    await store._db.execute("PRAGMA user_version = 13")
    await store.close()

    store = await Store.open(path, clock=clock)
    try:
        await pipeline(store, http).poll_feeds([third], now=now)
        kinds = sorted((r.kind.value, r.item.title) for r in await store.pending_posts())
    finally:
        await store.close()
    assert kinds == THREE_SOURCES_ONE_STORY


async def test_two_poller_processes_on_one_database_match_each_others_stories(
    clock: TestClock,
    feed_server: FeedServer,
    store: Store,
    http: httpx.AsyncClient,
    store_location: Path | str,
) -> None:
    now = clock()
    a, b = serve_one_story_twice(feed_server, now, same_link=False)
    other = feed_server.serve("/c.xml", rss("Elsewhere", items(1, now=now)))
    for url in (a, b, other):
        await follow(store, url)
    feed_a, feed_b, feed_c = await store.followed_feeds()
    # A second poller on the same database (as `run --role poller --shard 1/2` is): its
    # headline index is loaded before the first one writes the story.
    second_store = await Store.open(store_location, clock=clock)
    try:
        second = pipeline(second_store, http)
        await second.poll_feeds([feed_c], now=now)
        await pipeline(store, http).poll_feeds([feed_a], now=now)
        await second.poll_feeds([feed_b], now=now)
    finally:
        await second_store.close()

    kinds = sorted((r.kind.value, r.item.title) for r in await store.pending_posts())
    assert kinds == [
        ("note", "Mistral Releases Large 3 Under Apache 2.0 - AI Wire"),
        ("post", "Mistral releases Large 3 under Apache 2.0"),
        ("post", "Story 0"),
    ]


ARTICLE_PAGE = """<!doctype html><html><head><title>Llama 4 is here</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="/subscribe">Subscribe</a></nav>
<article><h1>Llama 4 is here</h1>
<p>Meta released Llama 4 today with open weights for research and commercial use.</p>
<p>The new family ranges from 8 billion to 400 billion parameters and ships under the
Llama 4 Community Licence, which keeps the 700 million monthly user clause.</p>
<p>Quantized GGUF builds for llama.cpp appeared on the Hugging Face Hub within hours,
and vLLM added support in its nightly release the same afternoon.</p>
<p>Researchers welcomed the longer context window but questioned the licence terms,
which still fall short of the Open Source Initiative's definition.</p>
</article>
<div class="share">Share this on X · Share on LinkedIn · Copy link</div>
<footer>© 2026 Example Media. All rights reserved. Privacy policy. Cookie settings.</footer>
</body></html>"""

STUB_PAGE = """<!doctype html><html><head><title>Inside the Qwen training run</title></head><body>
<article><h1>Inside the Qwen training run</h1>
<p>The team behind Qwen opened up about how they trained their newest model.</p>
<div class="paywall"><h2>This post is for paying subscribers only</h2>
<p>Subscribe to continue reading. Already a member? Sign in.</p></div>
</article></body></html>"""


async def test_a_teaser_is_completed_from_its_page_and_a_paywall_stub_marked_partial(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    now = clock()
    page = ARTICLE_PAGE.replace("<head>", '<head><meta property="og:image" content="/l4.jpg">', 1)
    full = feed_server.serve("/llama-4", page, content_type="text/html")
    stub = feed_server.serve("/qwen", STUB_PAGE, content_type="text/html")
    teasers = [
        FeedItem("Llama 4 is here", full, "Meta released Llama 4 today…", guid="l",
                 published=now - timedelta(hours=2)),
        FeedItem("Inside the Qwen training run", stub, "The team behind Qwen opened up […]",
                 guid="q", published=now - timedelta(hours=1)),
    ]  # fmt: skip
    url = feed_server.serve("/feed.xml", rss("Teasers", teasers))
    await follow(store, url)
    articles = PageArticles(Fetcher(http, max_bytes=1_000_000, deadline=5))

    await pipeline(store, http, articles=articles).poll_due()

    llama, qwen = await queued_posts(store)
    assert llama.summary.startswith("Meta released Llama 4 today with open weights")
    assert "Share this" not in llama.summary and "©" not in llama.summary
    assert llama.partial_note is None
    assert qwen.partial_note is not None and "Only part of the article" in qwen.partial_note
    assert "Subscribe" not in qwen.summary
    stored = {r.item.title: r.item for r in await store.pending_posts()}
    assert "400 billion parameters" in stored["Llama 4 is here"].text
    assert stored["Llama 4 is here"].image_url == feed_server.url("/l4.jpg")  # og:image
    assert stored["Inside the Qwen training run"].partial_reason


async def test_one_host_gets_few_requests_at_once_spaced_apart_with_a_named_user_agent(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    feed_server.delay_seconds = 0.05
    for n in range(4):
        await follow(store, feed_server.serve(f"/f{n}.xml", rss(f"F{n}", items(1, now=clock()))))
    limiter = HostLimiter(concurrency=1, delay=0.3)

    await pipeline(store, http, limiter=limiter, max_concurrent_fetches=4).poll_due()

    assert feed_server.max_in_flight == 1
    starts = sorted(r.arrived for r in feed_server.requests)
    # Arrivals at the server jitter a little around the client's 0.3 s spacing (the first
    # request also opens the connection), so allow a margin; without the limiter they
    # would all arrive together.
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 3 and min(gaps) >= 0.2, gaps
    assert feed_server.requests[0].headers["User-Agent"].startswith("Bazaar/")


async def test_a_feed_waiting_for_its_host_does_not_hold_a_slot_another_host_could_use(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    other_host = FeedServer(host="127.0.0.2")  # another loopback address: another host
    await other_host.start()
    try:
        for n in range(3):
            await follow(store, feed_server.serve(f"/a{n}.xml", rss("A", items(1, now=clock()))))
        for n in range(3):
            await follow(store, other_host.serve(f"/b{n}.xml", rss("B", items(1, now=clock()))))
        # One request per host at a time, a second apart; two fetches at once in all.
        limiter = HostLimiter(concurrency=1, delay=1.0)

        await pipeline(store, http, limiter=limiter, max_concurrent_fetches=2).poll_due()
    finally:
        await other_host.stop()

    # Host B's first feed went out at once, while host A's second waited out A's gap (a
    # second): not once A's queue had freed a slot.
    assert len(feed_server.requests) == len(other_host.requests) == 3
    first_b = min(r.arrived for r in other_host.requests)
    second_a = sorted(r.arrived for r in feed_server.requests)[1]
    assert first_b < second_a


async def test_a_cycle_of_many_feeds_holds_a_bounded_number_of_them_under_way(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    # 10,000 feeds gathered as 10,000 waiting tasks held 30 MiB: the others wait in a list.
    feeds = ADMITTED * 3
    for n in range(feeds):
        await follow(store, feed_server.serve(f"/f{n}.xml", rss(f"F{n}", items(1, now=clock()))))
    peak = 0

    async def count_tasks() -> None:
        nonlocal peak
        while True:
            peak = max(peak, len(asyncio.all_tasks()))
            await asyncio.sleep(0.001)

    counting = asyncio.create_task(count_tasks())
    try:
        limiter = HostLimiter(concurrency=8, delay=0)
        report = await pipeline(store, http, limiter=limiter, max_concurrent_fetches=8).poll_due()
    finally:
        counting.cancel()

    assert len(report.feeds) == feeds
    assert all(feed.status is FeedStatus.UPDATED for feed in report.feeds)
    # The feeds admitted, and the test's, the server's and the store's own tasks.
    assert peak < ADMITTED + 20, peak


async def test_a_host_with_more_feeds_than_a_cycle_admits_does_not_keep_another_waiting(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    other_host = FeedServer(host="127.0.0.2")
    await other_host.start()
    try:
        for n in range(ADMITTED + 4):
            await follow(store, feed_server.serve(f"/a{n}.xml", rss("A", items(1, now=clock()))))
        await follow(store, other_host.serve("/b.xml", rss("B", items(1, now=clock()))))
        limiter = HostLimiter(concurrency=1, delay=0.02)

        report = await pipeline(store, http, limiter=limiter, max_concurrent_fetches=4).poll_due()
    finally:
        await other_host.stop()

    # Host B's feed, the last of the cycle, went out among host A's first few: not once
    # A's feeds, one every 20 ms, had left room for it.
    assert len(report.feeds) == ADMITTED + 5
    (b,) = other_host.requests
    assert sum(r.arrived < b.arrived for r in feed_server.requests) <= 2


async def test_with_the_guard_on_a_feed_on_a_private_address_is_refused_with_the_reason(
    clock: TestClock, feed_server: FeedServer, store: Store
) -> None:
    url = feed_server.serve("/feed.xml", rss("Internal", items(1, now=clock())))
    await follow(store, url)

    async with make_http_client(timeout=5, allow_private_networks=False) as guarded:
        report = await pipeline(store, guarded).poll_due()

    assert feed_server.requests == []
    feed = await health(store, url)
    assert "Refused to connect to 127.0.0.1, which is not a public internet address" in str(
        feed.last_error
    )
    assert "network.allow_private_networks" in str(feed.last_error)
    assert report.deliveries == 0


async def test_an_unresolvable_host_is_reported_as_a_dns_failure(
    store: Store, http: httpx.AsyncClient
) -> None:
    url = "http://no-such-host.invalid/feed.xml"
    await follow(store, url)
    report = await pipeline(store, http).poll_due()
    assert "the host name does not resolve (DNS failure" in str(report.feeds[0].error)


async def test_a_general_feed_filtered_to_relevant_posts_only_open_source_ai_news(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    now = clock()
    front_page = [
        FeedItem("Show HN: llama.cpp now runs Qwen 3 in GGUF on a Raspberry Pi",
                 "https://example.org/pi", "<p>Quantized open weights on a Pi with llama.cpp.</p>",
                 guid="ai", published=now - timedelta(hours=1)),
        FeedItem("The best hiking boots of the year", "https://example.org/boots",
                 "<p>We walked 500 miles to test them.</p>", guid="boots",
                 published=now - timedelta(hours=2)),
        FeedItem("City council approves new bike lanes", "https://example.org/bikes",
                 "<p>The vote passed 7 to 2.</p>", guid="bikes",
                 published=now - timedelta(hours=3)),
    ]  # fmt: skip
    url = feed_server.serve("/front.xml", rss("Front Page", front_page))
    await store.subscribe(
        url,
        NEWS,
        source=SubscriptionSource.COMMAND,
        guild_id=GUILD,
        feed_filter=FeedFilter.RELEVANT,
    )
    await store.subscribe(url, NEWS + 1, source=SubscriptionSource.COMMAND, guild_id=GUILD)

    await pipeline(store, http).poll_due()

    assert await pending_titles(store, NEWS) == [
        "Show HN: llama.cpp now runs Qwen 3 in GGUF on a Raspberry Pi"
    ]
    assert len(await pending_titles(store, NEWS + 1)) == 3  # the unfiltered channel gets all
    [relevant] = await queued_posts(store, NEWS)
    assert "tooling" in relevant.tags


async def test_a_feed_that_breaks_the_bot_backs_off_instead_of_being_retried_at_once(
    clock: TestClock, feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    class BrokenSummarizer:
        async def summarize(self, *, title: str, text: str, context: object = None) -> Summary:
            raise RuntimeError("boom")

    url = feed_server.serve("/feed.xml", rss("F", items(1, now=clock())))
    await follow(store, url)
    now = clock()

    report = await pipeline(store, http, summarizer=BrokenSummarizer()).poll_due(now=now)

    assert "internal error" in str(report.feeds[0].error)
    feed = await health(store, url)
    assert feed.failures == 1 and feed.next_poll_at == now + timedelta(minutes=5)
    assert await store.due_feeds(now + timedelta(seconds=1)) == []
