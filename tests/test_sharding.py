"""A sharded bot through the real discord.py against the fake Discord: each shard gets its own
servers and answers their commands, in one process or split between two, with the count set
or chosen by Discord; a shard setup Discord refuses stops the bot with one plain error."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import pytest
from discord.ext import commands

import bot.client
from bot.client import BazaarBot, OneLineReconnects, StartError, make_bot, run_until_stopped
from bot.config import parse_settings
from tests.clock import TestClock
from tests.fake_discord import FakeDiscord, shard_of
from tests.harness import Harness

NO_FEEDS = "This server follows no feeds yet; an admin can add one with /feeds add."


def two_servers(fake: FakeDiscord, shard_count: int = 2) -> dict[int, int]:
    """The main server and "beta" on different shards: shard id -> server id."""
    main = shard_of(fake.guild_id, shard_count)
    other = (main + 1) % shard_count
    return {main: fake.guild_id, other: fake.add_guild("beta", shard=(other, shard_count))}


def channel_in(fake: FakeDiscord, guild_id: int) -> str:
    return "general" if guild_id == fake.guild_id else "beta-general"


async def sources_answer(fake: FakeDiscord, guild_id: int) -> str:
    """What a member sees after /news sources in a channel of that server."""
    asked = await fake.invoke_slash("news", group_sub="sources", channel=channel_in(fake, guild_id))
    return (await asked.final_message())["content"]


def interactions_seen(started: BazaarBot) -> list[int]:
    """The servers whose interactions reach this bot, in order, from now on."""
    seen: list[int] = []

    async def on_interaction(interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        seen.append(interaction.guild_id)

    started.add_listener(on_interaction)
    return seen


async def test_without_a_gateway_section_the_bot_is_one_unsharded_connection(
    harness: Harness,
) -> None:
    fake = harness.discord
    servers = two_servers(fake)

    started = await harness.start()

    assert type(started) is BazaarBot and not isinstance(started, discord.AutoShardedClient)
    assert fake.live_connections == 1 and fake.live_shards == []
    assert sorted(fake.ready_guilds()) == sorted(servers.values())
    for guild_id in servers.values():
        assert await sources_answer(fake, guild_id) == NO_FEEDS


async def test_one_process_runs_two_shards_and_answers_commands_in_every_server(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fake = harness.discord
    fake.max_concurrency = 2
    servers = two_servers(fake)
    caplog.set_level(logging.INFO, logger="bot.client")

    started = await harness.start(gateway={"shard_count": 2})

    assert isinstance(started, commands.AutoShardedBot) and isinstance(started, BazaarBot)
    assert fake.live_shards == [(0, 2), (1, 2)]
    for shard, guild_id in servers.items():
        assert fake.ready_guilds((shard, 2)) == [guild_id]  # Discord's (id >> 22) % 2 rule
        assert started.get_guild(guild_id).shard_id == shard
    for guild_id in servers.values():
        assert await sources_answer(fake, guild_id) == NO_FEEDS
    assert (await started.heartbeat.beat()).gateway_connected
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.endswith("servers; shards 0-1 of 2") for line in lines)
    assert any("to 2 guild(s) over shards 0-1 of 2" in line for line in lines)


async def test_two_processes_each_get_only_the_servers_of_their_own_shard(
    harness: Harness, clock: TestClock
) -> None:
    fake = harness.discord
    servers = two_servers(fake)
    other_process = Harness(fake, harness.feeds, harness.tmp_path / "second", clock)
    other_process.tmp_path.mkdir()
    try:
        first = await harness.start(gateway={"shard_count": 2, "shard_ids": [0]})
        second = await other_process.start(gateway={"shard_count": 2, "shard_ids": [1]})
        seen = {0: interactions_seen(first), 1: interactions_seen(second)}

        assert fake.live_shards == [(0, 2), (1, 2)]
        assert [g.id for g in first.guilds] == [servers[0]]
        assert [g.id for g in second.guilds] == [servers[1]]
        for guild_id in servers.values():
            assert await sources_answer(fake, guild_id) == NO_FEEDS
        assert seen == {0: [servers[0]], 1: [servers[1]]}
    finally:
        await other_process.stop()


async def test_auto_runs_as_many_shards_as_discord_recommends(harness: Harness) -> None:
    fake = harness.discord
    fake.shards, fake.max_concurrency = 3, 3
    servers = two_servers(fake, shard_count=3)

    started = await harness.start(gateway={"shard_count": "auto"})

    assert ("GET", "/gateway/bot", None) in fake.requests
    assert started.shard_count == 3
    assert fake.live_shards == [(0, 3), (1, 3), (2, 3)]
    for shard, guild_id in servers.items():
        assert fake.ready_guilds((shard, 3)) == [guild_id]
        assert await sources_answer(fake, guild_id) == NO_FEEDS


async def test_shards_start_as_many_at_once_as_discord_allows(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # discord.py alone would wait 5 s before shard 1; Discord allows max_concurrency at once.
    monkeypatch.setattr(bot.client, "IDENTIFY_WINDOW_SECONDS", 0)
    caplog.set_level(logging.DEBUG, logger="bot.client")
    harness.discord.max_concurrency = 2
    await harness.start(gateway={"shard_count": 4})

    assert harness.discord.live_shards == [(0, 4), (1, 4), (2, 4), (3, 4)]
    waits = [r.getMessage() for r in caplog.records if "waits" in r.getMessage()]
    assert waits == ["shard 2 waits 0 s to IDENTIFY"]  # 0 and 1 at once, then 2 and 3


async def test_a_bot_in_too_many_servers_for_one_connection_is_told_to_shard(
    harness: Harness, clock: TestClock
) -> None:
    fake = harness.discord
    fake.max_guilds_per_shard, fake.shards, fake.max_concurrency = 1, 2, 2
    servers = two_servers(fake)
    settings = parse_settings(
        {"discord": {"token": "fake-token"}, "storage": {"database": "bazaar.db"}},
        base_dir=harness.tmp_path,
        environ={},
    )

    with pytest.raises(StartError, match=r'Discord requires sharding.*shard_count = "auto"'):
        await asyncio.wait_for(run_until_stopped(settings, clock=clock), timeout=10)
    assert fake.refused_identifies == [(None, 4011)]

    # As the error says: with "auto", each of Discord's two shards has one server.
    await harness.start(gateway={"shard_count": "auto"})
    for guild_id in servers.values():
        assert await sources_answer(fake, guild_id) == NO_FEEDS


async def test_a_process_using_another_shard_count_than_the_others_is_refused(
    harness: Harness, clock: TestClock
) -> None:
    fake = harness.discord
    await harness.start(gateway={"shard_count": 2, "shard_ids": [0]})
    settings = parse_settings(
        {
            "discord": {"token": "fake-token"},
            "storage": {"database": str(harness.tmp_path / "second.db")},
            "gateway": {"shard_count": 3, "shard_ids": [1]},
        },
        base_dir=harness.tmp_path,
        environ={},
    )

    with pytest.raises(StartError, match=r"Discord refused the shard.*same shard_count"):
        await asyncio.wait_for(run_until_stopped(settings, clock=clock), timeout=10)
    assert fake.refused_identifies == [((1, 3), 4010)]
    assert fake.live_shards == [(0, 2)]  # the first process runs on


async def test_the_fake_refuses_a_shard_id_not_below_its_count() -> None:
    fake = FakeDiscord()
    await fake.start()
    client = discord.AutoShardedClient(
        intents=discord.Intents.none(), shard_count=2, shard_ids=[2], guild_ready_timeout=0.1
    )
    try:
        with fake.patch_discord(), pytest.raises(discord.ConnectionClosed) as closed:
            await asyncio.wait_for(client.start("fake-token"), timeout=10)
    finally:
        await client.close()
        await fake.stop()
    assert closed.value.code == 4010
    assert fake.refused_identifies == [((2, 2), 4010)]


async def test_a_sharded_bot_stopped_before_it_logged_in_closes_cleanly(tmp_path: Path) -> None:
    settings = parse_settings(
        {"storage": {"database": "bazaar.db"}, "gateway": {"shard_count": 2}},
        base_dir=tmp_path,
        environ={},
    )
    never_started = make_bot(settings)

    await never_started.close()  # SIGTERM at once: discord.py 2.7.1 alone raises here

    assert never_started.is_closed()


def test_a_shard_that_cannot_connect_logs_one_warning_line_not_a_traceback() -> None:
    error = OSError("Connect call failed ('127.0.0.1', 9)")
    record = logging.LogRecord(
        "discord.shard",
        logging.ERROR,
        __file__,
        1,
        "Failed to connect for shard_id: %s. Retrying...",
        (1,),
        (OSError, error, None),
    )

    assert OneLineReconnects().filter(record)

    assert record.getMessage() == (
        "Failed to connect for shard_id: 1. Retrying... "
        "(OSError: Connect call failed ('127.0.0.1', 9))"
    )
    assert record.exc_info is None and record.levelname == "WARNING"
