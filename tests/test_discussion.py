"""Discussion recaps: recognising threads, reading them over real HTTP, recapping them.

What is checked is what a Discord reader would see: a few positions, each with a quote its
author really wrote, no markup or entities, no quoted lines, nothing that pings or formats.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from bot.content.text import collapse_whitespace
from bot.discussions.comments import hn_text, reddit_text
from bot.discussions.recap import (
    Comment,
    CommentFetcher,
    DiscussionRef,
    Position,
    Recap,
    discussion_url,
    recap_comments,
    recap_comments_async,
)
from bot.http.fetch import FetchError
from tests.comments_server import (
    HN_DEEP_LENGTH,
    HN_DEEP_STORY,
    HN_HUGE_STORY,
    HN_STORY,
    INJECTED,
    REDDIT_THREAD_PATH,
    REPEATED,
    CommentsServer,
)

REDDIT_URL = f"https://www.reddit.com{REDDIT_THREAD_PATH}"
HN_URL = f"https://news.ycombinator.com/item?id={HN_STORY}"


@pytest.fixture
def server(comments_server: CommentsServer) -> CommentsServer:
    return comments_server


def fetcher(http: httpx.AsyncClient, server: CommentsServer, **limits: Any) -> CommentFetcher:
    return CommentFetcher(http=http, hn_api=server.hn_api, reddit_base=server.reddit_base, **limits)


def comment(
    cid: str, author: str, text: str, parent: str | None = None, score: int | None = None
) -> Comment:
    return Comment(cid, author, text, score, parent, 0 if parent is None else 1)


# --- Recognising discussion URLs ---------------------------------------------------------------


HN_ITEM = "https://news.ycombinator.com/item?id="
THREAD = REDDIT_THREAD_PATH


@pytest.mark.parametrize(
    ("link", "comments_url", "expected"),
    [
        (f"{HN_ITEM}41000000", None, DiscussionRef("hn", "41000000")),
        ("http://news.ycombinator.com/item?id=123&p=2#456", None, DiscussionRef("hn", "123")),
        ("https://example.ai/post", f"{HN_ITEM}77", DiscussionRef("hn", "77")),
        (REDDIT_URL, None, DiscussionRef("reddit", REDDIT_URL)),
        (f"https://old.reddit.com{THREAD}?sort=top", None, DiscussionRef("reddit", REDDIT_URL)),
        (f"https://new.reddit.com{THREAD}", None, DiscussionRef("reddit", REDDIT_URL)),
        # A comment permalink names the whole thread.
        (f"https://reddit.com{THREAD}kx9z1ab/", None, DiscussionRef("reddit", REDDIT_URL)),
        (
            "https://www.reddit.com/r/LocalLLaMA/comments/1abc2de",
            None,
            DiscussionRef("reddit", "https://www.reddit.com/r/LocalLLaMA/comments/1abc2de/"),
        ),
        # Not discussions, or not the sites they pretend to be.
        ("https://news.ycombinator.com/news", None, None),
        (f"{HN_ITEM}abc", None, None),
        ("https://news.ycombinator.com.evil.example/item?id=1", None, None),
        ("https://www.reddit.com/r/LocalLLaMA/", None, None),
        ("https://notreddit.com/r/LocalLLaMA/comments/1abc2de/x/", None, None),
        ("javascript://www.reddit.com/r/x/comments/1abc2de/", None, None),
        ("https://example.ai/post", None, None),
        (None, None, None),
    ],
)
def test_discussion_url_recognises_hn_and_reddit_threads(
    link: str | None, comments_url: str | None, expected: DiscussionRef | None
) -> None:
    assert discussion_url(link, comments_url) == expected


def test_the_comments_url_wins_over_the_link() -> None:
    ref = discussion_url(REDDIT_URL, "https://news.ycombinator.com/item?id=5")
    assert ref == DiscussionRef("hn", "5")
    assert ref.page_url == "https://news.ycombinator.com/item?id=5"


def test_comment_text_is_plain_with_quotes_and_spoilers_dropped() -> None:
    body = "&gt; you said\n\nReal &amp;#x200B; **bold** [link](https://x.y) &amp;amp; ok"
    assert reddit_text(body + " &gt;!twist!&lt;") == "Real bold link & ok"
    markup = "First<p>&gt; quoted<p><i>&gt; also</i><p>Real &#x27;x&#x27;"
    assert hn_text(markup) == "First\nReal 'x'"


# --- What a Discord reader sees ----------------------------------------------------------------


def assert_safe_for_discord(text: str) -> None:
    assert len(text) <= 1900
    for markup in ("<p>", "<a ", "<i>", "<pre>", "&#x27;", "&#x2F;", "&gt;", "&amp;", "&quot;"):
        assert markup not in text
    assert not any(line.lstrip().startswith(">") for line in text.splitlines())
    assert "@everyone" not in text and "@here" not in text
    assert "[click here](" not in text and "](https://" not in text


def assert_quotes_are_real(recap: Recap, comments: list[Comment]) -> None:
    for position in recap.positions:
        excerpt = collapse_whitespace(position.quote).removesuffix("…")
        assert any(
            c.author == position.author and excerpt in collapse_whitespace(c.text) for c in comments
        ), f"{position.quote!r} is not something {position.author} wrote"
        assert len(position.quote) <= 200


async def test_hn_thread_is_fetched_and_recapped_into_positions(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    comments = await fetcher(http, server).fetch(DiscussionRef("hn", str(HN_STORY)))

    authors = {c.author for c in comments}
    assert "gpu_deals_bot" not in authors  # dead
    assert str(HN_STORY + 4) not in {c.id for c in comments}  # deleted
    assert all(not c.text.startswith(">") for c in comments)  # oscar's quote of alice is gone
    by_id = {c.id: c for c in comments}
    assert by_id[str(HN_STORY + 2)].parent_id == str(HN_STORY + 1)
    assert by_id[str(HN_STORY + 1)].parent_id is None
    assert [c.depth for c in comments] == sorted(c.depth for c in comments)  # breadth-first

    recap = recap_comments(comments, source_url=HN_URL)

    assert recap is not None
    assert 2 <= len(recap.positions) <= 3
    assert recap.comment_count == len(comments) - 1  # mallory's repeat counts once
    assert_quotes_are_real(recap, comments)
    topics = " ".join(p.summary + " " + p.quote for p in recap.positions).lower()
    assert "licence" in topics and "4090" in topics and "cherry-picked" in topics
    text = recap.render()
    assert text.startswith(f"💬 Discussion recap ({recap.comment_count} comments)\n")
    assert_safe_for_discord(text)
    for position in recap.positions:
        assert f"— {position.author}" in text  # HN names go bare, no "u/"


async def test_reddit_thread_is_fetched_and_recapped(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    ref = discussion_url(f"https://old.reddit.com{REDDIT_THREAD_PATH}", None)
    assert ref is not None

    comments = await fetcher(http, server).fetch(ref)

    assert f"{REDDIT_THREAD_PATH}.json" in server.paths
    authors = [c.author for c in comments]
    assert "[deleted]" not in authors and "AutoModerator" not in authors
    assert all(c.text not in ("[deleted]", "[removed]") for c in comments)
    assert not any(line.startswith(">") for c in comments for line in c.text.splitlines())
    assert all("&gt;" not in c.text and "**" not in c.text for c in comments)
    assert next(c for c in comments if c.id == "lic001").score == 412

    recap = recap_comments(comments, source_url=ref.page_url)

    assert recap is not None
    assert 2 <= len(recap.positions) <= 3
    assert recap.comment_count == len(comments) - 1
    assert_quotes_are_real(recap, comments)
    text = recap.render()
    assert_safe_for_discord(text)
    assert sum(line.startswith("• ") for line in text.splitlines()) == len(recap.positions)
    for position in recap.positions:
        assert "— u/" + position.author.replace("_", "\\_") in text


async def test_replies_that_agree_back_a_position_and_replies_that_disagree_dispute_it() -> None:
    comments = [
        comment("1", "alice", "The licence is not really open, commercial use is restricted."),
        comment("2", "bob", "Exactly. The licence restrictions make commercial use a gamble.", "1"),
        comment("3", "carol", "+1", "1"),
        comment("4", "dave", "The benchmarks look cherry-picked against old baselines."),
        comment("5", "erin", "I disagree, the benchmarks include hard evals they lose on.", "4"),
        comment("6", "frank", "Wrong. Those benchmarks were run by a third party.", "4"),
    ]

    recap = recap_comments(comments, source_url=HN_URL)

    assert recap is not None
    licence, benchmarks = recap.positions
    assert (licence.author, licence.supporters, licence.stance) == ("alice", 3, "agree")
    assert benchmarks.author == "dave"
    assert benchmarks.stance == "disagree"  # two pushed back on one
    assert "cherry-picked" in benchmarks.quote


def test_a_quoted_mention_and_markdown_cannot_ping_or_format() -> None:
    comments = [
        comment("1", "trent", INJECTED + " for the cherry-picked evals."),
        comment("2", "amy_b", "@everyone cherry-picked evals, see [this](https://x.example)", "1"),
        comment("3", "ben", "Agreed, the cherry-picked evals hide **everything** @here.", "1"),
        comment("4", "cy", "Totally different topic about tokenizer throughput numbers."),
    ]

    recap = recap_comments(comments, source_url=HN_URL)

    assert recap is not None
    text = recap.render()
    assert "@everyone" in " ".join(p.quote for p in recap.positions)  # the raw quote keeps it…
    assert "@\u200beveryone" in text  # …but the message cannot ping
    assert_safe_for_discord(text)
    assert "**" not in text


def test_a_comment_repeated_verbatim_counts_once() -> None:
    comments = [
        comment("1", "a", REPEATED),
        comment("2", "a", REPEATED),
        comment("3", "b", f"  {REPEATED}  "),
        comment("4", "c", "Quantized weights run fine on a 4090 with llama.cpp."),
        comment("5", "d", "A 4090 with 24GB of VRAM handles the 4-bit quant nicely."),
    ]

    recap = recap_comments(comments, source_url=HN_URL)

    assert recap is not None and recap.comment_count == 3


def test_too_few_comments_give_no_recap() -> None:
    comments = [comment("1", "a", "Nice release, looks useful."), comment("2", "b", "+1", "1")]
    assert recap_comments(comments, source_url=HN_URL) is None
    assert recap_comments([], source_url=HN_URL) is None


async def test_the_recap_is_deterministic_and_runs_off_the_event_loop(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    ref = DiscussionRef("hn", str(HN_STORY))
    first = await fetcher(http, server).fetch(ref)
    second = await fetcher(http, server).fetch(ref)
    assert first == second

    recaps = {recap_comments(first, source_url=HN_URL) for _ in range(3)}
    recaps.add(await recap_comments_async(second, source_url=HN_URL))
    assert len(recaps) == 1


def test_the_rendered_recap_stays_within_discord_limits() -> None:
    long_quote = "Word " * 400
    positions = tuple(
        Position(f"topic {n} " * 20, long_quote, "x_" * 50, 3, "mixed") for n in range(20)
    )
    text = Recap(positions, 999, REDDIT_URL).render()
    assert len(text) <= 1900
    assert text.splitlines()[-1] == f"Thread: <{REDDIT_URL}>"


# --- Bounds and failures -----------------------------------------------------------------------


async def test_a_huge_thread_is_cut_off_at_max_comments(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    server.delay_seconds = 0.005  # long enough for requests to overlap
    comments = await fetcher(http, server, max_comments=40).fetch(
        DiscussionRef("hn", str(HN_HUGE_STORY))
    )

    assert len(comments) == 40
    assert [c.author for c in comments[:3]] == ["user1", "user2", "user3"]  # site order kept
    assert len(server.paths) == 41  # the story and 40 comments, nothing more
    assert 1 < server.max_in_flight <= 8


async def test_replies_deeper_than_max_depth_are_not_fetched(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    comments = await fetcher(http, server, max_depth=4).fetch(
        DiscussionRef("hn", str(HN_DEEP_STORY))
    )

    assert [c.depth for c in comments] == [0, 1, 2, 3, 4]
    assert len(server.paths) == 6 < HN_DEEP_LENGTH


async def test_the_byte_budget_ends_the_fetch(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    comments = await fetcher(http, server, max_bytes=30_000).fetch(
        DiscussionRef("hn", str(HN_HUGE_STORY))
    )

    assert 0 < len(comments) < 1000
    assert server.bytes_sent < 30_000 + 8 * 200  # at most the requests already in flight


async def test_the_deadline_ends_the_fetch_with_what_was_read(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    server.delay_seconds = 0.3  # reading every comment would take a minute
    started = time.monotonic()
    comments = await fetcher(http, server, deadline=1.0).fetch(
        DiscussionRef("hn", str(HN_HUGE_STORY))
    )

    assert time.monotonic() - started < 30
    assert 0 < len(comments) < 200


@pytest.mark.parametrize("status", [500, 503, 404])
async def test_a_server_error_on_the_story_is_a_fetch_error(
    http: httpx.AsyncClient, server: CommentsServer, status: int
) -> None:
    server.status[f"/v0/item/{HN_STORY}.json"] = status
    with pytest.raises(FetchError, match=f"HTTP {status}"):
        await fetcher(http, server).fetch(DiscussionRef("hn", str(HN_STORY)))


async def test_a_failing_reply_is_skipped_but_a_thread_of_failures_is_an_error(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    server.status[f"/v0/item/{HN_STORY + 1}.json"] = 500
    comments = await fetcher(http, server).fetch(DiscussionRef("hn", str(HN_STORY)))
    assert "alice" not in {c.author for c in comments} and "dave" in {c.author for c in comments}

    server.status.update({f"/v0/item/{HN_DEEP_STORY + 1}.json": 502})
    with pytest.raises(FetchError, match="none of the comments"):
        await fetcher(http, server).fetch(DiscussionRef("hn", str(HN_DEEP_STORY)))


async def test_a_missing_item_or_a_non_json_answer_is_a_fetch_error(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    with pytest.raises(FetchError, match="no item 999"):
        await fetcher(http, server).fetch(DiscussionRef("hn", "999"))

    server.raw[f"{REDDIT_THREAD_PATH}.json"] = b"<html>Too Many Requests</html>"
    with pytest.raises(FetchError, match="JSON"):
        await fetcher(http, server).fetch(DiscussionRef("reddit", REDDIT_URL))


async def test_reddit_rate_limiting_is_a_fetch_error(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    server.status[f"{REDDIT_THREAD_PATH}.json"] = 429
    with pytest.raises(FetchError, match="rate limiting"):
        await fetcher(http, server).fetch(DiscussionRef("reddit", REDDIT_URL))


async def test_reddit_comments_beyond_max_comments_are_not_read(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    comments = await fetcher(http, server, max_comments=3).fetch(
        DiscussionRef("reddit", REDDIT_URL)
    )
    # Breadth-first: the first three top-level comments, the sticky one counted but skipped.
    assert [c.id for c in comments] == ["lic001", "gpu001"]
    assert "limit=3" in server.queries[-1]  # Reddit is asked not to send more either


async def test_fetching_many_threads_at_once_shares_one_client(
    http: httpx.AsyncClient, server: CommentsServer
) -> None:
    refs = [DiscussionRef("hn", str(HN_STORY)), DiscussionRef("reddit", REDDIT_URL)] * 3
    results = await asyncio.gather(*(fetcher(http, server).fetch(ref) for ref in refs))
    assert all(results) and results[0] == results[2] and results[1] == results[3]
