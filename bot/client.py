"""The discord.py `Bot` subclass that wires the core services to Discord (sharded or not)."""

from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp
import discord
from discord import app_commands
from discord.backoff import ExponentialBackoff
from discord.ext import commands

from bot import __version__
from bot.alerts import AlertService
from bot.clock import Clock, system_clock
from bot.config import AUTO_SHARDS, TOKEN_ENV, Settings
from bot.delivery import DeliveryService
from bot.digest import DigestService
from bot.discussions.service import RecapWriter, discussion_recaps
from bot.feed_lists import FeedLists
from bot.feed_preview import FeedPreviews
from bot.heap import collect_less_often
from bot.heartbeat import HeartbeatWriter, Vitals
from bot.http.clients import HttpClients, open_http_clients
from bot.http.fetch import Fetcher
from bot.news import NewsService
from bot.on_demand import OnDemandSummaries
from bot.pipeline import Pipeline, build_pipeline
from bot.poller import Poller
from bot.reports import CycleReport
from bot.roles import EVERY_CHANNEL, Role, Shard, WorkerPlan, process_name
from bot.scheduled_digests import ScheduledDigests
from bot.search import SearchService
from bot.server_settings import ServerSettingsService, defaults_from
from bot.shards import IDENTIFY_WINDOW_SECONDS, IdentifyWindow, describe_shards
from bot.store import Store, StoreSummaryCache
from bot.subscriptions import SubscriptionService
from bot.summarize.llm import summarizer_from_settings
from bot.waiting import wait_for_event

log = logging.getLogger(__name__)

PUBLISHER = "cogs.publisher"
# How often a publisher whose posts are queued by another process looks for new ones.
QUEUE_WATCH_SECONDS = 2.0
EXTENSIONS = (PUBLISHER, "cogs.feeds", "cogs.news", "cogs.settings", "cogs.digests")


