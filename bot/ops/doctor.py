"""`python -m bot doctor`: checks what a self-hosted bot depends on, one line each: the
config, the database, the token (one call to Discord), the servers, every channel a feed
posts in (each missing permission named), and every feed (fetched once, politely).

    config ─► database (read-only) ─► Discord: token ─► servers ─► channels ─► feeds ─► verdict

It only reads: nothing is posted, nothing in the database changes. Exit 0 when all is well,
1 when something is not (each problem printed with its fix), 2 when the config is unusable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from bot.config import ConfigError, Settings, load_settings
from bot.feeds.parse import NotAFeedError
from bot.http.fetch import Fetcher, FetchError, make_http_client
from bot.http.limits import HostLimiter
from bot.ops.diagnosis import (
    ChannelUse,
    Check,
    channel_check,
    channel_error,
    channels_to_check,
    config_check,
    configured_guild_missing,
    database_check,
    discord_failed,
    feed_failed,
    feed_ok,
    feeds_to_check,
    no_token,
    servers_check,
    summary,
    token_refused,
    unreadable_database,
    wrong_kind,
)
from bot.ops.discord_rest import (
    DISCORD_API,
    BotUser,
    DiscordRest,
    DiscordRestError,
    DiscordUnreachable,
)
from bot.ops.permissions import Guild, Member
from bot.store import StoreOpenError
from bot.store.readonly import DatabaseSnapshot, StoredSubscription, read_subscriptions
from bot.subscriptions import read_feed_at

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DISCORD_DEADLINE_SECONDS = 60.0  # rate-limit waits included
Emit = Callable[[Check], None]


def doctor_command(
    args: argparse.Namespace,
    *,
    api_base: str = DISCORD_API,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run every check on the config at `args.config` (default ./config.toml)."""
    path = Path(args.config or "config.toml")
    try:
        settings = load_settings(path, environ)
    except ConfigError as exc:
        hint = "" if path.exists() else " (python -m bot init writes one)"
        print(f"error: {exc}{hint}", file=sys.stderr)
        return EXIT_USAGE
    try:
        checks = asyncio.run(
            run_doctor(settings, config_path=path, out=out or sys.stdout, api_base=api_base)
        )
    except KeyboardInterrupt:
        return EXIT_FAILURE
    return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILURE


async def run_doctor(
    settings: Settings, *, config_path: Path, out: TextIO, api_base: str = DISCORD_API
) -> list[Check]:
    """Every check, each printed to `out` as soon as it is decided; returns them all."""
    checks: list[Check] = []

    def emit(check: Check) -> None:
        checks.append(check)
        print(check.line(), file=out, flush=True)

    emit(config_check(config_path, len(settings.feeds)))
    if settings.storage.url:
        # Doctor reads a SQLite file without opening it for writing; not PostgreSQL yet.
        emit(Check(True, f"database: PostgreSQL at {settings.storage.shown}, not read by "
                   "doctor (the feeds and channels checked are the config's)"))  # fmt: skip
        stored: tuple[StoredSubscription, ...] = ()
    else:
        stored = await _database(settings.storage.database, emit)
    # The feeds are other hosts than Discord: fetch them meanwhile, report them after.
    feeds = asyncio.create_task(check_feeds(settings, feeds_to_check(settings.feeds, stored)))
    try:
        await check_discord(settings, channels_to_check(settings.feeds, stored), emit, api_base)
        for check in await feeds:
            emit(check)
    finally:
        if not feeds.done():
            feeds.cancel()
            await asyncio.gather(feeds, return_exceptions=True)
    print(summary(checks), file=out, flush=True)
    return checks


async def _database(path: Path, emit: Emit) -> tuple[StoredSubscription, ...]:
    try:
        snapshot: DatabaseSnapshot | None = await read_subscriptions(path)
    except StoreOpenError as exc:
        emit(unreadable_database(path, exc.reason))
        return ()
    emit(database_check(path, snapshot))
    return snapshot.subscriptions if snapshot else ()


