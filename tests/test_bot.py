"""The whole bot, end to end: real discord.py against a local fake Discord, real feeds over HTTP.

Each test starts the real `BazaarBot` (unmodified; only discord.py's base URLs point at the
fake), lets it poll feeds from a local server, and checks what a Discord user would see.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.client import StartError, run_until_stopped
from bot.config import parse_settings
from tests.clock import TestClock
from tests.comments_server import HN_STORY, CommentsServer
from tests.fake_discord import MEMBER_PERMISSIONS, ChannelRef
from tests.feed_server import FeedItem, rss
from tests.harness import EPHEMERAL, Harness, stories

SEND_MESSAGES = 1 << 11
CREATE_PUBLIC_THREADS = 1 << 35


async def test_new_items_are_posted_as_embeds_with_a_thread_each_and_never_twice(
    clock: TestClock,
    harness: Harness,
) -> None:
    now = clock()
    url = harness.feeds.serve("/feed.xml", rss("Open Models Weekly", stories(10, now=now)))
    await harness.start(config_feeds=[url])

    # Only the newest 3 of 10 are posted, oldest first, each with its thread.
    await harness.wait_for(lambda: len(harness.discord.threads) == 3)
    assert harness.titles() == ["Story 2", "Story 1", "Story 0"]
    first = harness.posts()[0]
    embed = first["embeds"][0]
    assert embed["url"] == "https://example.org/story-2"
    assert embed["description"] == "Story 2 is out.\n• The model ships open weights."
    assert embed["footer"]["text"] == "Open Models Weekly · model-release"
    # Story 2 was published three hours before `now` (RSS dates have whole seconds).
    published = (now - timedelta(hours=3)).replace(microsecond=0)
    assert datetime.fromisoformat(embed["timestamp"]) == published
    assert first["allowed_mentions"] == {"parse": []}
    threads = {t["message_id"]: t["name"] for t in harness.discord.threads}
    assert [threads[int(m["id"])] for m in harness.posts()] == ["Story 2", "Story 1", "Story 0"]

    # A new entry appears: it is posted once, with a thread.
    harness.feeds.serve("/feed.xml", rss("Open Models Weekly", stories(11, start=-1, now=clock())))
    await harness.wait_for(lambda: len(harness.posts()) == 4)
    assert harness.titles()[-1] == "Story -1"

    # Restart: nothing already posted comes again; the next new entry still does.
    await harness.stop()
    await harness.start(config_feeds=[url])
    harness.feeds.serve("/feed.xml", rss("Open Models Weekly", stories(12, start=-2, now=clock())))
    await harness.wait_for(lambda: "Story -2" in harness.titles())
    assert harness.titles() == ["Story 2", "Story 1", "Story 0", "Story -1", "Story -2"]
    await harness.wait_for(lambda: len(harness.discord.threads) == 5)


async def test_feed_text_cannot_ping_or_format(clock: TestClock, harness: Harness) -> None:
    hostile = [
        FeedItem(
            "@everyone **Llama** <@&123>",
            "https://example.org/x",
            "<p>Hey @everyone and @here, see <@123456789012345678>.</p>",
            guid="x",
            published=clock(),
        )
    ]
    url = harness.feeds.serve("/feed.xml", rss("F", hostile))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.posts()) == 1)

    [message] = harness.posts()
    assert message["allowed_mentions"] == {"parse": []}
    embed = message["embeds"][0]
    assert "@everyone" not in embed["title"] and "**" not in embed["title"]
    assert "@everyone" not in embed["description"] and "@here" not in embed["description"]
    assert "<@123456789012345678>" not in embed["description"]


async def test_an_admin_adds_lists_and_removes_a_feed_with_slash_commands(
    clock: TestClock,
    harness: Harness,
) -> None:
    url = harness.feeds.serve("/weekly.xml", rss("Open Models Weekly", stories(5, now=clock())))
    await harness.start()
    news = harness.news

    added = await harness.discord.invoke_slash(
        "feeds", {"url": url, "channel": ChannelRef(news)}, group_sub="add"
    )
    reply = await added.final_message()
    assert reply["flags"] & EPHEMERAL
    assert f"Following **Open Models Weekly** in <#{news}>" in reply["content"]
    assert "5 entries" in reply["content"]
    await harness.wait_for(lambda: len(harness.discord.threads) == 3)
    assert harness.titles() == ["Story 2", "Story 1", "Story 0"]

    listed = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()
    assert listed["flags"] & EPHEMERAL
    assert "**Open Models Weekly**" in listed["content"]
    assert f"<#{news}>" in listed["content"] and url in listed["content"]
    assert "5 items · ok, last success" in listed["content"]

    removed = await (
        await harness.discord.invoke_slash("feeds", {"url": url}, group_sub="remove")
    ).final_message()
    assert "Stopped following **Open Models Weekly**" in removed["content"]
    empty = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()
    assert "follows no feeds yet" in empty["content"]


async def test_admin_commands_are_refused_to_members_and_bad_input_is_explained(
    harness: Harness,
) -> None:
    page = harness.feeds.serve(
        "/blog", "<html><body>A blog</body></html>", content_type="text/html"
    )
    await harness.start()

    refused = await harness.discord.invoke_slash(
        "feeds", {"url": page}, group_sub="add", permissions=MEMBER_PERMISSIONS
    )
    answer = await refused.final_message()
    assert answer["flags"] & EPHEMERAL
    assert answer["content"] == "You need the Manage Server permission to use this command."

    not_a_feed = await (
        await harness.discord.invoke_slash("feeds", {"url": page}, group_sub="add")
    ).final_message()
    assert not_a_feed["flags"] & EPHEMERAL
    assert "this is an HTML page, not an RSS or Atom feed" in not_a_feed["content"]

    bad_url = await (
        await harness.discord.invoke_slash("feeds", {"url": "llama news"}, group_sub="add")
    ).final_message()
    assert "is not a web address" in bad_url["content"]
    assert harness.posts() == []


async def test_members_read_the_latest_news(clock: TestClock, harness: Harness) -> None:
    url = harness.feeds.serve("/feed.xml", rss("Open Models Weekly", stories(4, now=clock())))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.posts()) == 3)

    latest = await harness.discord.invoke_slash(
        "news", {"count": 2}, group_sub="latest", permissions=MEMBER_PERMISSIONS
    )
    reply = await latest.final_message()
    assert not reply.get("flags", 0) & EPHEMERAL
    assert [e["title"] for e in reply["embeds"]] == ["Story 0", "Story 1"]
    assert reply["allowed_mentions"] == {"parse": []}

    # Story 3 was only stored (beyond the backfill), never summarized: it is when first read.
    everything = await harness.discord.invoke_slash(
        "news", {"count": 4}, group_sub="latest", permissions=MEMBER_PERMISSIONS
    )
    [*_, oldest] = (await everything.final_message())["embeds"]
    assert oldest["title"] == "Story 3"
    assert oldest["description"] == "Story 3 is out.\n• The model ships open weights."


async def test_without_permission_to_post_the_feed_is_paused_there_not_tried_post_by_post(
    clock: TestClock,
    harness: Harness,
) -> None:
    news = harness.news
    harness.discord.fail_next("POST", rf"/channels/{news}/messages$", 403, times=1)
    url = harness.feeds.serve("/feed.xml", rss("F", stories(2, now=clock())))
    await harness.start(config_feeds=[url], backfill=2)

    # The first post is refused for a reason that holds for every post there: the second
    # waits (untried) and the refused one is not retried, until an admin resumes.
    await harness.outbox_becomes({"failed": 1, "pending": 1})
    assert harness.posts() == []
    sent = [r for r in harness.discord.requests if r[:2] == ("POST", f"/channels/{news}/messages")]
    assert len(sent) == 1


async def test_a_post_whose_thread_cannot_be_opened_is_not_posted_again(
    clock: TestClock, harness: Harness
) -> None:
    harness.discord.fail_next("POST", r"/channels/\d+/messages/\d+/threads$", 403, times=1)
    url = harness.feeds.serve("/feed.xml", rss("F", stories(1, now=clock())))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.posts()) == 1)

    await harness.stop()
    harness.feeds.serve("/feed.xml", rss("F", stories(2, start=-1, now=clock())))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.discord.threads) == 1)
    assert harness.titles() == ["Story 0", "Story -1"]
    [thread] = harness.discord.threads
    assert thread["message_id"] == int(harness.posts()[1]["id"])
    await harness.outbox_becomes({"posted": 2})


async def test_a_story_from_a_second_source_becomes_a_note_in_the_first_posts_thread(
    clock: TestClock,
    harness: Harness,
) -> None:
    now = clock()
    first = [
        FeedItem("Qwen 3 released with open weights under Apache 2.0", "https://a.example/qwen3",
                 "<p>Alibaba released Qwen 3 &amp; its weights.</p>", guid="a",
                 published=now - timedelta(hours=2)),
    ]  # fmt: skip
    second = [
        FeedItem("Qwen 3 Released With Open Weights Under Apache 2.0 | AI Wire",
                 "https://b.example/qwen-3-open", "<p>Same news.</p>", guid="b",
                 published=now - timedelta(hours=1)),
    ]  # fmt: skip
    a = harness.feeds.serve("/a.xml", rss("Open Models Weekly", first))
    b = harness.feeds.serve("/b.xml", rss("AI Wire", []))
    await harness.start(config_feeds=[a, b])
    await harness.wait_for(lambda: len(harness.discord.threads) == 1)

    # An hour later, in the story's terms, the second source reports it too.
    harness.feeds.serve("/b.xml", rss("AI Wire", second))
    thread_id = int(harness.discord.threads[0]["id"])
    await harness.wait_for(lambda: len(harness.discord.messages.get(thread_id, [])) == 1)

    assert harness.titles() == ["Qwen 3 released with open weights under Apache 2.0"]
    assert (
        harness.posts()[0]["embeds"][0]["description"] == "Alibaba released Qwen 3 & its weights."
    )
    [note] = harness.discord.messages[thread_id]
    assert note["content"].startswith("Also covered by **AI Wire**: [Qwen 3 Released With Open")
    assert "(<https://b.example/qwen-3-open>)" in note["content"]
    assert note["allowed_mentions"] == {"parse": []}


async def test_admins_are_told_once_when_a_feed_is_gone_and_can_resume_it(
    clock: TestClock,
    harness: Harness,
) -> None:
    url = harness.feeds.serve("/feed.xml", "gone", status=410)
    await harness.start(config_feeds=[url])

    await harness.wait_for(lambda: len(harness.posts()) == 1)
    [notice] = harness.posts()
    assert "Stopped polling the feed" in notice["content"]
    assert "HTTP 410 Gone: it is gone for good" in notice["content"]
    assert notice["allowed_mentions"] == {"parse": []}

    listed = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()
    assert "⏸ paused" in listed["content"] and "/feeds resume" in listed["content"]

    harness.feeds.serve("/feed.xml", rss("Back Again", stories(1, now=clock())))
    resumed = await (
        await harness.discord.invoke_slash("feeds", {"url": url}, group_sub="resume")
    ).final_message()
    assert "and polling it now" in resumed["content"] and resumed["flags"] & EPHEMERAL
    await harness.wait_for(lambda: "Story 0" in harness.titles())
    assert len([m for m in harness.posts() if "Stopped polling" in m.get("content", "")]) == 1


async def test_a_hacker_news_item_gets_a_recap_of_its_discussion_in_its_thread(
    clock: TestClock,
    harness: Harness,
) -> None:
    comments = CommentsServer()
    await comments.start()
    try:
        hn = [
            FeedItem(
                "New open-weights model released",
                "https://example.org/model",
                f'<a href="https://news.ycombinator.com/item?id={HN_STORY}">Comments</a>',
                guid=f"hn-{HN_STORY}",
                published=clock(),
                comments=f"https://news.ycombinator.com/item?id={HN_STORY}",
            )
        ]
        url = harness.feeds.serve("/hn.xml", rss("Hacker News", hn))
        await harness.start(config_feeds=[url], discussions={"hn_api": comments.hn_api})

        await harness.wait_for(lambda: len(harness.discord.threads) == 1)
        thread_id = int(harness.discord.threads[0]["id"])
        await harness.wait_for(lambda: len(harness.discord.messages.get(thread_id, [])) == 1)
    finally:
        await comments.stop()

    [recap] = harness.discord.messages[thread_id]
    text = recap["content"]
    assert text.startswith("💬 Discussion recap")
    assert "<p>" not in text and "&#x27;" not in text and "&gt;" not in text
    assert "@everyone" not in text
    assert recap["allowed_mentions"] == {"parse": []}
    assert recap["flags"] & 4  # SUPPRESS_EMBEDS: quoted links stay links


async def test_adding_a_feed_where_the_bot_cannot_post_says_which_permissions_are_missing(
    clock: TestClock,
    harness: Harness,
) -> None:
    locked = harness.discord.add_text_channel("locked")
    harness.discord.deny_everyone("locked", SEND_MESSAGES | CREATE_PUBLIC_THREADS)
    url = harness.feeds.serve("/feed.xml", rss("F", stories(1, now=clock())))
    await harness.start()

    reply = await (
        await harness.discord.invoke_slash(
            "feeds", {"url": url, "channel": ChannelRef(locked)}, group_sub="add"
        )
    ).final_message()

    assert reply["flags"] & EPHEMERAL
    assert f"I cannot post in <#{locked}>" in reply["content"]
    # Without Send Messages, Discord also withholds Embed Links.
    assert "missing Send Messages, Embed Links, Create Public Threads there" in reply["content"]
    assert harness.feeds.requests == []  # refused before fetching anything
    listed = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()
    assert "follows no feeds yet" in listed["content"]


# Discord's clock and the bot's host's are not the same clock: a message Discord dates a
# moment before the attempt the bot recorded is still the one that attempt sent.
CLOCKS = pytest.mark.parametrize(
    "harness", [0.0, 3.0], indirect=True, ids=["clocks agree", "Discord's clock 3 s behind"]
)


@CLOCKS
async def test_a_post_sent_just_before_a_crash_is_found_not_posted_again(
    clock: TestClock, harness: Harness, tmp_path: Path
) -> None:
    url = harness.feeds.serve("/feed.xml", rss("F", stories(1, now=clock())))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.discord.threads) == 1)
    [sent] = harness.posts()
    await harness.stop()

    # The crash: Discord took the message, the bot died before recording it, and the
    # restart comes after Discord's nonce window.
    async with aiosqlite.connect(tmp_path / "bazaar.db") as db:
        await db.execute(
            "UPDATE outbox SET status = 'sending', message_id = NULL, thread_id = NULL"
        )
        await db.commit()
    harness.discord.forget_nonces()

    await harness.start(config_feeds=[url])
    await harness.outbox_becomes({"posted": 1})

    assert harness.posts() == [sent]
    async with (
        aiosqlite.connect(tmp_path / "bazaar.db") as db,
        db.execute("SELECT message_id, thread_id FROM outbox") as cursor,
    ):
        assert await cursor.fetchone() == (int(sent["id"]), int(harness.discord.threads[0]["id"]))


async def test_an_admin_can_follow_a_general_feed_for_open_source_ai_news_only(
    clock: TestClock,
    harness: Harness,
) -> None:
    now = clock()
    front_page = [
        FeedItem("vLLM adds speculative decoding for Llama 4 open weights",
                 "https://example.org/vllm", "<p>The vLLM inference engine now serves Llama 4.</p>",
                 guid="ai", published=now - timedelta(hours=1)),
        FeedItem("Ten soups for winter", "https://example.org/soup", "<p>Warm and easy.</p>",
                 guid="soup", published=now - timedelta(hours=2)),
    ]  # fmt: skip
    url = harness.feeds.serve("/front.xml", rss("Front Page", front_page))
    await harness.start()

    added = await (
        await harness.discord.invoke_slash(
            "feeds", {"url": url, "filter": "relevant"}, group_sub="add", channel="news"
        )
    ).final_message()
    assert "the newest 3 about open-source AI will be posted" in added["content"]

    await harness.wait_for(lambda: len(harness.discord.threads) == 1)
    assert harness.titles() == ["vLLM adds speculative decoding for Llama 4 open weights"]
    listed = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()
    assert "(open-source AI only)" in listed["content"]


async def test_a_token_discord_rejects_gives_one_plain_error(harness: Harness) -> None:
    harness.discord.fail_next("GET", r"/users/@me$", 401, code=0, message="401: Unauthorized")
    settings = parse_settings(
        {"discord": {"token": "wrong"}, "storage": {"database": "bazaar.db"}},
        base_dir=harness.tmp_path,
        environ={},
    )

    with pytest.raises(StartError, match="Discord rejected the token; check DISCORD_TOKEN"):
        await asyncio.wait_for(run_until_stopped(settings), timeout=10)


async def test_discord_down_at_start_keeps_the_bot_polling_and_it_posts_once_discord_is_back(
    clock: TestClock, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # Discord's API answers 503 to the first logins, then its gateway refuses connections.
    harness.discord.fail_next("GET", r"/users/@me$", 503, code=0, message="down", times=2)
    harness.discord.gateway_refusals = 2
    url = harness.feeds.serve("/feed.xml", rss("F", stories(2, now=clock())))

    bot = await harness.start(config_feeds=[url], wait=False)

    # Meanwhile the feed is polled and its posts queued.
    await harness.wait_for(lambda: len(harness.feeds.hits("/feed.xml")) >= 1)
    await harness.wait_for(lambda: harness.discord.refused_gateway_connections == 2)
    await asyncio.wait_for(bot.wait_until_ready(), timeout=30)
    await harness.wait_for(lambda: len(harness.discord.threads) == 2)
    assert harness.titles() == ["Story 1", "Story 0"]
    outages = [r for r in caplog.records if r.name == "bot.client" and "cannot" in r.message]
    # One line per outage, saying what failed.
    assert len(outages) == 2
    assert outages[0].getMessage().startswith("cannot log in to Discord: DiscordServerError: 503")
    assert outages[1].getMessage().startswith("cannot connect to Discord's gateway")
    assert all(r.exc_info is None for r in caplog.records if r.name.startswith("discord"))
