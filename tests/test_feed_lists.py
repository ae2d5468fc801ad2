"""Feed lists in and out without Discord: what an import decides for each listed feed, the
service over a real store, and `python -m bot feeds import | export` in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feed_lists import (
    FeedLists,
    ImportOutcome,
    ImportStep,
    checked_feed_url,
    plan_import,
)
from bot.feeds.opml import FeedList, ListedFeed, OpmlError, parse_opml
from bot.models import SubscriptionSource
from bot.store import Store
from bot.subscriptions import SubscriptionError
from tests.test_cli import run_cli, write_config

GUILD, NEWS, OTHER = 7, 1001, 1002


def listed(*urls: str) -> FeedList:
    return FeedList(None, tuple(ListedFeed(url, f"Feed {n}") for n, url in enumerate(urls)))


def outcomes(steps: tuple[ImportStep, ...]) -> list[tuple[str, ImportOutcome]]:
    return [(step.feed.url, step.outcome) for step in steps]


def test_each_listed_feed_is_followed_skipped_or_refused_with_the_reason() -> None:
    steps = plan_import(
        listed(
            " https://a.example/feed ",
            "ftp://b.example/feed",
            "https://C.EXAMPLE/rss",  # the same feed: host names have no case
            "https://d.example/" + "x" * 2048,
            "https://a.example/feed/",  # another address: the path differs
        ),
        ["https://c.example/rss"],
        allow_private_networks=False,
    )

    assert outcomes(steps) == [
        ("https://a.example/feed", ImportOutcome.FOLLOWED),
        ("ftp://b.example/feed", ImportOutcome.FAILED),
        ("https://C.EXAMPLE/rss", ImportOutcome.ALREADY_FOLLOWED),
        ("https://d.example/" + "x" * 2048, ImportOutcome.FAILED),
        ("https://a.example/feed/", ImportOutcome.FOLLOWED),
    ]
    assert "is not a web address" in steps[1].reason
    assert "longer than 2048 characters" in steps[3].reason
    assert steps[0].feed.title == "Feed 0"  # the list's name is kept


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/feed",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/feed",
        "http://10.0.0.7/rss",
        "http://2130706433/feed",  # 127.0.0.1 as one number
    ],
)
def test_a_non_public_ip_address_is_refused_unless_the_config_allows_private_networks(
    url: str,
) -> None:
    with pytest.raises(SubscriptionError, match="not a public internet address"):
        checked_feed_url(url, allow_private_networks=False)

    assert checked_feed_url(url, allow_private_networks=True) == url


def test_a_host_name_is_not_resolved_at_import_it_is_vetted_when_fetched() -> None:
    assert checked_feed_url("http://localhost/feed", allow_private_networks=False)


async def test_an_import_follows_new_feeds_names_them_as_listed_and_reports_each(
    store: Store,
) -> None:
    seen: list[tuple[int, int, ImportOutcome]] = []
    woken: list[int] = []
    lists = FeedLists(store=store, allow_private_networks=False, on_change=lambda: woken.append(1))

    report = await lists.import_feeds(
        listed("https://a.example/feed", "not a url", "https://b.example/rss"),
        channel_id=NEWS,
        guild_id=GUILD,
        progress=lambda n, total, step: seen.append((n, total, step.outcome)),
    )

    assert seen == [
        (1, 3, ImportOutcome.FOLLOWED),
        (2, 3, ImportOutcome.FAILED),
        (3, 3, ImportOutcome.FOLLOWED),
    ]
    assert [report.count(o) for o in ImportOutcome] == [2, 0, 1]
    views = await store.guild_subscriptions(GUILD)
    assert [(v.feed.url, v.name, v.subscription.channel_id) for v in views] == [
        ("https://a.example/feed", "Feed 0", NEWS),
        ("https://b.example/rss", "Feed 2", NEWS),
    ]
    assert {v.subscription.source for v in views} == {SubscriptionSource.COMMAND}
    assert woken == [1]  # the poller is woken once, not per feed


async def test_importing_again_skips_what_the_channel_follows_and_changes_nothing(
    store: Store,
) -> None:
    lists = FeedLists(store=store, allow_private_networks=False)
    await store.subscribe(
        "https://a.example/feed", NEWS, source=SubscriptionSource.COMMAND, guild_id=GUILD,
        name="My own name",
    )  # fmt: skip
    first = await lists.import_feeds(
        listed("https://A.example/feed", "https://b.example/rss"), channel_id=NEWS, guild_id=GUILD
    )
    again = await lists.import_feeds(
        listed("https://b.example/rss"), channel_id=NEWS, guild_id=GUILD
    )
    elsewhere = await lists.import_feeds(
        listed("https://b.example/rss"), channel_id=OTHER, guild_id=GUILD
    )

    assert outcomes(first.steps)[0][1] is ImportOutcome.ALREADY_FOLLOWED
    assert [again.count(o) for o in ImportOutcome] == [0, 1, 0]
    assert [elsewhere.count(o) for o in ImportOutcome] == [1, 0, 0]
    views = await store.guild_subscriptions(GUILD)
    assert [v.name for v in views] == ["My own name", "Feed 1", "Feed 0"]


async def test_without_a_guild_the_channels_other_feeds_tell_it_or_it_stays_unknown(
    store: Store,
) -> None:
    lists = FeedLists(store=store, allow_private_networks=False)
    await store.subscribe(
        "https://a.example/feed", NEWS, source=SubscriptionSource.COMMAND, guild_id=GUILD
    )

    known = await lists.import_feeds(listed("https://b.example/rss"), channel_id=NEWS)
    unknown = await lists.import_feeds(listed("https://b.example/rss"), channel_id=OTHER)

    assert (known.guild_id, unknown.guild_id) == (GUILD, None)
    assert [v.feed.url for v in await store.guild_subscriptions(GUILD)] == [
        "https://a.example/feed",
        "https://b.example/rss",
    ]
    [other] = await store.channel_subscriptions(OTHER)
    assert other.subscription.guild_id is None
    # As for config feeds, the bot fills it in once it sees the channel in its server.
    await store.set_guilds_for_channels({OTHER: GUILD})
    assert len(await store.guild_subscriptions(GUILD)) == 3


async def test_a_file_listing_no_feed_is_refused_when_read(store: Store) -> None:
    lists = FeedLists(store=store, allow_private_networks=False)
    empty = b'<opml version="2.0"><body><outline text="Folder"/></body></opml>'

    with pytest.raises(OpmlError, match="lists no feeds"):
        await lists.read(empty)


async def test_an_export_lists_each_feed_once_named_as_the_server_names_it(store: Store) -> None:
    for url, channel, name in [
        ("https://a.example/feed", NEWS, "Alpha"),
        ("https://b.example/rss", NEWS, None),
        ("https://a.example/feed", OTHER, "Alpha elsewhere"),
        ("https://c.example/atom", OTHER, "Gamma"),
    ]:
        await store.subscribe(
            url, channel, source=SubscriptionSource.COMMAND, guild_id=GUILD, name=name
        )
    await store.subscribe("https://d.example/x", 5, source=SubscriptionSource.CONFIG)
    lists = FeedLists(store=store, allow_private_networks=False)

    server = await lists.export(title="Server", guild_id=GUILD)
    news = await lists.export(title="News", guild_id=GUILD, channel_id=NEWS)
    everything = await lists.export(title="All")

    assert [(f.url, f.title) for f in server.feeds] == [
        ("https://a.example/feed", "Alpha"),
        ("https://b.example/rss", None),
        ("https://c.example/atom", "Gamma"),
    ]
    assert [f.url for f in news.feeds] == ["https://a.example/feed", "https://b.example/rss"]
    assert [f.url for f in everything.feeds][-1] == "https://d.example/x"
    # A feed with no name yet is written under its address, and read back without a name.
    lists_again = FeedLists(store=store, allow_private_networks=False)
    reread = await lists_again.read(server.opml.encode())
    assert [(f.url, f.title) for f in reread.feeds] == [
        ("https://a.example/feed", "Alpha"),
        ("https://b.example/rss", "https://b.example/rss"),
        ("https://c.example/atom", "Gamma"),
    ]
    report = await lists_again.import_feeds(reread, channel_id=3, guild_id=GUILD)
    assert report.count(ImportOutcome.FOLLOWED) == 3
    assert [v.subscription.name for v in await store.channel_subscriptions(3)] == [
        "Alpha",
        None,
        "Gamma",
    ]


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Reader export</title></head><body>
  <outline text="AI" title="AI">
    <outline type="rss" text="Alpha" title="Alpha" xmlUrl="https://a.example/feed"
      htmlUrl="https://a.example/"/>
    <outline type="rss" text="Beta &amp; Co" xmlUrl="https://b.example/rss"/>
  </outline>
  <outline type="rss" text="Alpha again" xmlUrl="https://A.example/feed"/>
  <outline type="rss" text="Broken" xmlUrl="feed://c.example/rss"/>
  <outline type="rss" text="Metadata" xmlUrl="http://169.254.169.254/latest"/>
  <outline type="link" text="A page" url="https://example.org/"/>
</body></opml>
"""


