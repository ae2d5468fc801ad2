"""Which process does what (`run --role`), and how pollers split the feeds (`--shard`)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot.alerts import AlertService
from bot.delivery import DeliveryService
from bot.roles import EVERY_FEED, Role, Shard, WorkerPlan
from bot.store import Store
from tests.clock import TestClock
from tests.feed_server import FeedServer, rss
from tests.harness import Harness
from tests.polling import GENERAL, NEWS, follow, items, pipeline


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_feed_belongs_to_exactly_one_shard(count: int) -> None:
    shards = [Shard(index, count) for index in range(count)]
    for feed_id in range(1, 200):
        assert sum(shard.owns(feed_id) for shard in shards) == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [("2/2", "index from 0 to 1"), ("0/0", "count must be 1"), ("1", "expected i/n"),
     ("a/2", "expected i/n"), ("-1/2", "expected i/n")],
)  # fmt: skip
def test_a_shard_is_read_as_i_of_n_with_a_clear_error(text: str, error: str) -> None:
    assert Shard.parse("1/2") == Shard(1, 2)
    with pytest.raises(ValueError, match=error):
        Shard.parse(text)


def test_only_a_poller_runs_without_discord_and_all_does_everything() -> None:
    assert WorkerPlan.of(Role.ALL) == WorkerPlan(True, True, True, True)
    assert [r for r in Role if not WorkerPlan.of(r).connects_to_discord] == [Role.POLLER]
    assert [r for r in Role if WorkerPlan.of(r).polls] == [Role.ALL, Role.POLLER]
    assert [r for r in Role if WorkerPlan.of(r).publishes] == [Role.ALL, Role.PUBLISHER]
    assert [r for r in Role if WorkerPlan.of(r).commands] == [Role.ALL, Role.GATEWAY]


async def test_two_pollers_poll_each_due_feed_once_between_them(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    for n in range(5):
        await follow(store, feed_server.serve(f"/{n}.xml", rss(f"Feed {n}", items(1, now=clock()))))
    polled = []
    for shard in (Shard(0, 2), Shard(1, 2)):
        report = await pipeline(store, http, shard=shard).poll_due()
        polled.append(sorted(feed.feed_url for feed in report.feeds))
    everything = sorted(f.url for f in await store.followed_feeds())
    assert sorted(polled[0] + polled[1]) == everything and not set(polled[0]) & set(polled[1])
    assert len(polled[0]) == 2 and len(polled[1]) == 3
    assert await store.due_feeds(clock() + timedelta(seconds=1), EVERY_FEED) == []
    # Each poller sleeps until its own feeds are due, not the other's.
    assert await store.next_poll_time(Shard(0, 2)) is not None


async def test_two_publishers_each_send_to_their_own_channels_only(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    url = feed_server.serve("/news.xml", rss("News", items(2, now=clock())))
    await follow(store, url, NEWS)
    await follow(store, url, GENERAL)
    await pipeline(store, http, backfill=2).poll_due()
    channels = []
    for shard in (Shard(0, 2), Shard(1, 2)):
        jobs = await DeliveryService(store, clock=clock, shard=shard).due()
        channels.append({job.target_id for job in jobs})
        assert len(jobs) == 2  # the two posts of its channel
    # NEWS and GENERAL are 1001 and 1002: each to the publisher its id falls to.
    assert channels == [{GENERAL}, {NEWS}]


async def test_each_members_alert_dms_are_sent_by_one_publisher(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    url = feed_server.serve("/news.xml", rss("News", items(1, now=clock())))
    await follow(store, url, NEWS)
    await pipeline(store, http, backfill=1).poll_due()
    alerts = AlertService(store, clock=clock)
    for member in (20, 21):
        await alerts.add(7, member, "story")
    [row] = await store.pending_posts()
    assert await alerts.note_post(row.channel_id, row.item.id) == 2
    members = [
        [dm.user_id for dm in await AlertService(store, clock=clock, shard=shard).due()]
        for shard in (Shard(0, 2), Shard(1, 2))
    ]
    assert members == [[20], [21]]


async def test_a_publisher_process_sends_what_a_poller_process_queued_without_being_told(
    harness: Harness, http: httpx.AsyncClient, clock: TestClock
) -> None:
    url = harness.feeds.serve("/news.xml", rss("News", items(2, now=clock())))
    await harness.start(config_feeds=[url], role=Role.PUBLISHER, backfill=2)
    # The poller is another process: it shares the database and nothing else.
    poller_store = await Store.open(harness.tmp_path / "bazaar.db", clock=clock)
    try:
        report = await pipeline(poller_store, http, backfill=2).poll_due()
        assert report.deliveries == 2
    finally:
        await poller_store.close()
    # Well before the publisher's 30 s retry: it noticed the new rows itself.
    await harness.wait_for(lambda: len(harness.titles()) == 2)
    await harness.outbox_becomes({"posted": 2})
