"""/feeds through the fake Discord: every answer fits Discord's limits, however long the input.

The fake refuses content over 2,000 characters, as Discord does, so a reply that arrives is a
reply that fits.
"""

from __future__ import annotations

import asyncio
import re

from tests.fake_discord import ChannelRef
from tests.feed_server import FeedItem, FeedServer, rss
from tests.harness import EPHEMERAL, Harness, stories

MESSAGE_CHARS = 2000


def buttons(message: dict) -> dict[str, dict]:
    """The message's buttons by label."""
    return {
        button["label"]: button
        for row in message.get("components", [])
        for button in row["components"]
    }


def long_path(feeds: FeedServer, length: int, stem: str = "/feed") -> str:
    """A path that makes the feed server's URL exactly `length` characters long."""
    return stem + "x" * (length - len(feeds.url(stem)))


async def follows(harness: Harness, count: int) -> None:
    """Wait until the server follows `count` feeds, each read once (so its title is known).

    Config feeds get their guild when the bot is ready, and their title when first polled.
    """
    assert harness.bot is not None
    for _ in range(500):
        views = await harness.bot.subscriptions.list(harness.discord.guild_id)
        if len(views) == count and all(view.feed.title for view in views):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the server does not follow {count} feeds it has read")


async def test_a_long_feed_list_comes_in_pages_the_admin_turns_with_buttons(
    harness: Harness,
) -> None:
    titles = [f"Feed {n:02} " + "about open models and their weights " * 4 for n in range(40)]
    urls = [harness.feeds.serve(f"/feed-{n}.xml", rss(t, [])) for n, t in enumerate(titles)]
    await harness.start(config_feeds=urls)
    await follows(harness, 40)

    listed = await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    first = await listed.final_message()

    assert first["flags"] & EPHEMERAL
    assert first["allowed_mentions"] == {"parse": []}
    total = int(re.search(r"Page 1/(\d+)$", first["content"]).group(1))
    assert total >= 4
    assert buttons(first)["Previous"].get("disabled") is True
    assert not buttons(first)["Next"].get("disabled")

    # Next shows page 2, and so on to the last page; together they list every feed once.
    pages = [first["content"]]
    for number in range(2, total + 1):
        message = listed.original
        click = await harness.discord.invoke_component(
            message["id"], buttons(message)["Next"]["custom_id"]
        )
        shown = await click.final_message()
        assert shown["id"] == first["id"]  # the same message, edited
        assert shown["content"].endswith(f"Page {number}/{total}")
        pages.append(shown["content"])
    assert all(len(page) <= MESSAGE_CHARS for page in pages)
    assert buttons(shown)["Next"].get("disabled") is True
    entries = [line for page in pages for line in page.split("\n") if line.startswith("• ")]
    assert len(entries) == 40
    assert all(f"**Feed {n:02} " in line for n, line in enumerate(entries))
    assert all(url in "".join(pages) for url in urls)


async def test_only_the_admin_who_asked_can_turn_the_pages(harness: Harness) -> None:
    urls = [harness.feeds.serve(f"/f{n}.xml", rss(f"Feed {n} " * 20, [])) for n in range(40)]
    await harness.start(config_feeds=urls)
    await follows(harness, 40)
    listed = await harness.discord.invoke_slash("feeds", {}, group_sub="list", user_name="alice")
    first = await listed.final_message()

    other = await harness.discord.invoke_component(
        first["id"], buttons(first)["Next"]["custom_id"], user_name="bob"
    )
    refusal = await other.final_message()

    assert refusal["flags"] & EPHEMERAL
    assert "Only the person who ran this command" in refusal["content"]
    assert listed.original["content"] == first["content"]  # still page 1
    turned = await harness.discord.invoke_component(
        first["id"], buttons(first)["Next"]["custom_id"], user_name="alice"
    )
    assert "Page 2/" in (await turned.final_message())["content"]


async def test_a_short_feed_list_is_one_message_without_buttons(harness: Harness) -> None:
    url = harness.feeds.serve("/feed.xml", rss("Open Models Weekly", []))
    await harness.start(config_feeds=[url])
    await follows(harness, 1)

    listed = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()

    assert "**Open Models Weekly**" in listed["content"] and "Page" not in listed["content"]
    assert listed["components"] == []