def config_without_private_networks(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "bazaar.db"\n')
    return config


async def test_the_command_line_imports_a_list_into_a_fresh_database_then_exports_it(
    tmp_path: Path,
) -> None:
    config = config_without_private_networks(tmp_path)
    (tmp_path / "feeds.opml").write_text(OPML)

    code, out, err = await run_cli(
        "feeds", "import", str(tmp_path / "feeds.opml"), "--channel", "4242", "--config",
        str(config),
    )  # fmt: skip

    assert code == 1, err  # two feeds failed; the others are in
    lines = out.splitlines()
    assert lines[0] == (
        f"{tmp_path / 'feeds.opml'}: 4 feeds (1 listed twice, kept once; "
        "1 outline without a feed address ignored)"
    )
    assert lines[1] == "[1/4] followed          https://a.example/feed (Alpha)"
    assert lines[2] == "[2/4] followed          https://b.example/rss (Beta & Co)"
    assert lines[3].startswith("[3/4] failed            feed://c.example/rss: ")
    assert "is not a web address" in lines[3]
    assert lines[4].startswith("[4/4] failed            http://169.254.169.254/latest: Refused")
    assert lines[5] == "Imported 2 feeds into channel 4242; skipped 0 already followed; 2 failed"
    assert "server is not known offline" in lines[6]

    code, out, err = await run_cli(
        "feeds", "import", str(tmp_path / "feeds.opml"), "--channel", "4242", "--config",
        str(config),
    )  # fmt: skip
    assert "Imported 0 feeds into channel 4242; skipped 2 already followed; 2 failed" in out

    exported = tmp_path / "out.opml"
    code, out, err = await run_cli(
        "feeds", "export", "--output", str(exported), "--config", str(config)
    )
    assert code == 0, err
    assert out == ""
    assert "Exported 2 feeds to " in err
    again = parse_opml(exported.read_bytes())
    assert [(f.url, f.title) for f in again.feeds] == [
        ("https://a.example/feed", "Alpha"),
        ("https://b.example/rss", "Beta & Co"),
    ]


async def test_the_command_line_exports_one_channel_to_stdout(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = await Store.open(tmp_path / "bazaar.db")
    try:
        await store.subscribe("https://a.example/f", 1, source=SubscriptionSource.COMMAND)
        await store.subscribe("https://b.example/f", 2, source=SubscriptionSource.COMMAND)
    finally:
        await store.close()

    code, out, err = await run_cli("feeds", "export", "--channel", "2", "--config", str(config))

    assert code == 0, err
    assert [f.url for f in parse_opml(out.encode()).feeds] == ["https://b.example/f"]
    assert "<title>Bazaar feeds of channel 2</title>" in out
    assert "Exported 1 feed of channel 2 to stdout." in err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["import", "missing.opml", "--channel", "1"], 2, "error: cannot read missing.opml"),
        (["import", "{page}", "--channel", "1"], 1, "it is a web page, not an OPML file"),
        (["import", "{page}", "--channel", "0"], 2, "error: --channel 0 is not a channel id"),
        (["export"], 2, "there is no database at"),
    ],
)
async def test_the_command_line_names_what_is_wrong_in_one_line(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    config = config_without_private_networks(tmp_path)
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>Not a list</body></html>")

    found, out, err = await run_cli(
        "feeds", *[a.format(page=page) for a in args], "--config", str(config)
    )

    assert (found, out) == (code, "")
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]


async def test_a_bad_config_is_reported_before_anything_is_read(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[storage]\ndatabase = 5\n")

    code, out, err = await run_cli("feeds", "export", "--config", str(config))

    assert code == 2 and out == ""
    assert err.startswith("error: ") and "storage.database" in err


async def test_on_postgresql_the_command_line_imports_into_the_bots_database(
    tmp_path: Path, postgres_url: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "{postgres_url}"\n')
    (tmp_path / "feeds.opml").write_text(OPML)
    await run_cli(
        "feeds", "import", str(tmp_path / "feeds.opml"), "--channel", "4242", "--config",
        str(config),
    )  # fmt: skip

    store = await Store.open(postgres_url)
    try:
        followed = sorted(feed.url for feed in await store.followed_feeds())
    finally:
        await store.close()
    assert followed == ["https://a.example/feed", "https://b.example/rss"]
    assert not (tmp_path / "bazaar.db").exists()  # not a SQLite file beside the config
    code, _, err = await run_cli("feeds", "export", "--config", str(config))
    assert code == 0 and "Exported 2 feeds to stdout" in err