class BazaarTree(app_commands.CommandTree):
    """Answers every failed command with a plain, private message instead of silence."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.MissingPermissions):
            text = "You need the Manage Server permission to use this command."
        elif isinstance(error, app_commands.NoPrivateMessage):
            text = "This command only works in a server."
        elif isinstance(error, app_commands.CommandNotFound):
            text = "This command no longer exists; Discord may still be showing an old list."
        elif isinstance(error, app_commands.CheckFailure):
            text = "You cannot use this command here."
        else:
            log.error("command %s failed", _command_name(interaction), exc_info=error)
            text = "Something went wrong on our side; the bot's logs have the details."
        await reply_privately(interaction, text)


def _command_name(interaction: discord.Interaction) -> str:
    command = interaction.command
    return f"/{command.qualified_name}" if command else "(unknown)"


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """Answer only the user who ran the command, whether or not the response was deferred."""
    none = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
    except discord.HTTPException:
        log.warning("could not tell the user about a failed command (interaction expired?)")


class BazaarBot(commands.Bot):
    """Owns the store, the HTTP client and the poller; cogs reach the core through it."""

    store: Store
    http_clients: HttpClients
    pipeline: Pipeline
    poller: Poller
    subscriptions: SubscriptionService
    feed_lists: FeedLists
    news: NewsService
    search: SearchService
    digests: DigestService
    alerts: AlertService
    on_demand: OnDemandSummaries
    delivery: DeliveryService
    recaps: RecapWriter

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        role: Role = Role.ALL,
        shard: Shard = EVERY_CHANNEL,
        **options: object,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channels and threads of the servers the bot is in
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=BazaarTree,
            **options,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.clock = clock
        self.role = role
        self.plan = WorkerPlan.of(role)
        self.publisher_shard = shard  # the channels this process sends to
        self.posts_queued = asyncio.Event()
        self.digests_wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._poll_task: asyncio.Task[None] | None = None  # polls, or watches the queue

    async def start(self, token: str, *, reconnect: bool = True) -> None:
        """Run until closed. The core (store, polling, queueing) starts first and keeps
        running while Discord cannot be reached; logging in and connecting are retried
        with backoff, one plain log line per outage."""
        _quiet_reconnect_tracebacks()
        if not hasattr(self, "store"):
            await self._start_core()
        await self._login_until_reachable(token)
        await self._connect_until_closed(reconnect)

    async def _login_until_reachable(self, token: str) -> None:
        backoff = ExponentialBackoff()
        outage = False
        while not self.is_closed():
            try:
                await self.login(token)
            except asyncio.CancelledError:
                # Stopped (SIGTERM, Ctrl-C) while a login was under way: closing the HTTP
                # session cancels the request. That is the stop, not an error to report.
                if self.is_closed() or self._stopping.is_set():
                    return
                raise
            except (OSError, TimeoutError, aiohttp.ClientError, discord.DiscordServerError) as exc:
                outage = _log_outage(outage, "log in to Discord", exc)
                await self.http.close()
                # A closed session closes its connector; the next login needs a new one.
                self.http.connector = discord.utils.MISSING
                await wait_for_event(self._stopping, backoff.delay())
            else:
                if outage:
                    log.info("logged in to Discord again")
                return

    async def _connect_until_closed(self, reconnect: bool) -> None:
        backoff = ExponentialBackoff()
        outage = False
        while not self.is_closed():
            try:
                await self.connect(reconnect=reconnect)
                return
            except AttributeError:
                # discord.py 2.7 (Rapptz/discord.py#10520): when the very first gateway
                # handshake fails, its retry reads `self.ws.sequence` while ws is None.
                # (A sharded client has no such retry, and never sets ws.)
                if self.ws is not None or isinstance(self, discord.AutoShardedClient):
                    raise
                outage = _log_outage(outage, "connect to Discord's gateway", None)
            except (OSError, TimeoutError, aiohttp.ClientError, discord.GatewayNotFound) as exc:
                outage = _log_outage(outage, "connect to Discord's gateway", exc)
            await wait_for_event(self._stopping, backoff.delay())

    async def setup_hook(self) -> None:
        # Runs once Discord accepted the token (again after a failed login, so each step
        # must tolerate having run before).
        for extension in self._extensions():
            if extension not in self.extensions:
                await self.load_extension(extension)
        if self.plan.commands:
            await self._sync_commands()

    def _extensions(self) -> list[str]:
        """The cogs of this process's role: the publisher, the commands, or both."""
        return [
            extension
            for extension in EXTENSIONS
            if (self.plan.publishes if extension == PUBLISHER else self.plan.commands)
        ]

    async def _start_core(self) -> None:
        settings = self.settings
        self.store = await Store.open(settings.storage.location, clock=self.clock)
        await self.store.sync_config_feeds(settings.feeds)
        feeds, servers = await self.store.following_counts()
        log.info(
            "Bazaar %s starting (role %s%s): database %s, %d feeds followed in %d servers; %s",
            __version__,
            self.role,
            f", channels {self.publisher_shard}" if self.publisher_shard.count > 1 else "",
            settings.storage.shown,
            feeds,
            servers,
            describe_shards(settings.gateway.shard_count, settings.gateway.shard_ids),
        )
        self.server_settings = ServerSettingsService(self.store, defaults_from(settings))
        self.http_clients = open_http_clients(settings)
        self.pipeline = build_pipeline(
            settings,
            self.store,
            self.http_clients,
            clock=self.clock,
            servers=self.server_settings,
        )
        if self.plan.polls:
            collect_less_often()
            await self.pipeline.start_workers()
        self.poller = Poller(
            self.pipeline, self.store, on_cycle=self._after_cycle, clock=self.clock
        )
        # A member or an admin waits for the answer: no queueing behind the poll's
        # per-host turns; the same guard and limits.
        at_once = Fetcher(
            self.http_clients.web,
            max_bytes=settings.polling.max_body_bytes,
            deadline=settings.polling.timeout_seconds,
        )
        self.subscriptions = SubscriptionService(
            store=self.store, fetcher=at_once, on_change=self.poller.wake, clock=self.clock
        )
        self.feed_lists = FeedLists(
            store=self.store,
            allow_private_networks=settings.network.allow_private_networks,
            on_change=self.poller.wake,
            clock=self.clock,
        )
        summarizer = summarizer_from_settings(
            settings.llm,
            http=self.http_clients.llm,
            cache=StoreSummaryCache(self.store),
            clock=self.clock,
        )
        self.feed_previews = FeedPreviews(
            fetcher=at_once, summarizer=summarizer, lexicon=settings.relevance
        )
        self.news = NewsService(self.store)
        self.search = SearchService(self.store, clock=self.clock)
        self.digests = DigestService(self.store, clock=self.clock)
        self.scheduled_digests = ScheduledDigests(
            self.store, self.server_settings, self.digests, clock=self.clock
        )
        self.alerts = AlertService(self.store, clock=self.clock, shard=self.publisher_shard)
        self.delivery = DeliveryService(
            self.store,
            clock=self.clock,
            server_settings=self.server_settings,
            shard=self.publisher_shard,
        )
        discussions = discussion_recaps(settings, self.http_clients, clock=self.clock)
        self.recaps = RecapWriter(self.store, discussions, clock=self.clock)
        self.on_demand = OnDemandSummaries(
            fetcher=at_once,
            summarizer=summarizer,
            lexicon=settings.relevance,
            clock=self.clock,
            discussions=discussions if settings.discussions.enabled else None,
        )
        # Polling needs no gateway: items are stored and queued while the bot connects.
        # Started here rather than in on_ready, which can run after close() has begun.
        if self.plan.polls:
            self._poll_task = asyncio.create_task(self.poller.run_forever(), name="bazaar-poller")
        elif self.plan.publishes:
            self._poll_task = asyncio.create_task(self._watch_queue(), name="bazaar-queue-watch")
        # The heartbeat `python -m bot health` reads (bot/heartbeat.py); stopped in close().
        self.heartbeat = HeartbeatWriter.for_database(
            settings.storage.database,
            lambda: Vitals(
                gateway_connected=self.is_ready() and self._gateway_open(),
                last_cycle_finished_at=self.poller.last_cycle_finished_at,
                polls=self.plan.polls,
            ),
            process=process_name(self.role, self.publisher_shard),
            clock=self.clock,
        )
        self.heartbeat.start()

    async def _sync_commands(self) -> None:
        guild_ids = self.settings.discord.guild_ids
        if guild_ids:
            for guild_id in guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            log.info("slash commands synced to %d guild(s)", len(guild_ids))
        else:
            await self.tree.sync()
            log.info("slash commands synced globally (may take up to an hour to show)")

    async def on_ready(self) -> None:
        if self.is_closed():
            return  # on_ready is dispatched as a task and may run after close() began
        assert self.user is not None
        log.info(
            "connected as %s (id %s) to %d guild(s) over %s",
            self.user,
            self.user.id,
            len(self.guilds),
            self._connections_in_use(),
        )
        await self.store.set_guilds_for_channels(
            {channel.id: guild.id for guild in self.guilds for channel in guild.channels}
        )
        self.posts_queued.set()

    def _gateway_open(self) -> bool:
        return self.ws is not None and self.ws.open

    def _connections_in_use(self) -> str:
        return describe_shards(0)

    async def _after_cycle(self, report: CycleReport) -> None:
        # Recaps are written here, in the core, so the publisher only sends what is ready.
        recaps = await self.recaps.write_pending()
        # New posts, or a paused feed whose admins must be told: the publisher has work.
        if recaps or report.deliveries or any(feed.paused for feed in report.feeds):
            self.posts_queued.set()

    async def _watch_queue(self) -> None:
        """Wake the publisher when another process (a poller) queued something: no cycle
        of this process says so. Reading the newest row ids costs two index lookups."""
        seen = None
        while True:
            try:
                newest = await self.store.newest_queued()
            except Exception:
                log.exception("cannot read the outbox; looking again shortly")
                newest = seen
            if seen is not None and newest != seen:
                self.posts_queued.set()
            seen = newest
            await asyncio.sleep(QUEUE_WATCH_SECONDS)

    async def close(self) -> None:
        """Stop polling, let the publisher finish the message in flight, close the gateway
        (code 1000), then the HTTP clients and the database. Safe to call twice."""
        if self._stopping.is_set():
            await super().close()
            return
        self._stopping.set()
        if self._poll_task is not None:
            self._poll_task.cancel()
            await asyncio.gather(self._poll_task, return_exceptions=True)
        await super().close()
        if hasattr(self, "http_clients"):
            await self.http_clients.aclose()
        if hasattr(self, "store"):
            await self.store.close()
        if hasattr(self, "heartbeat"):
            await self.heartbeat.stop()  # last: no heartbeat file means the bot has stopped


