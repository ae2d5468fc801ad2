"""/news summarize: any public page summarized for a member, through real discord.py and
the fake Discord; the guard, the limits and the rate limit as a member meets them."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from bot.http.fetch import Fetcher, make_http_client
from bot.on_demand import OnDemandSummaries, RateLimit, Refusal, wait_before_next
from bot.summarize.extractive import ExtractiveSummarizer
from tests.clock import TestClock
from tests.comments_server import HN_STORY, CommentsServer
from tests.feed_server import FeedServer
from tests.harness import EPHEMERAL, Harness

ARTICLE = """<html><head><title>Mistral releases Devstral 2 under Apache 2.0</title></head>
<body><article><h1>Mistral releases Devstral 2 under Apache 2.0</h1>
<p>Mistral released Devstral 2, an open-weight coding model, under the Apache 2.0 licence.
The model comes in two sizes and runs on a single GPU.</p>
<p>The company says Devstral 2 beats every other open coding model on SWE-bench Verified,
and it published the weights on Hugging Face the same day.</p>
<p>Developers can fine-tune it for their own code bases, which the licence allows.</p>
</article></body></html>"""


def on_demand(http: httpx.AsyncClient, max_bytes: int, clock: TestClock) -> OnDemandSummaries:
    fetcher = Fetcher(http, max_bytes=max_bytes, deadline=5)
    return OnDemandSummaries(fetcher=fetcher, summarizer=ExtractiveSummarizer(), clock=clock)


def page(feed_server: FeedServer, path: str = "/article.html") -> str:
    return feed_server.serve(path, ARTICLE, content_type="text/html; charset=utf-8")


async def test_a_member_gets_the_summary_of_a_page_as_a_post_would_show_it(
    harness: Harness,
) -> None:
    url = page(harness.feeds)
    await harness.start()

    asked = await harness.discord.invoke_slash("news", {"url": url}, group_sub="summarize")
    answer = await asked.final_message()

    assert asked.is_deferred  # at once: reading a page may take longer than 3 seconds
    assert answer["allowed_mentions"] == {"parse": []}
    [embed] = answer["embeds"]
    assert embed["title"] == "Mistral releases Devstral 2 under Apache 2.0"
    assert embed["url"] == url
    assert "Apache 2.0" in embed["description"]
    assert embed["footer"]["text"].startswith("127.0.0.1")


async def test_not_a_web_page_and_not_a_link_are_refused_in_plain_words(
    harness: Harness,
) -> None:
    pdf = harness.feeds.serve("/paper.pdf", b"%PDF-1.7", content_type="application/pdf")
    await harness.start()

    asked = await harness.discord.invoke_slash("news", {"url": pdf}, group_sub="summarize")
    answer = await asked.final_message()
    assert "not a web page (application/pdf)" in answer["content"]

    asked = await harness.discord.invoke_slash("news", {"url": "ftp://x"}, group_sub="summarize")
    answer = await asked.final_message()
    assert answer["flags"] & EPHEMERAL and "not a web link" in answer["content"]


async def test_past_the_rate_limit_a_member_is_told_how_long_to_wait(
    harness: Harness, clock: TestClock
) -> None:
    urls = [page(harness.feeds, f"/a{n}.html") for n in range(6)]
    await harness.start()
    for url in urls[:5]:
        asked = await harness.discord.invoke_slash("news", {"url": url}, group_sub="summarize")
        assert (await asked.final_message())["embeds"]

    again = await harness.discord.invoke_slash("news", {"url": urls[5]}, group_sub="summarize")
    refused = await again.final_message()
    assert refused["flags"] & EPHEMERAL
    assert (
        (refused["content"])
        == "You can ask for 5 summaries every 10 minutes; try again in 10 minutes."
    )
    # A page already summarized costs nothing: it comes from the cache, not counted.
    cached = await harness.discord.invoke_slash("news", {"url": urls[0]}, group_sub="summarize")
    assert (await cached.final_message())["embeds"]
    assert len(harness.feeds.hits("/a0.html")) == 1

    clock.advance(timedelta(minutes=10))
    later = await harness.discord.invoke_slash("news", {"url": urls[5]}, group_sub="summarize")
    assert (await later.final_message())["embeds"]


async def test_a_private_address_is_refused_by_the_guard(
    feed_server: FeedServer, clock: TestClock
) -> None:
    url = page(feed_server)
    async with make_http_client(timeout=5, allow_private_networks=False) as guarded:
        with pytest.raises(Refusal, match="not a public internet address"):
            await on_demand(guarded, 1_000_000, clock).summarize(1, url)
    assert feed_server.hits("/article.html") == []


def test_the_rate_limit_counts_only_the_window() -> None:
    now = datetime(2026, 11, 24, 12, 0)
    limit = RateLimit(requests=2, per=timedelta(minutes=10))
    assert wait_before_next([], now, limit) == timedelta(0)
    asked = [now - timedelta(minutes=9), now - timedelta(minutes=3)]
    assert wait_before_next(asked, now, limit) == timedelta(minutes=1)
    assert wait_before_next(asked, now + timedelta(minutes=1), limit) == timedelta(0)


async def test_a_huge_page_is_cut_off_at_the_cap(feed_server: FeedServer, clock: TestClock) -> None:
    url = feed_server.serve("/huge.html", b"<html>" + b"x" * 2_000_000, content_type="text/html")
    async with httpx.AsyncClient() as http:
        with pytest.raises(Refusal, match="larger than the 100,000 byte limit"):
            await on_demand(http, 100_000, clock).summarize(1, url)


async def test_a_discussion_link_is_summarized_by_its_recap_who_says_what(
    harness: Harness, comments_server: CommentsServer
) -> None:
    await harness.start(discussions={"hn_api": comments_server.hn_api})
    thread = f"https://news.ycombinator.com/item?id={HN_STORY}"

    asked = await harness.discord.invoke_slash("news", {"url": thread}, group_sub="summarize")
    answer = await asked.final_message()

    assert answer["allowed_mentions"] == {"parse": []}
    [embed] = answer["embeds"]
    assert embed["url"] == thread
    assert embed["title"] == "Discussion on news.ycombinator.com: 14 comments"
    lines = embed["description"].split("\n")
    # One line per position: the commenters' own words, who backs and who disputes it.
    assert len(lines) >= 2
    assert all("“" in line and " — " in line and " people" in line for line in lines)
    assert any("licen" in line.lower() for line in lines)
    assert "@everyone" not in embed["description"]  # a comment cannot ping


async def test_a_discussion_that_cannot_be_read_is_refused_in_plain_words(
    harness: Harness, comments_server: CommentsServer
) -> None:
    comments_server.status[f"/v0/item/{HN_STORY}.json"] = 503
    await harness.start(discussions={"hn_api": comments_server.hn_api})

    asked = await harness.discord.invoke_slash(
        "news", {"url": f"https://news.ycombinator.com/item?id={HN_STORY}"}, group_sub="summarize"
    )
    answer = await asked.final_message()

    assert answer["content"].startswith("Could not read that discussion:")
