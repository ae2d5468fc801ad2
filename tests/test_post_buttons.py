"""The buttons under every post, through real discord.py and the fake Discord: Summary
answers the member alone with the item in full, Source and Discussion are links, and a
post's Summary still works after the bot restarts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiosqlite

from tests.clock import TestClock
from tests.fake_discord import MEMBER_PERMISSIONS
from tests.feed_server import FeedItem, rss
from tests.harness import EPHEMERAL, Harness
from tests.test_feeds_cog import buttons

HN_ITEM = FeedItem(
    "Qwen 3.5 released with open weights under Apache 2.0",
    "https://example.org/qwen-3-5",
    "<p>Alibaba released Qwen 3.5 today. The weights are open under Apache 2.0. "
    "Qwen 3.5 comes in four sizes. The largest beats last year's best open model.</p>",
    guid="qwen-3-5",
    comments="https://news.ycombinator.com/item?id=4242",
)


async def started_with_a_post(harness: Harness, clock: TestClock) -> tuple[str, dict]:
    """The bot, started with a feed of one item that it has posted: (feed URL, the post)."""
    item = FeedItem(**{**HN_ITEM.__dict__, "published": clock() - timedelta(hours=1)})
    url = harness.feeds.serve("/feed.xml", rss("Open Models Weekly", [item]))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.discord.threads) == 1)
    [post] = harness.posts()
    return url, post


async def test_a_post_has_summary_source_and_discussion_and_they_survive_a_restart(
    harness: Harness, clock: TestClock
) -> None:
    url, post = await started_with_a_post(harness, clock)

    shown = buttons(post)
    assert shown["Source"]["url"] == "https://example.org/qwen-3-5"
    assert shown["Discussion"]["url"] == "https://news.ycombinator.com/item?id=4242"
    summary_id = shown["Summary"]["custom_id"]

    await harness.stop()
    await harness.start(config_feeds=[url])  # the post is from before this start

    pressed = await harness.discord.invoke_component(
        post["id"], summary_id, permissions=MEMBER_PERMISSIONS, user_name="member"
    )
    answer = await pressed.final_message()
    assert answer["flags"] & EPHEMERAL
    assert answer["allowed_mentions"] == {"parse": []}
    [embed] = answer["embeds"]
    assert embed["title"] == HN_ITEM.title
    # The whole summary: the TL;DR and every key point (the post shows the TL;DR only).
    assert embed["description"].splitlines() == [
        "Alibaba released Qwen 3.5 today.",
        "• The weights are open under Apache 2.0.",
        "• Qwen 3.5 comes in four sizes.",
        "• The largest beats last year's best open model.",
    ]
    fields = {field["name"]: field["value"] for field in embed.get("fields", [])}
    assert "model-release" in fields["Tags"]
    assert fields["Relevance"].endswith("(about open-source AI)")
    assert len(harness.posts()) == 1  # nothing was posted in the channel


async def test_summary_of_a_post_whose_feed_this_server_no_longer_follows_says_so(
    harness: Harness, clock: TestClock, tmp_path: Path
) -> None:
    _, post = await started_with_a_post(harness, clock)
    async with aiosqlite.connect(tmp_path / "bazaar.db") as db:
        await db.execute("DELETE FROM subscriptions")
        await db.commit()

    pressed = await harness.discord.invoke_component(
        post["id"], buttons(post)["Summary"]["custom_id"]
    )
    answer = await pressed.final_message()
    assert answer["flags"] & EPHEMERAL
    assert "no longer in this server's archive" in answer["content"]