class ShardedBazaarBot(BazaarBot, commands.AutoShardedBot):
    """`BazaarBot` over several gateway connections (shards), as [gateway] says: Discord
    sends each shard the events of its own servers, and commands are answered on them."""

    def __init__(
        self, settings: Settings, *, clock: Clock = system_clock, **options: object
    ) -> None:
        gateway = settings.gateway
        super().__init__(
            settings,
            clock=clock,
            # None: discord.py asks Discord (GET /gateway/bot) how many shards to run.
            shard_count=None if gateway.shard_count == AUTO_SHARDS else gateway.shard_count,
            shard_ids=list(gateway.shard_ids) or None,
            **options,
        )
        self._identify_window: IdentifyWindow | None = None
        self._identify_turn = asyncio.Lock()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Start as many shards at once as Discord allows (`max_concurrency`), where
        discord.py would wait 5 seconds before each one but the first."""
        shard = shard_id or 0
        async with self._identify_turn:
            if self._identify_window is None:
                self._identify_window = IdentifyWindow(await self._max_concurrency())
            if not self._identify_window.admits(shard):
                log.debug("shard %d waits %.0f s to IDENTIFY", shard, IDENTIFY_WINDOW_SECONDS)
                await asyncio.sleep(IDENTIFY_WINDOW_SECONDS)
                self._identify_window = self._identify_window.after_pause()
            self._identify_window = self._identify_window.with_identified(shard)

    async def close(self) -> None:
        # discord.py 2.7.1 creates the shards' event queue at login, and its close() fails
        # without one (fixed upstream in Rapptz/discord.py@108e9abb): a stop before login
        # must be as clean as any other.
        if not hasattr(self, "_AutoShardedClient__queue"):
            self._AutoShardedClient__queue = asyncio.PriorityQueue()
        await super().close()

    async def _max_concurrency(self) -> int:
        try:
            return (await self.fetch_session_start_limits()).max_concurrency
        except (discord.GatewayNotFound, aiohttp.ClientError, OSError, TimeoutError):
            return 1  # the least Discord allows: one IDENTIFY every 5 seconds

    def _gateway_open(self) -> bool:
        shards = self.shards.values()
        return bool(shards) and not any(shard.is_closed() for shard in shards)

    def _connections_in_use(self) -> str:
        # With "auto", the count is known once discord.py has asked Discord.
        return describe_shards(self.shard_count, self.shard_ids or ())


def make_bot(settings: Settings, *, clock: Clock = system_clock, **options: object) -> BazaarBot:
    """The bot `settings` ask for: `ShardedBazaarBot` when [gateway] configures shards,
    else a `BazaarBot` on one unsharded gateway connection."""
    bot_class = ShardedBazaarBot if settings.gateway.sharded else BazaarBot
    return bot_class(settings, clock=clock, **options)


def _log_outage(ongoing: bool, action: str, error: BaseException | None) -> bool:
    """Log the first failure of an outage in one line (no traceback); return True."""
    if not ongoing:
        reason = f": {error.__class__.__name__}: {error}" if error else ""
        log.warning("cannot %s%s; the bot keeps polling and retries with backoff", action, reason)
    return True


class OneLineReconnects(logging.Filter):
    """discord.py logs each reconnect attempt with a traceback; one line says as much."""

    # discord.client's, and for shards discord.shard's (a shard retries every 5 s).
    RETRIES = ("Attempting a reconnect", "Failed to connect for shard_id")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.getMessage().startswith(self.RETRIES):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({error.__class__.__name__}: {error})"
            record.args = ()
            record.exc_info = None
            # Retrying is what should happen: a warning, not an error.
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _quiet_reconnect_tracebacks() -> None:
    for name in ("discord.client", "discord.shard"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineReconnects) for f in logger.filters):
            logger.addFilter(OneLineReconnects())


class StartError(Exception):
    """The bot could not start; the message says what to fix."""


# The gateway's close codes after which discord.py gives up, and what to change.
_GATEWAY_REFUSALS = {
    4010: "Discord refused the shard: gateway.shard_ids must be below gateway.shard_count, "
    "and every process of the bot must use the same shard_count",
    4011: "Discord requires sharding for this many servers: set [gateway] shard_count = "
    '"auto" (or a count, 2,500 servers per shard at most)',
}


async def run_until_stopped(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    role: Role = Role.ALL,
    shard: Shard = EVERY_CHANNEL,
) -> None:
    """Run the bot until SIGTERM or SIGINT (a clean stop: polling stops, the message in
    flight is finished, the gateway and the database are closed); `StartError` when
    Discord refuses the bot."""
    bot = make_bot(settings, clock=clock, role=role, shard=shard)
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def stop(signal_name: str) -> None:
        if not stopping:
            log.info("%s received: stopping", signal_name)
            stopping.append(asyncio.create_task(bot.close()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
    try:
        async with bot:
            await bot.start(settings.discord.token)
        await asyncio.gather(*stopping)
    except discord.LoginFailure:
        raise StartError(
            f"Discord rejected the token; check {TOKEN_ENV} or discord.token"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise StartError(
            "the bot asked for an intent that is not enabled in the developer portal"
        ) from None
    except discord.ConnectionClosed as closed:
        if closed.code not in _GATEWAY_REFUSALS:
            raise
        raise StartError(_GATEWAY_REFUSALS[closed.code]) from None
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
