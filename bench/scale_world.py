"""The hosted Bazaar that `bench/scale.py` simulates: S servers with one channel each, each
following 20–100 of N feeds drawn by a Zipf-like popularity, so that the popular feeds are
followed by hundreds of servers and most feeds are shared.

- `World.generate` decides who follows what (deterministic for a seed);
- `World.add_to(fake)` creates the servers and their channels in the fake Discord;
- `seed_store` writes the follows into a fresh database through the bot's own `Store`, as
  `/feeds add` would, and each server's settings (as `/bazaar settings` would);
- `bot_config` is the config file every process of a layout reads.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from tests.fake_discord import FakeDiscord

ZIPF_EXPONENT = 1.0
# Each server as an admin of a busy server would set it: the defaults (20 posts an hour
# per channel, a catch-up list above 50 waiting) would hold most posts of a first poll of
# 20–100 feeds for hours, and the run would never end. 200 is the most the bot allows.
SERVER_SETTINGS = {"posts_per_hour": "200", "catch_up_above": "0"}
POSTS_PER_HOUR = int(SERVER_SETTINGS["posts_per_hour"])


@dataclass(frozen=True)
class Server:
    guild_id: int
    channel_id: int
    feeds: tuple[int, ...]  # indexes into the farm's feeds


@dataclass(frozen=True)
class Follows:
    """Who follows what, before the servers exist in a fake Discord."""

    feeds: int
    per_server: tuple[tuple[int, ...], ...]

    @classmethod
    def generate(cls, feeds: int, servers: int, low: int, high: int, seed: int) -> Follows:
        """`servers` lists of `low`–`high` distinct feeds (at most all of them), each feed
        drawn with a weight 1/rank (rank 1: the most popular)."""
        rng = random.Random(seed)
        weights = [1.0 / (rank**ZIPF_EXPONENT) for rank in range(1, feeds + 1)]
        cumulative = list(itertools.accumulate(weights))
        order = list(range(feeds))
        rng.shuffle(order)  # popularity is not the feed's index (nor its shard)
        per_server = []
        for _ in range(servers):
            wanted = min(feeds, rng.randint(low, high))
            chosen: set[int] = set()
            while len(chosen) < wanted:
                rank = bisect.bisect_left(cumulative, rng.random() * cumulative[-1])
                chosen.add(order[min(rank, feeds - 1)])
            per_server.append(tuple(sorted(chosen)))
        return cls(feeds, tuple(per_server))

    @property
    def subscriptions(self) -> int:
        return sum(len(feeds) for feeds in self.per_server)

    def followers(self) -> list[int]:
        """How many servers follow each feed."""
        counts = [0] * self.feeds
        for feeds in self.per_server:
            for feed in feeds:
                counts[feed] += 1
        return counts

    def describe(self) -> str:
        counts = sorted(self.followers(), reverse=True)
        followed = sum(1 for c in counts if c)
        shared = sum(1 for c in counts if c >= 2)
        return (
            f"{len(self.per_server)} servers follow {self.subscriptions:,} feed(s) in all "
            f"({self.subscriptions / max(1, len(self.per_server)):.0f} each); "
            f"{followed:,} of {self.feeds:,} feeds followed, {shared:,} by 2+ servers; "
            f"most followed: {', '.join(map(str, counts[:3]))} servers; median "
            f"{counts[followed // 2] if followed else 0}"
        )


def add_servers(fake: FakeDiscord, follows: Follows) -> list[Server]:
    """One server per list of `follows`, each with one text channel: the fake's own guild
    (its `news` channel) first, then guilds added to it."""
    servers = []
    for index, feeds in enumerate(follows.per_server):
        if index == 0:
            guild_id, channel_id = fake.guild_id, fake.channel_ids["news"]
        else:
            guild_id = fake.add_guild(f"s{index}", channels=("news",))
            channel_id = fake.channel_ids[f"s{index}-news"]
        servers.append(Server(guild_id, channel_id, feeds))
    return servers


async def seed_store(database: str, servers: list[Server], urls: list[str]) -> None:
    """Create the database and write every follow (`source = command`, as `/feeds add`
    makes them) and every server's settings, through the bot's store."""
    from bot.models import SubscriptionSource
    from bot.store import Store

    store = await Store.open(database)
    try:
        for server in servers:
            for key, value in SERVER_SETTINGS.items():
                await store.set_server_setting(server.guild_id, key, value)
            for feed in server.feeds:
                await store.subscribe(
                    urls[feed],
                    server.channel_id,
                    source=SubscriptionSource.COMMAND,
                    guild_id=server.guild_id,
                )
    finally:
        await store.close()


async def poll_all_now(database: str) -> int:
    """Make every followed feed due at once (as if the interval had passed): the store's
    `resume_feed`, which sets a feed's next poll time to now. Returns how many."""
    from bot.clock import system_clock
    from bot.store import Store

    store = await Store.open(database)
    try:
        feeds = await store.followed_feeds()
        now = system_clock()
        for feed in feeds:
            await store.resume_feed(feed.id, now)
        return len(feeds)
    finally:
        await store.close()


def bot_config(storage: str) -> str:
    """The config file of every process: `storage` is its `[storage]` line; a cycle polls
    every feed once (interval a week), posts one backfill item per new follow, never
    fetches articles, and may reach the farm on 127.0.0.1 at full speed."""
    return (
        '[discord]\ntoken = "fake-token"\n'
        f"[storage]\n{storage}\n"
        "[polling]\ninterval_seconds = 604800\nmin_interval_seconds = 1\n"
        "backfill = 1\nmax_age_days = 30\nfull_articles = false\n"
        "[network]\nallow_private_networks = true\nper_host_delay_seconds = 0\n"
        "per_host_concurrency = 8\n"
        "[discussions]\nenabled = false\n"
    )
