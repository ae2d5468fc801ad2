"""The whole bot against a local fake Discord and local feeds: start, restart, observe."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.client import BazaarBot, make_bot
from bot.config import parse_settings
from bot.roles import Role
from tests.clock import TestClock
from tests.fake_discord import FakeDiscord
from tests.feed_server import FeedItem, FeedServer

EPHEMERAL = 64


def stories(
    count: int, *, start: int = 0, text: str = "The model ships open weights.", now: datetime
) -> list[FeedItem]:
    """Story {start} is the newest, an hour before `now`; one hour between stories."""
    return [
        FeedItem(
            f"Story {n}",
            f"https://example.org/story-{n}",
            f"<p>Story {n} is out. {text}</p>",
            guid=f"story-{n}",
            published=now - timedelta(hours=n + 1),
        )
        for n in range(start, start + count)
    ]


class Harness:
    """A fake Discord, a feed server, and a bot that can be started and restarted."""

    def __init__(
        self, discord: FakeDiscord, feeds: FeedServer, tmp_path: Path, clock: TestClock
    ) -> None:
        self.discord = discord
        self.clock = clock
        self.feeds = feeds
        self.tmp_path = tmp_path
        self.bot: BazaarBot | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def news(self) -> int:
        return self.discord.channel_ids["news"]

    def posts(self, channel: int | None = None) -> list[dict]:
        return self.discord.messages.get(channel or self.news, [])

    def titles(self, channel: int | None = None) -> list[str]:
        return [m["embeds"][0]["title"] for m in self.posts(channel) if m.get("embeds")]

    async def start(
        self,
        *,
        config_feeds: list[str] = (),
        discussions: dict[str, object] | None = None,
        gateway: dict[str, object] | None = None,
        wait: bool = True,
        role: Role = Role.ALL,
        **polling: object,
    ) -> BazaarBot:
        """Start the bot (sharded as `gateway`, a [gateway] table, says; in `role`); with
        `wait`, return once it is connected and ready (every shard of it)."""
        connections = self.discord.connections
        settings = parse_settings(
            {
                "discord": {"token": "fake-token", "guild_ids": self.discord.guild_ids},
                "storage": {"database": "bazaar.db"},
                "polling": {
                    "interval_seconds": 1,
                    "min_interval_seconds": 1,
                    "full_articles": False,  # items link to example.org, never fetched here
                    # Freezing the heap of the test process would keep every earlier
                    # test's garbage (bot.heap has its own test).
                    "freeze_heap": False,
                    **polling,
                },
                "network": {"allow_private_networks": True, "per_host_delay_seconds": 0},
                "discussions": discussions or {"enabled": False},
                "feeds": [{"url": url, "channel_id": self.news} for url in config_feeds],
                "gateway": gateway or {},
            },
            base_dir=self.tmp_path,
            environ={},
        )
        self.bot = make_bot(settings, clock=self.clock, guild_ready_timeout=0.1, role=role)
        self._task = asyncio.create_task(self.bot.start(settings.discord.token))
        if not wait:
            return self.bot
        await self.discord.wait_for(lambda: self.discord.connections > connections)
        await self.discord.wait_until_ready()
        await asyncio.wait_for(self.bot.wait_until_ready(), timeout=10)
        return self.bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=10)
        self.bot, self._task = None, None

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        await self.discord.wait_for(predicate, timeout=15)

    async def outbox_becomes(self, expected: dict[str, int]) -> None:
        """Wait until the bot has recorded what Discord answered (it lags the fake a little)."""
        assert self.bot is not None
        counts: dict[str, int] = {}
        for _ in range(250):
            counts = {s.value: n for s, n in (await self.bot.store.outbox_counts()).items()}
            if counts == expected:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"outbox is {counts}, expected {expected}")
