"""Scheduled digests through the real bot against the fake Discord, on an injected clock:
posted at the server's time, once; a restart does not post it again; a day missed while the
bot was down is posted once on start."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.feed_server import rss
from tests.harness import Harness, stories


def digests(harness: Harness) -> list[dict]:
    return [
        m
        for m in harness.posts()
        if any(
            (e.get("author") or {}).get("name", "").startswith("Top stories")
            for e in m.get("embeds", [])
        )
        or m.get("content", "").startswith("A quiet")
    ]


async def set_digest(harness: Harness, value: str) -> str:
    reply = await (
        await harness.discord.invoke_slash(
            "bazaar", {"key": "digest", "value": value}, group_sub="settings set"
        )
    ).final_message()
    return reply["content"]


@pytest.mark.parametrize(
    "harness", [0.0, 3.0], indirect=True, ids=["clocks agree", "Discord's clock 3 s behind"]
)
async def test_a_daily_digest_is_posted_at_its_time_once_even_across_restarts(
    harness: Harness,
) -> None:
    clock = harness.clock
    url = harness.feeds.serve("/f.xml", rss_with_stories(harness))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(harness.posts()) == 3)

    soon = clock() + timedelta(minutes=2)
    answer = await set_digest(harness, f"daily {soon:%H:%M} UTC <#{harness.news}>")
    assert answer.startswith("`digest` is now daily")
    assert digests(harness) == []  # the moment already past this day is not "missed"

    clock.advance(timedelta(minutes=3))
    assert harness.bot is not None
    harness.bot.digests_wake.set()
    await harness.wait_for(lambda: len(digests(harness)) == 1)
    assert digests(harness)[0]["allowed_mentions"] == {"parse": []}

    # As if the bot had died between sending it and recording it: the restarted bot finds
    # it in the channel (the nonce is long forgotten) and does not post it again.
    await nothing_due(harness)
    [(due_at,)] = await harness.bot.store._fetchall(
        "SELECT due_at FROM digest_runs WHERE status = 'posted'"
    )
    await harness.bot.store._write(
        "UPDATE digest_runs SET status = 'sending' WHERE due_at = ?", (due_at,)
    )
    await harness.stop()
    clock.advance(timedelta(minutes=10))
    harness.discord.forget_nonces()
    await harness.start(config_feeds=[url])
    await nothing_due(harness)
    assert len(digests(harness)) == 1

    # Down across the next day's time: posted once when back, not once per missed day.
    await harness.stop()
    clock.advance(timedelta(days=2))
    await harness.start(config_feeds=[url])
    await harness.wait_for(lambda: len(digests(harness)) == 2)
    await nothing_due(harness)
    assert len(digests(harness)) == 2


async def nothing_due(harness: Harness) -> None:
    """Wait until the bot has recorded every digest due as posted."""
    assert harness.bot is not None
    for _ in range(500):
        harness.bot.digests_wake.set()
        if await harness.bot.scheduled_digests.due() == []:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("a digest stays due")


def rss_with_stories(harness: Harness) -> bytes:
    return rss("Models", stories(3, now=harness.clock()))
