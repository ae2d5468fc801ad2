"""/feeds import and /feeds export through the real discord.py against the fake Discord: an
admin's OPML attachment (downloaded from the fake CDN) becomes followed feeds that post, what
the server follows comes back as an OPML file, and every refusal says why, within Discord's
limits and pinging nobody. Also: a list imported on the command line, then the bot started."""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from bot.feeds.opml import MAX_OPML_BYTES, FeedList, parse_opml
from tests.fake_discord import MEMBER_PERMISSIONS, ChannelRef, FakeDiscord
from tests.feed_server import rss
from tests.harness import EPHEMERAL, Harness, stories
from tests.test_cli import run_cli, write_config
from tests.test_feeds_cog import follows

MESSAGE_CHARS = 2000
NO_PINGS = {"parse": []}


def opml(*feeds: tuple[str, str]) -> bytes:
    """An OPML file as a feed reader exports it: the feeds (title, URL) in one folder."""
    outlines = "".join(
        f"<outline type='rss' text={quoteattr(title)} xmlUrl={quoteattr(url)}/>"
        for title, url in feeds
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><opml version="1.0"><head><title>Reader'
        f'</title></head><body><outline text="AI">{outlines}</outline></body></opml>'
    ).encode()


async def import_file(
    harness: Harness, data: bytes, *, filename: str = "feeds.opml", **options: object
) -> dict:
    attachment = harness.discord.attachment(filename, data, content_type="text/x-opml")
    interaction = await harness.discord.invoke_slash(
        "feeds", {"file": attachment, **options}, group_sub="import"
    )
    return await interaction.final_message()


def served(harness: Harness, *names: str) -> list[tuple[str, str]]:
    """Feeds on the local feed server, two stories each: (title, URL)."""
    now = harness.clock()
    return [
        (name, harness.feeds.serve(f"/{n}.xml", rss(name, stories(2, start=10 * n, now=now))))
        for n, name in enumerate(names)
    ]


async def test_an_admin_imports_a_readers_list_and_its_feeds_post_in_the_channel(
    harness: Harness,
) -> None:
    feeds = served(harness, "alpha", "beta")
    await harness.start()

    reply = await import_file(
        harness,
        opml(*feeds, ("not a feed address", "feed://example.org/rss"), feeds[0]),
        channel=ChannelRef(harness.news),
    )

    assert reply["flags"] & EPHEMERAL and reply["allowed_mentions"] == NO_PINGS
    lines = reply["content"].split("\n")
    assert lines[0] == (
        f"Imported 2 feeds into <#{harness.news}>; skipped 0 already followed; 1 failed."
    )
    assert lines[1] == "(1 listed twice in the file, kept once.)"
    assert lines[-2:] == [
        "Failed:",
        "• `feed://example.org/rss`: 'feed://example.org/rss' is not a web address. "
        "Give the feed's full URL, starting with https://.",
    ]
    assert len(harness.discord.cdn_downloads) == 1
    # Imported feeds are polled like any other: each posts its newest stories.
    await harness.wait_for(lambda: len(harness.posts()) == 4)
    await follows(harness, 2)
    assert harness.bot is not None
    views = await harness.bot.subscriptions.list(harness.discord.guild_id)
    assert [(v.name, v.subscription.channel_id) for v in views] == [
        ("alpha", harness.news),
        ("beta", harness.news),
    ]

    again = await import_file(harness, opml(*feeds), channel=ChannelRef(harness.news))
    assert again["content"].startswith(
        f"Imported 0 feeds into <#{harness.news}>; skipped 2 already followed; 0 failed."
    )


async def test_without_a_channel_the_list_goes_where_add_would_post(harness: Harness) -> None:
    feeds = served(harness, "alpha")
    await harness.start()

    reply = await import_file(harness, opml(*feeds))  # run in #general

    general = harness.discord.channel_ids["general"]
    assert reply["content"].startswith(f"Imported 1 feed into <#{general}>;")


async def test_a_member_cannot_import_and_the_file_is_never_downloaded(harness: Harness) -> None:
    await harness.start()
    attachment = harness.discord.attachment("feeds.opml", opml(*served(harness, "alpha")))

    interaction = await harness.discord.invoke_slash(
        "feeds", {"file": attachment}, group_sub="import", permissions=MEMBER_PERMISSIONS
    )
    reply = await interaction.final_message()

    assert "Manage Server" in reply["content"]
    assert harness.discord.cdn_downloads == []
    assert harness.bot is not None
    assert await harness.bot.store.channel_subscriptions() == []


async def test_a_file_over_the_cap_is_refused_by_its_stated_size_before_downloading(
    harness: Harness,
) -> None:
    await harness.start()
    big = opml(*served(harness, "alpha")) + b" " * MAX_OPML_BYTES

    reply = await import_file(harness, big, filename="everything.opml")

    assert reply["content"] == (
        f"everything.opml cannot be imported: it is {len(big):,} bytes, and a feed list may be "
        f"at most {MAX_OPML_BYTES:,}. Split it into smaller files."
    )
    assert harness.discord.cdn_downloads == []


