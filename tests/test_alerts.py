"""Keyword alerts: which stories match (pure), and DMs through real discord.py against the
fake Discord: once per story, several stories in one DM, the hourly cap, closed DMs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.decide.alerts import PendingHit, matches, normalized_keyword, plan_dms
from tests.clock import TestClock
from tests.fake_discord import MEMBER_PERMISSIONS, ChannelRef
from tests.feed_server import FeedItem, rss
from tests.harness import EPHEMERAL, Harness

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        ("qwen", "Qwen3 ships today", False),  # a whole word, not a prefix
        ("qwen", "QWEN 3 ships today", True),
        ("open weights", "with Open   Weights, at last", True),
        ("open weights", "open-weight models", False),
        ("c++", "a C++ rewrite", True),
        ("llama.cpp", "llama.cpp b7214", True),
        ("llama.cpp", "llamaXcpp", False),  # the dot is a dot, not any character
    ],
)
def test_keywords_match_whole_words_in_any_case(keyword: str, text: str, expected: bool) -> None:
    assert matches(keyword, text) is expected


def test_keywords_are_stored_squashed_and_lowercase_within_bounds() -> None:
    assert normalized_keyword("  Open   Weights ") == "open weights"
    assert normalized_keyword("x") is None
    assert normalized_keyword("x" * 61) is None


def hit(n: int, user: int, minutes_ago: int) -> PendingHit:
    return PendingHit(n, user, f"Story {n}", None, "llama", NOW - timedelta(minutes=minutes_ago))


def test_a_member_past_the_hourly_cap_waits_and_then_gets_everything_in_one_dm() -> None:
    waiting = [hit(1, 7, 5), hit(2, 7, 1), hit(3, 8, 2)]
    three_dms = {7: [NOW - timedelta(minutes=m) for m in (50, 30, 10)]}
    [dm] = plan_dms(waiting, three_dms, now=NOW)
    assert dm.user_id == 8  # member 7 had 3 DMs in the last hour
    later = plan_dms(waiting, three_dms, now=NOW + timedelta(minutes=11))
    assert [(d.user_id, [h.id for h in d.hits]) for d in later] == [(7, [1, 2]), (8, [3])]


def llama(n: int, clock: TestClock) -> FeedItem:
    return FeedItem(
        f"Llama {n} released with open weights @everyone",
        f"https://example.org/llama-{n}",
        f"<p>Meta released Llama {n} with open weights today.</p>",
        guid=f"llama-{n}",
        published=clock() - timedelta(minutes=n),
    )


async def add_keyword(harness: Harness, keyword: str, user: str = "member") -> dict:
    asked = await harness.discord.invoke_slash(
        "news",
        {"keyword": keyword},
        group_sub="alerts add",
        permissions=MEMBER_PERMISSIONS,
        user_name=user,
    )
    return await asked.final_message()


def dm_attempts(harness: Harness) -> int:
    dms = {f"/channels/{channel}/messages" for channel in harness.discord.dm_channels.values()}
    return sum(
        1 for method, path, _ in harness.discord.requests if method == "POST" and path in dms
    )


async def follow(harness: Harness, url: str) -> None:
    added = await harness.discord.invoke_slash(
        "feeds", {"url": url, "channel": ChannelRef(harness.news)}, group_sub="add"
    )
    await added.final_message()


async def test_a_member_gets_one_dm_for_the_stories_matching_their_keyword(
    harness: Harness, clock: TestClock
) -> None:
    await harness.start()
    reply = await add_keyword(harness, "Llama")
    assert reply["flags"] & EPHEMERAL and "“llama”" in reply["content"]

    first = harness.feeds.serve("/a.xml", rss("Feed A", [llama(1, clock), llama(2, clock)]))
    await follow(harness, first)
    await harness.wait_for(lambda: len(harness.discord.dms_to("member")) == 1)
    [dm] = harness.discord.dms_to("member")
    assert dm["allowed_mentions"] == {"parse": []}
    assert dm["content"].splitlines() == [
        "New stories matching your keywords:",
        # In the order they were posted: the older first.
        "• Llama 2 released with open weights @\u200beveryone (“llama”) <https://example.org/llama-2>",
        "• Llama 1 released with open weights @\u200beveryone (“llama”) <https://example.org/llama-1>",
    ]

    # The same story from a second feed is a note in its thread, not a new post: no new DM.
    second = harness.feeds.serve("/b.xml", rss("Feed B", [llama(1, clock)]))
    await follow(harness, second)
    await harness.outbox_becomes({"posted": 3})  # two posts, and the note
    assert len(harness.discord.dms_to("member")) == 1
    assert harness.discord.dms_to("alice") == []  # alice follows no keyword


async def test_a_member_with_closed_dms_is_paused_and_told_once(
    harness: Harness, clock: TestClock
) -> None:
    await harness.start()
    await add_keyword(harness, "llama")
    harness.discord.close_dms("member")
    url = harness.feeds.serve("/a.xml", rss("Feed A", [llama(1, clock)]))
    await follow(harness, url)
    await harness.wait_for(lambda: dm_attempts(harness) == 1)  # refused: 403, code 50007

    listed = await harness.discord.invoke_slash(
        "news", {}, group_sub="alerts list", permissions=MEMBER_PERMISSIONS, user_name="member"
    )
    await listed.final_message()
    await harness.wait_for(lambda: len(listed.followups) >= 1)
    assert listed.followups[0]["flags"] & EPHEMERAL
    assert "Your keyword alerts are paused" in listed.followups[0]["content"]

    again = await harness.discord.invoke_slash(
        "news", {}, group_sub="alerts list", permissions=MEMBER_PERMISSIONS, user_name="member"
    )
    await again.final_message()
    assert again.followups == []  # told once


async def test_past_three_dms_an_hour_the_next_matches_wait_for_one_dm(
    harness: Harness, clock: TestClock
) -> None:
    await harness.start()
    await add_keyword(harness, "llama")
    url = harness.feeds.serve("/a.xml", rss("Feed A", [llama(1, clock)]))
    await follow(harness, url)
    for count in (2, 3, 4, 5):  # a new story at each poll (polled every second)
        harness.feeds.serve("/a.xml", rss("Feed A", [llama(n, clock) for n in range(1, count + 1)]))
        await harness.wait_for(lambda count=count: len(harness.titles()) == count)
    await harness.outbox_becomes({"posted": 5})

    assert len(harness.discord.dms_to("member")) == 3  # the cap: the last story waits
    clock.advance(timedelta(minutes=61))
    assert harness.bot is not None
    harness.bot.posts_queued.set()  # the publisher looks again (it would in 30 s)
    await harness.wait_for(lambda: len(harness.discord.dms_to("member")) == 4)
    dms = [dm["content"] for dm in harness.discord.dms_to("member")]
    # Every story in exactly one DM (those that waited go together), the newest in the last.
    assert all(sum(f"• Llama {n} released" in dm for dm in dms) == 1 for n in range(1, 6))
    assert "Llama 5 released" in dms[-1]