async def test_adding_an_unreadable_feed_with_a_2048_character_url_gets_an_answer(
    harness: Harness,
) -> None:
    await harness.start()
    url = harness.feeds.url(long_path(harness.feeds, 2048, "/missing"))  # 404 here
    assert len(url) == 2048

    reply = await (
        await harness.discord.invoke_slash("feeds", {"url": url}, group_sub="add")
    ).final_message()

    assert reply["flags"] & EPHEMERAL
    assert reply["content"].startswith("Cannot follow `http://127.0.0.1:")
    assert "…`" in reply["content"]  # shown cut short, as code: not a link to a wrong place
    assert "404" in reply["content"]


async def test_a_feed_at_a_2048_character_url_is_added_listed_and_removed(
    harness: Harness,
) -> None:
    feed = rss("Long Address", stories(1, now=harness.clock()))
    url = harness.feeds.serve(long_path(harness.feeds, 2048), feed)
    await harness.start()

    added = await (
        await harness.discord.invoke_slash(
            "feeds", {"url": url, "channel": ChannelRef(harness.news)}, group_sub="add"
        )
    ).final_message()
    assert "Following **Long Address**" in added["content"]
    await harness.wait_for(lambda: len(harness.posts()) == 1)  # polled: its title is known

    listed = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()
    assert "**Long Address**" in listed["content"]
    assert f"`{url[:250]}" in listed["content"] and url not in listed["content"]

    removed = await (
        await harness.discord.invoke_slash("feeds", {"url": url}, group_sub="remove")
    ).final_message()
    assert "Stopped following **Long Address**" in removed["content"]


async def test_a_feed_whose_title_is_3000_characters_is_answered_with_it_shortened(
    harness: Harness,
) -> None:
    title = "**Llama** @everyone _weights_ " * 100  # 3,000 characters, markdown and pings
    url = harness.feeds.serve("/feed.xml", rss(title, []))
    await harness.start()

    added = await (
        await harness.discord.invoke_slash(
            "feeds", {"url": url, "channel": ChannelRef(harness.news)}, group_sub="add"
        )
    ).final_message()
    await follows(harness, 1)
    listed = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="list")
    ).final_message()
    removed = await (
        await harness.discord.invoke_slash("feeds", {"url": url}, group_sub="remove")
    ).final_message()

    assert added["content"].startswith("Following **\\*\\*Llama\\*\\* @\u200beveryone \\_")
    assert "…** in <#" in added["content"]
    assert f"<{url}>" in listed["content"] and "…** → <#" in listed["content"]
    assert removed["content"].startswith("Stopped following **\\*\\*Llama")
    for reply in (added, listed, removed):
        assert "@everyone" not in reply["content"]
        assert reply["allowed_mentions"] == {"parse": []}


async def test_removing_a_long_unknown_url_says_it_is_not_followed(harness: Harness) -> None:
    await harness.start()
    url = "https://example.org/" + "a" * 5000

    reply = await (
        await harness.discord.invoke_slash("feeds", {"url": url}, group_sub="remove")
    ).final_message()

    assert reply["flags"] & EPHEMERAL
    assert reply["content"].startswith("This server does not follow `https://example.org/aaa")
    assert reply["content"].endswith("…`. See /feeds list.")


async def test_a_long_text_that_is_no_url_is_explained_briefly(harness: Harness) -> None:
    await harness.start()
    words = "llama *news* " * 157  # 2,041 characters

    reply = await (
        await harness.discord.invoke_slash("feeds", {"url": words[:2048]}, group_sub="add")
    ).final_message()

    assert "is not a web address" in reply["content"]
    assert reply["content"].startswith("`llama *news* llama")  # code: shown as typed


async def test_the_latest_news_fits_even_when_escaping_doubles_a_title(harness: Harness) -> None:
    marked = [
        FeedItem("_" * 300, "https://example.org/u", "<p>Underscores.</p>", guid="u",
                 published=harness.clock()),
    ]  # fmt: skip
    url = harness.feeds.serve("/feed.xml", rss("F", marked))
    await harness.start(config_feeds=[url])
    assert harness.bot is not None
    for _ in range(250):
        if await harness.bot.news.latest(harness.discord.guild_id, 1):
            break
        await asyncio.sleep(0.02)

    latest = await (
        await harness.discord.invoke_slash("news", {"count": 1}, group_sub="latest")
    ).final_message()

    [embed] = latest["embeds"]
    assert len(embed["title"]) <= 256 and embed["title"].startswith("\\_\\_")