async def test_a_file_that_is_not_a_feed_list_gets_a_clear_error(harness: Harness) -> None:
    feeds = served(harness, "alpha")
    await harness.start()
    bomb = b'<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">]><opml><body/></opml>'

    replies = [
        await import_file(harness, rss("A feed", []).encode(), filename="alpha.xml"),
        await import_file(harness, bomb, filename="bomb.opml"),
        await import_file(harness, b"\x00\x01 not xml", filename="*bold* @everyone.opml"),
        await import_file(harness, b"<opml><body><outline text='x'/></body></opml>"),
    ]

    assert unescaped(replies[0]["content"]) == (
        "alpha.xml cannot be imported: it is a feed (its root element is <rss>), not an OPML "
        "list of feeds; follow a single feed with /feeds add."
    )
    assert "XML bomb" in replies[1]["content"]
    assert replies[2]["content"].startswith(
        "\\*bold\\* @\u200beveryone.opml cannot be imported: it is not valid XML"
    )
    assert "lists no feeds" in replies[3]["content"]
    assert all(r["allowed_mentions"] == NO_PINGS for r in replies)
    assert harness.bot is not None
    assert await harness.bot.store.channel_subscriptions() == []
    assert feeds  # served, never followed


async def test_hundreds_of_failures_are_listed_as_far_as_fit_then_counted(
    harness: Harness,
) -> None:
    await harness.start()
    broken = [(f"F{n}", f"gopher://example.org/{'x' * 150}/{n}") for n in range(300)]

    reply = await import_file(harness, opml(*broken), channel=ChannelRef(harness.news))

    content = reply["content"]
    assert len(content) <= MESSAGE_CHARS
    assert content.startswith(
        f"Imported 0 feeds into <#{harness.news}>; skipped 0 already followed; 300 failed."
    )
    listed = [line for line in content.split("\n") if line.startswith("• ")]
    more = content.split("\n")[-1]
    assert more == f"… and {300 - len(listed)} more"
    assert len(listed) >= 3


async def test_an_admin_exports_the_servers_feeds_as_an_opml_file(harness: Harness) -> None:
    feeds = served(harness, "alpha", "beta & co")
    await harness.start()
    await import_file(harness, opml(feeds[0]), channel=ChannelRef(harness.news))
    await import_file(harness, opml(*feeds), channel=ChannelRef("general"))

    everything = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="export")
    ).final_message()
    news_only = await (
        await harness.discord.invoke_slash(
            "feeds", {"channel": ChannelRef(harness.news)}, group_sub="export"
        )
    ).final_message()

    assert everything["flags"] & EPHEMERAL and everything["allowed_mentions"] == NO_PINGS
    assert everything["content"].startswith("This server follows 2 feeds: here they are as OPML")
    assert news_only["content"].startswith(f"<#{harness.news}> follows 1 feed:")
    assert [
        [(f.title, f.url) for f in exported(harness.discord, message).feeds]
        for message in (everything, news_only)
    ] == [feeds, feeds[:1]]
    assert exported(harness.discord, everything).title == "Test Guild: Bazaar feeds"


async def test_exporting_a_server_that_follows_nothing_says_so(harness: Harness) -> None:
    await harness.start()

    reply = await (
        await harness.discord.invoke_slash("feeds", {}, group_sub="export")
    ).final_message()

    assert reply["content"] == "This server follows no feeds yet. Add one with /feeds add."
    assert reply["attachments"] == []


def unescaped(text: str) -> str:
    """What Discord shows of escaped markdown."""
    return re.sub(r"\\(.)", r"\1", text)


def exported(discord: FakeDiscord, message: dict) -> FeedList:
    [attachment] = message["attachments"]
    assert attachment["filename"] == "bazaar-feeds.opml"
    return parse_opml(discord.uploads[int(attachment["id"])])


async def test_a_list_imported_on_the_command_line_posts_once_the_bot_runs(
    harness: Harness,
) -> None:
    feeds = served(harness, "alpha", "beta")
    config = write_config(harness.tmp_path)  # the harness's database, bazaar.db
    (harness.tmp_path / "feeds.opml").write_bytes(opml(*feeds))

    code, out, err = await run_cli(
        "feeds", "import", str(harness.tmp_path / "feeds.opml"), "--channel",
        str(harness.news), "--config", str(config),
    )  # fmt: skip
    assert code == 0, err
    assert f"Imported 2 feeds into channel {harness.news}; skipped 0" in out

    await harness.start()

    # The bot learns the channel's server when it connects: the feeds are the server's.
    await harness.wait_for(lambda: len(harness.posts()) == 4)
    await follows(harness, 2)
