"""/feeds add | list | remove, as the core service does them (the Discord side is in test_bot)."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.config import PollingSettings
from bot.http.fetch import Fetcher, make_http_client
from bot.store import Store
from bot.subscriptions import SubscriptionError, SubscriptionService
from tests.feed_server import FeedItem, FeedServer, rss

GUILD, NEWS = 7, 1001


def service(store: Store, http: httpx.AsyncClient) -> SubscriptionService:
    polling = PollingSettings()
    fetcher = Fetcher(http, max_bytes=polling.max_body_bytes, deadline=polling.timeout_seconds)
    return SubscriptionService(store=store, fetcher=fetcher)


async def test_adding_a_feed_checks_it_and_reports_its_title_and_size(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    items = [FeedItem(f"S{n}", f"https://example.org/{n}") for n in range(4)]
    url = feed_server.serve("/feed.xml", rss("Open Models Weekly", items))

    added = await service(store, http).add(url, channel_id=NEWS, guild_id=GUILD)

    assert (added.title, added.entry_count, added.already_followed) == (
        "Open Models Weekly",
        4,
        False,
    )
    [view] = await service(store, http).list(GUILD)
    assert view.feed.url == url and view.subscription.channel_id == NEWS
    again = await service(store, http).add(url, channel_id=NEWS, guild_id=GUILD)
    assert again.already_followed


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a web address"),
        ("ftp://example.org/feed", "is not a web address"),
        ("https://", "is not a web address"),
    ],
)
async def test_bad_urls_are_refused_plainly(
    store: Store, http: httpx.AsyncClient, url: str, message: str
) -> None:
    with pytest.raises(SubscriptionError, match=message):
        await service(store, http).add(url, channel_id=NEWS, guild_id=GUILD)
    assert await store.followed_feeds() == []


async def test_a_web_page_is_refused_as_not_a_feed(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/", "<html><body>Blog</body></html>", content_type="text/html")
    with pytest.raises(SubscriptionError, match="HTML page, not an RSS or Atom feed"):
        await service(store, http).add(url, channel_id=NEWS, guild_id=GUILD)
    assert await store.followed_feeds() == []


async def test_private_addresses_are_refused_unless_config_allows_them(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", []))
    async with make_http_client(timeout=5, allow_private_networks=False) as guarded:
        with pytest.raises(SubscriptionError, match="not a public internet address"):
            await service(store, guarded).add(url, channel_id=NEWS, guild_id=GUILD)
    assert feed_server.requests == []
    assert await store.followed_feeds() == []

    added = await service(store, http).add(url, channel_id=NEWS, guild_id=GUILD)
    assert added.entry_count == 0


async def test_removing_a_feed_that_is_not_followed_says_so(
    store: Store, http: httpx.AsyncClient
) -> None:
    with pytest.raises(SubscriptionError, match=re.escape("does not follow https://x.org/f")):
        await service(store, http).remove("https://x.org/f", guild_id=GUILD)


async def test_removing_a_feed_followed_in_two_channels_asks_which(
    feed_server: FeedServer, store: Store, http: httpx.AsyncClient
) -> None:
    url = feed_server.serve("/feed.xml", rss("F", []))
    feeds = service(store, http)
    await feeds.add(url, channel_id=NEWS, guild_id=GUILD)
    await feeds.add(url, channel_id=NEWS + 1, guild_id=GUILD)

    with pytest.raises(SubscriptionError, match="several channels"):
        await feeds.remove(url, guild_id=GUILD)
    removed = await feeds.remove(url, guild_id=GUILD, channel_id=NEWS)

    assert removed.subscription.channel_id == NEWS
    assert [v.subscription.channel_id for v in await feeds.list(GUILD)] == [NEWS + 1]