async def check_discord(
    settings: Settings, uses: Sequence[ChannelUse], emit: Emit, api_base: str = DISCORD_API
) -> None:
    """The token, the servers, then each channel a feed posts in."""
    token = settings.discord.token
    if not token:
        emit(no_token())
        return
    async with DiscordRest(token, api_base=api_base, deadline=DISCORD_DEADLINE_SECONDS) as rest:
        try:
            me = await rest.current_user()
        except DiscordRestError as exc:
            emit(token_refused(exc))
            return
        except DiscordUnreachable as exc:
            emit(discord_failed("checking the token", exc))
            return
        emit(Check(True, f"token accepted: the bot is {me.name} (id {me.id})"))
        try:
            guilds = await rest.guilds()
        except (DiscordRestError, DiscordUnreachable) as exc:
            emit(discord_failed("listing the bot's servers", exc))
            return
        emit(servers_check([f"{g.name} ({g.id})" for g in guilds]))
        present = {g.id for g in guilds}
        for guild_id in settings.discord.guild_ids:
            if guild_id not in present:
                emit(configured_guild_missing(guild_id))
        places = _Places(rest, me, threads=settings.publish.threads)
        for use in uses:
            for check in await places.check(use):
                emit(check)


class _Places:
    """Reads each channel, and each server and the bot's member in it once."""

    def __init__(self, rest: DiscordRest, me: BotUser, *, threads: bool) -> None:
        self._rest = rest
        self._me = me
        self._threads = threads
        self._servers: dict[int, tuple[Guild, Member]] = {}

    async def check(self, use: ChannelUse) -> list[Check]:
        try:
            channel = await self._rest.channel(use.channel_id)
        except (DiscordRestError, DiscordUnreachable) as exc:
            return [channel_error(use, exc)]
        if channel.guild_id is None:  # a DM: no server, no permissions to compute
            unknown = DiscordRestError(404, 10003, "Unknown Channel")
            return [wrong_kind(channel, f"channel {channel.id}") or channel_error(use, unknown)]
        try:
            guild, member = await self._server(channel.guild_id)
        except (DiscordRestError, DiscordUnreachable) as exc:
            return [
                discord_failed(f"reading server {channel.guild_id}, its roles and the bot", exc)
            ]
        return channel_check(use, channel, guild, member, threads=self._threads)

    async def _server(self, guild_id: int) -> tuple[Guild, Member]:
        if guild_id not in self._servers:
            guild = await self._rest.guild(guild_id)
            member = await self._rest.member(guild_id, self._me.id)
            self._servers[guild_id] = (guild, member)
        return self._servers[guild_id]


async def check_feeds(settings: Settings, urls: Sequence[str]) -> list[Check]:
    """Fetch each feed once, as the poller would (SSRF guard, byte cap, deadline, per-host
    spacing), and say whether it reads as a feed; in the order given."""
    if not urls:
        return []
    polling, network = settings.polling, settings.network
    async with make_http_client(
        timeout=polling.timeout_seconds,
        contact=network.user_agent_contact,
        allow_private_networks=network.allow_private_networks,
    ) as client:
        fetcher = Fetcher(
            client,
            max_bytes=polling.max_body_bytes,
            deadline=polling.timeout_seconds,
            limiter=HostLimiter(
                concurrency=network.per_host_concurrency, delay=network.per_host_delay_seconds
            ),
        )
        at_once = asyncio.Semaphore(polling.max_concurrent_fetches)

        async def one(url: str) -> Check:
            async with at_once:
                try:
                    parsed = await read_feed_at(fetcher, url)
                except FetchError as exc:
                    return feed_failed(url, str(exc))
                except NotAFeedError as exc:
                    return feed_failed(url, str(exc), not_a_feed=True)
                return feed_ok(url, parsed.title, len(parsed.entries))

        return list(await asyncio.gather(*(one(url) for url in urls)))
