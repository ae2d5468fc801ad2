"""`python -m bot doctor` against a local Discord and local feeds: one line per check, each
problem with its fix, exit 0 only when all is well, and nothing changed anywhere."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import socket
from argparse import Namespace
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import FeedSettings, load_settings
from bot.models import SubscriptionSource
from bot.ops.diagnosis import (
    FORUM_CHANNEL,
    TEXT_CHANNEL,
    ChannelUse,
    channel_check,
    channels_to_check,
    feeds_to_check,
)
from bot.ops.discord_rest import Channel
from bot.ops.doctor import doctor_command
from bot.ops.invite import REQUIRED_PERMISSIONS
from bot.ops.permissions import (
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    MENTION_EVERYONE,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    Guild,
    Member,
    Overwrite,
    OverwriteKind,
    Role,
)
from bot.store import Store
from bot.store.readonly import StoredSubscription
from tests.cli_process import run_bot_command
from tests.fake_discord import FakeDiscord
from tests.feed_server import FeedItem, FeedServer, atom, rss

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhTz1a.the-doctor-must-never-print-this"
WRONG_TOKEN_LINE = (
    "✘ Discord refused the token (HTTP 401 Unauthorized) — fix: the token is wrong: reset it "
    "in the Developer Portal (Bot → Reset Token) and set DISCORD_TOKEN"
)
ITEMS = [FeedItem("Qwen 4 is out", "https://example.org/qwen-4", "Open weights.", guid="q4")]


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(token=TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def write_config(
    tmp_path: Path,
    feeds: list[tuple[str, int]],
    *,
    guilds: str = "",
    extra: str = "",
    storage: str = 'database = "bazaar.db"',
) -> Path:
    blocks = "".join(f'[[feeds]]\nurl = "{url}"\nchannel_id = {ch}\n' for url, ch in feeds)
    config = tmp_path / "config.toml"
    config.write_text(
        f"[discord]\n{guilds}\n{extra}\n"
        f"[storage]\n{storage}\n"
        "[network]\nallow_private_networks = true\nper_host_delay_seconds = 0\n" + blocks
    )
    return config


async def run_doctor(
    config: Path, discord: FakeDiscord, *, token: str = TOKEN
) -> tuple[int, list[str]]:
    """The doctor as `python -m bot doctor` runs it, pointed at the fake Discord."""
    out = io.StringIO()
    code = await asyncio.to_thread(
        doctor_command,
        Namespace(config=str(config)),
        api_base=discord.base_url,
        environ={"DISCORD_TOKEN": token},
        out=out,
    )
    text = out.getvalue()
    assert TOKEN not in text and TOKEN.split(".")[2] not in text
    return code, text.splitlines()


def line_starting(lines: list[str], start: str) -> str:
    found = [line for line in lines if line.startswith(start)]
    assert len(found) == 1, f"no single line starting {start!r} in:\n" + "\n".join(lines)
    return found[0]


def files_and_digests(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in sorted(os.listdir(folder))
    }


async def test_all_well_every_check_passes_and_the_database_is_untouched(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    news, general = discord.channel_ids["news"], discord.channel_ids["general"]
    weekly = feed_server.serve("/weekly.xml", rss("Open Models Weekly", ITEMS * 1))
    releases = feed_server.serve(
        "/releases.atom", atom("llama.cpp releases", ITEMS), content_type="application/atom+xml"
    )
    config = write_config(tmp_path, [(weekly, news)], guilds=f"guild_ids = [{discord.guild_id}]")
    # A feed added from Discord, in another channel, pinging a role (mentionable).
    store = await Store.open(tmp_path / "bazaar.db")
    await store.subscribe(
        releases,
        general,
        source=SubscriptionSource.COMMAND,
        guild_id=discord.guild_id,
        role_id=discord.ping_role_id,
    )
    await store.sync_config_feeds(load_settings(config, environ={}).feeds)  # as the bot does
    await store.close()
    before = files_and_digests(tmp_path)

    code, lines = await run_doctor(config, discord)

    assert code == 0, "\n".join(lines)
    assert lines[0] == f"✔ config {config} is valid (1 feed(s) in it)"
    assert (
        f"✔ database {tmp_path / 'bazaar.db'}: 2 subscription(s), 1 of them from /feeds add"
        in lines
    )
    assert line_starting(lines, "✔ token accepted: the bot is Bazaar")
    assert line_starting(lines, "✔ the bot is in 1 server(s): Test Guild")
    assert line_starting(
        lines, "✔ #news in Test Guild: the bot can post (1 feed(s) from the config"
    )
    assert line_starting(
        lines, "✔ #general in Test Guild: the bot can post (1 feed(s) from /feeds add"
    )
    assert f'✔ feed {weekly}: "Open Models Weekly", 1 entry' in lines
    assert f'✔ feed {releases}: "llama.cpp releases", 1 entry' in lines
    assert lines[-1] == "All is well."
    assert all(line.startswith("✔") for line in lines[:-1])
    assert files_and_digests(tmp_path) == before  # nothing written, not even a -wal file
    assert {method for method, _, _ in discord.requests} == {"GET"}  # it only reads
    assert discord.unknown_requests == []
    assert len(feed_server.hits("/weekly.xml")) == 1  # each feed fetched once


async def test_on_postgresql_the_config_feeds_are_checked_and_the_database_is_named(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    weekly = feed_server.serve("/weekly.xml", rss("Open Models Weekly", ITEMS * 1))
    config = write_config(
        tmp_path,
        [(weekly, discord.channel_ids["news"])],
        guilds=f"guild_ids = [{discord.guild_id}]",
        storage='url = "postgresql://bazaar:secret@db.invalid/bazaar"',
    )
    code, lines = await run_doctor(config, discord)
    assert code == 0, "\n".join(lines)
    assert lines[1] == (
        "✔ database: PostgreSQL at postgresql://bazaar:***@db.invalid/bazaar, not read by "
        "doctor (the feeds and channels checked are the config's)"
    )
    assert "the bot can post (1 feed(s) from the config)" in line_starting(lines, "✔ #news")
    assert line_starting(lines, f"✔ feed {weekly}").endswith('"Open Models Weekly", 1 entry')


async def test_a_wrong_token_is_one_line_with_the_fix_and_the_feeds_are_still_checked(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss("Weekly", ITEMS))
    config = write_config(tmp_path, [(url, discord.channel_ids["news"])])
    wrong = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhTz1a.an-old-token-reset-since"

    code, lines = await run_doctor(config, discord, token=wrong)

    assert code == 1
    assert WRONG_TOKEN_LINE in lines
    assert not any("#news" in line for line in lines)  # nothing more asked of Discord
    assert f'✔ feed {url}: "Weekly", 1 entry' in lines
    assert lines[-1] == "1 problem(s) found."
    assert wrong.split(".")[2] not in "\n".join(lines)


async def test_a_missing_permission_from_a_channel_overwrite_is_named(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss("Weekly", ITEMS))
    locked = discord.add_text_channel("locked")
    unlocked = discord.add_text_channel("unlocked")
    threads = discord.add_text_channel("no-threads")
    discord.deny_everyone("locked", EMBED_LINKS.bit)
    # Denied to everyone, allowed to the bot itself: its own overwrite comes last.
    discord.deny_everyone("unlocked", EMBED_LINKS.bit)
    discord.add_overwrite("unlocked", discord.bot_user_id, member=True, allow=EMBED_LINKS.bit)
    discord.add_overwrite("no-threads", discord.bot_role_id, deny=SEND_MESSAGES_IN_THREADS.bit)
    config = write_config(tmp_path, [(url, locked), (url, unlocked), (url, threads)])

    code, lines = await run_doctor(config, discord)

    assert code == 1
    assert line_starting(lines, "✘ #locked in Test Guild: the bot lacks Embed Links (1 feed(s)")
    assert "allow Embed Links for the bot's role in #locked" in line_starting(lines, "✘ #locked")
    assert line_starting(lines, "✔ #unlocked in Test Guild: the bot can post")
    assert line_starting(
        lines, "✘ #no-threads in Test Guild: the bot lacks Send Messages in Threads"
    )
    assert lines[-1] == "2 problem(s) found."


async def test_without_threads_the_thread_permissions_are_not_needed(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss("Weekly", ITEMS))
    channel = discord.add_text_channel("no-threads")
    discord.add_overwrite(
        "no-threads",
        discord.bot_role_id,
        deny=SEND_MESSAGES_IN_THREADS.bit | CREATE_PUBLIC_THREADS.bit,
    )
    config = write_config(tmp_path, [(url, channel)], extra="[publish]\nthreads = false\n")

    code, lines = await run_doctor(config, discord)

    assert code == 0, "\n".join(lines)
    assert line_starting(lines, "✔ #no-threads in Test Guild: the bot can post")


async def test_a_feed_that_is_gone_or_not_a_feed_is_reported_with_the_reason(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    news = discord.channel_ids["news"]
    good = feed_server.serve("/feed.xml", rss("Weekly", ITEMS))
    page = feed_server.serve("/blog", "<html><body>a blog</body></html>", content_type="text/html")
    missing = feed_server.url("/moved.xml")
    config = write_config(tmp_path, [(good, news), (missing, news), (page, news)])

    code, lines = await run_doctor(config, discord)

    assert code == 1
    gone = line_starting(lines, f"✘ feed {missing}: HTTP 404 Not Found")
    assert "nothing was found at this address — fix: open the address in a browser" in gone
    assert line_starting(lines, f"✘ feed {page}: ").endswith(
        "— fix: give the feed's own address (the RSS or Atom link on the page), not the page's"
    )
    assert f'✔ feed {good}: "Weekly", 1 entry' in lines
    assert line_starting(lines, "✔ #news in Test Guild: the bot can post (3 feed(s)")
    assert lines[-1] == "2 problem(s) found."


async def test_an_unknown_channel_and_one_out_of_reach_say_what_to_do(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss("Weekly", ITEMS))
    hidden = discord.add_text_channel("hidden")
    discord.fail_next("GET", rf"^/channels/{hidden}$", 403, code=50001, message="Missing Access")
    config = write_config(tmp_path, [(url, 4242), (url, hidden)])

    code, lines = await run_doctor(config, discord)

    assert code == 1
    unknown = line_starting(lines, "✘ channel 4242 (1 feed(s) from the config): unknown channel")
    assert "right-click the channel → Copy Channel ID" in unknown
    no_access = line_starting(lines, f"✘ channel {hidden} (1 feed(s) from the config): the bot")
    assert "has no access — fix: add the bot to that channel's server" in no_access


async def test_a_rate_limit_is_waited_out_and_retried_once(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    config = write_config(tmp_path, [])
    discord.fail_next("GET", r"^/users/@me$", 429, retry_after=0.2)

    code, lines = await run_doctor(config, discord)

    assert code == 0, "\n".join(lines)
    assert [path for _, path, _ in discord.requests].count("/users/@me") == 2
    assert line_starting(lines, "✔ token accepted")


async def test_a_role_to_ping_that_was_deleted_is_a_problem(
    tmp_path: Path, discord: FakeDiscord, feed_server: FeedServer
) -> None:
    config = write_config(tmp_path, [])
    store = await Store.open(tmp_path / "bazaar.db")
    await store.subscribe(
        feed_server.serve("/feed.xml", rss("Weekly", ITEMS)),
        discord.channel_ids["news"],
        source=SubscriptionSource.COMMAND,
        guild_id=discord.guild_id,
        role_id=999,
    )
    await store.close()

    code, lines = await run_doctor(config, discord)

    assert code == 1
    assert line_starting(lines, "✔ #news in Test Guild: the bot can post")
    assert line_starting(
        lines, "✘ #news in Test Guild: role 999, mentioned on new posts, no longer exists — fix:"
    )


async def test_a_server_in_the_config_the_bot_is_not_in_is_a_problem(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    config = write_config(tmp_path, [], guilds="guild_ids = [987654321098765432]")

    code, lines = await run_doctor(config, discord)

    assert code == 1
    assert line_starting(
        lines, "✘ discord.guild_ids lists 987654321098765432, a server the bot is not in — fix:"
    )


async def test_no_token_and_no_database_yet(tmp_path: Path, discord: FakeDiscord) -> None:
    config = write_config(tmp_path, [])

    code, lines = await run_doctor(config, discord, token="")

    assert code == 1
    assert line_starting(lines, "✘ no Discord token — fix: set DISCORD_TOKEN in the environment")
    assert line_starting(lines, f"✔ database {tmp_path / 'bazaar.db'} does not exist yet")
    assert not (tmp_path / "bazaar.db").exists()
    assert discord.requests == []


async def test_a_config_that_does_not_load_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[[feeds]]\nurl = 'https://example.org/feed.xml'\nchannel_id = 0\n")

    code, out, err = await run_bot_command("doctor", "--config", str(config), cwd=tmp_path)

    assert (code, out) == (2, "")
    assert err.startswith("error: feeds[0].channel_id must be between 1 and")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, err = await run_bot_command("doctor", cwd=elsewhere)
    assert (code, out) == (2, "")
    assert err == "error: config file not found: config.toml (python -m bot init writes one)\n"


# ---- the doctor's decisions, without any server ---------------------------------------------

SERVER = Guild(
    1,
    "Test",
    owner_id=2,
    roles=(
        Role(1, "@everyone", VIEW_CHANNEL.bit | SEND_MESSAGES.bit | EMBED_LINKS.bit),
        Role(10, "Bazaar", sum(p.bit for p in REQUIRED_PERMISSIONS)),
        Role(20, "Releases", 0, mentionable=False),
    ),
)
BOT = Member(3, (10,))


def a_channel(kind: int = TEXT_CHANNEL, *overwrites: Overwrite) -> Channel:
    return Channel(5, "news", kind, 1, overwrites)


def test_a_role_that_cannot_be_mentioned_is_a_problem_unless_the_bot_may_mention_all() -> None:
    use = ChannelUse(5, feeds=("https://example.org/feed.xml",), roles=(20,), from_database=True)

    checks = channel_check(use, a_channel(), SERVER, BOT)

    assert [check.ok for check in checks] == [True, False]
    assert "role @Releases is not mentionable" in checks[1].text
    assert "allow anyone to @mention this role" in checks[1].fix

    may_mention = Overwrite(10, OverwriteKind.ROLE, allow=MENTION_EVERYONE.bit)
    assert all(c.ok for c in channel_check(use, a_channel(TEXT_CHANNEL, may_mention), SERVER, BOT))


def test_a_forum_needs_no_create_public_threads_and_a_voice_channel_cannot_take_news() -> None:
    no_threads = Overwrite(10, OverwriteKind.ROLE, deny=CREATE_PUBLIC_THREADS.bit)
    use = ChannelUse(5, feeds=("https://example.org/feed.xml",), from_config=True)

    assert channel_check(use, a_channel(FORUM_CHANNEL, no_threads), SERVER, BOT)[0].ok
    assert not channel_check(use, a_channel(TEXT_CHANNEL, no_threads), SERVER, BOT)[0].ok
    (voice,) = channel_check(use, a_channel(2), SERVER, BOT)
    assert voice.line().startswith("✘ #news in Test is a voice channel, not a text or forum")


def test_each_channel_is_checked_once_with_every_feed_and_role_that_uses_it() -> None:
    configured = [FeedSettings("https://a.example/feed", 5), FeedSettings("https://b.example/f", 6)]
    stored = [
        StoredSubscription("https://a.example/feed", 5, 1, role_id=20),
        StoredSubscription("https://c.example/rss", 5, 1, role_id=20, paused=True),
    ]

    uses = channels_to_check(configured, stored)

    assert uses == (
        ChannelUse(
            5,
            feeds=("https://a.example/feed", "https://c.example/rss"),
            roles=(20,),
            paused=1,
            from_config=True,
            from_database=True,
        ),
        ChannelUse(6, feeds=("https://b.example/f",), from_config=True),
    )
    assert feeds_to_check(configured, stored) == (
        "https://a.example/feed",
        "https://b.example/f",
        "https://c.example/rss",
    )


async def test_discord_out_of_reach_is_one_line_about_the_network(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = io.StringIO()

    code = await asyncio.to_thread(
        doctor_command,
        Namespace(config=str(write_config(tmp_path, []))),
        api_base=f"http://127.0.0.1:{port}/api/v10",
        environ={"DISCORD_TOKEN": TOKEN},
        out=out,
    )

    assert code == 1
    (line,) = [line for line in out.getvalue().splitlines() if line.startswith("✘")]
    assert line.startswith("✘ cannot reach Discord while checking the token (")
    assert "— fix: check the network: this machine must reach https://discord.com" in line
    assert TOKEN not in out.getvalue()
