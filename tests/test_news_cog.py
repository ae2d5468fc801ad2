"""/news search through real discord.py against the fake Discord: results as a member sees
them, pages turned by the member who asked and no one else, hints instead of errors."""

from __future__ import annotations

from datetime import timedelta

from tests.clock import TestClock
from tests.fake_discord import MEMBER_PERMISSIONS
from tests.feed_server import FeedItem, rss
from tests.harness import EPHEMERAL, Harness
from tests.test_feeds_cog import buttons


def llama_news(count: int, clock: TestClock) -> list[FeedItem]:
    return [
        FeedItem(
            f"Llama release notes, part {n} @everyone",
            f"https://example.org/llama-{n}",
            f"<p>Part {n}: the llama weights are out, with *new* quantization.</p>",
            guid=f"llama-{n}",
            published=clock() - timedelta(hours=n),
        )
        for n in range(count)
    ]


async def started_with(harness: Harness, items: list[FeedItem]) -> None:
    url = harness.feeds.serve("/llama.xml", rss("Llama Weekly", items))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.discord.threads) == 3)  # stored, 3 posted


async def test_a_member_searches_and_pages_through_the_results(
    harness: Harness, clock: TestClock
) -> None:
    await started_with(harness, llama_news(12, clock))

    asked = await harness.discord.invoke_slash(
        "news", {"query": "llama quant*"}, group_sub="search", user_name="alice"
    )
    first = await asked.final_message()

    assert not first.get("flags", 0) & EPHEMERAL  # an answer the channel can read
    assert first["allowed_mentions"] == {"parse": []}
    [embed] = first["embeds"]
    assert embed["title"] == "Search: llama quant\\*"
    assert embed["description"].count("](<https://example.org/llama-") == 5
    assert "@\u200beveryone" in embed["description"]  # feed text cannot ping
    assert "**quantization**" in embed["description"]  # the words found, in bold
    assert embed["footer"]["text"] == "Page 1 · more on the next page"
    assert buttons(first)["Previous"].get("disabled") is True

    refused = await harness.discord.invoke_component(
        first["id"], buttons(first)["Next"]["custom_id"], user_name="bob"
    )
    assert (await refused.final_message())["flags"] & EPHEMERAL
    shown = first
    for page in (2, 3):
        click = await harness.discord.invoke_component(
            first["id"], buttons(shown)["Next"]["custom_id"], user_name="alice"
        )
        shown = await click.final_message()
        assert shown["embeds"][0]["footer"]["text"].startswith(f"Page {page}")
    assert shown["embeds"][0]["description"].count("](<https://") == 2  # 12 = 5 + 5 + 2
    assert buttons(shown)["Next"].get("disabled") is True


async def test_nothing_found_and_nothing_to_search_for_are_answered_privately(
    harness: Harness, clock: TestClock
) -> None:
    await started_with(harness, llama_news(3, clock))

    none = await harness.discord.invoke_slash("news", {"query": "mistral"}, group_sub="search")
    nothing = await none.final_message()
    assert nothing["flags"] & EPHEMERAL
    assert nothing["content"].startswith("Nothing found for mistral.")

    syntax = await harness.discord.invoke_slash("news", {"query": '"***'}, group_sub="search")
    hint = await syntax.final_message()
    assert hint["flags"] & EPHEMERAL and "Type some words" in hint["content"]


async def test_a_member_sees_the_servers_sources_and_their_health_not_their_errors(
    harness: Harness, clock: TestClock
) -> None:
    good = harness.feeds.serve("/llama.xml", rss("Llama Weekly", llama_news(3, clock)))
    broken = harness.feeds.serve("/gone.xml", "Internal trouble at 10.0.0.7", status=500)
    await harness.start(config_feeds=[good, broken])
    await harness.wait_for(lambda: len(harness.discord.threads) == 3)

    asked = await harness.discord.invoke_slash(
        "news", {}, group_sub="sources", permissions=MEMBER_PERMISSIONS, user_name="member"
    )
    listed = (await asked.final_message())["content"]

    assert listed.startswith("**2 feeds**")
    assert "• **Llama Weekly** in <#" in listed and "last new item just now · ok" in listed
    assert "nothing yet · having trouble, retrying" in listed
    assert "10.0.0.7" not in listed and "500" not in listed


async def test_latest_by_source_with_autocomplete_and_by_tag(
    harness: Harness, clock: TestClock
) -> None:
    llama = harness.feeds.serve("/llama.xml", rss("Llama Weekly", llama_news(3, clock)))
    other = [
        FeedItem(
            "EU AI Act rules for open models take effect @here",
            "https://example.org/eu-act",
            "<p>The EU AI Act obligations for general-purpose AI models apply from today; "
            "open-source models get exemptions under the regulation.</p>",
            guid="eu",
            published=clock() - timedelta(minutes=5),
        )
    ]
    policy = harness.feeds.serve("/policy.xml", rss("Policy Watch", other))
    await harness.start(config_feeds=[llama, policy])
    await harness.wait_for(lambda: len(harness.discord.threads) == 4)

    typed = await harness.discord.invoke_autocomplete(
        "news", {"source": "pol"}, "source", group_sub="latest"
    )
    [choice] = (await typed.response())["data"]["choices"]
    assert choice["name"] == "Policy Watch"

    asked = await harness.discord.invoke_slash(
        "news", {"source": choice["value"]}, group_sub="latest"
    )
    shown = await asked.final_message()
    assert [e["title"] for e in shown["embeds"]] == [
        "EU AI Act rules for open models take effect @\u200bhere"
    ]
    assert shown["allowed_mentions"] == {"parse": []}

    tagged = await harness.discord.invoke_slash("news", {"tag": "policy"}, group_sub="latest")
    titles = [e["title"] for e in (await tagged.final_message())["embeds"]]
    assert titles == ["EU AI Act rules for open models take effect @\u200bhere"]

    unknown = await harness.discord.invoke_slash("news", {"source": "nope"}, group_sub="latest")
    assert "no feed by that name" in (await unknown.final_message())["content"]
