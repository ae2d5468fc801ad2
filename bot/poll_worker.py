"""A poller process (`python -m bot run --role poller [--shard i/n]`): polls feeds, stores
items, queues posts and writes discussion recaps, with no Discord connection and no token.
A publisher (`--role publisher` or `all`) sends what it queues: they meet in the database."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from bot import __version__
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.discussions.service import RecapWriter, discussion_recaps
from bot.heap import collect_less_often
from bot.heartbeat import HeartbeatWriter, Vitals
from bot.http.clients import open_http_clients
from bot.pipeline import build_pipeline
from bot.poller import Poller
from bot.reports import CycleReport
from bot.roles import Role, Shard, process_name
from bot.server_settings import ServerSettingsService, defaults_from
from bot.store import Store

log = logging.getLogger(__name__)


async def run_poller_until_stopped(
    settings: Settings, shard: Shard, *, clock: Clock = system_clock
) -> None:
    """Poll the feeds of `shard` until SIGTERM or SIGINT (the cycle under way is cut short;
    what it wrote is committed, what it had not is polled again next time)."""
    store = await Store.open(settings.storage.location, clock=clock)
    clients = open_http_clients(settings)
    try:
        # Every process reads the same config: syncing its feeds is the same in each.
        await store.sync_config_feeds(settings.feeds)
        feeds, servers = await store.following_counts()
        log.info(
            "Bazaar %s poller %s starting: database %s, %d feeds followed in %d servers",
            __version__,
            shard,
            settings.storage.shown,
            feeds,
            servers,
        )
        pipeline = build_pipeline(
            settings,
            store,
            clients,
            clock=clock,
            servers=ServerSettingsService(store, defaults_from(settings)),
            shard=shard,
        )
        collect_less_often()
        await pipeline.start_workers()
        recaps = RecapWriter(store, discussion_recaps(settings, clients, clock=clock), clock=clock)

        async def after_cycle(report: CycleReport) -> None:
            await recaps.write_pending()

        poller = Poller(pipeline, store, on_cycle=after_cycle, clock=clock)
        # `python -m bot health --role poller [--shard i/n]` reads it.
        heartbeat = HeartbeatWriter.for_database(
            settings.storage.database,
            lambda: Vitals(
                gateway_connected=False, last_cycle_finished_at=poller.last_cycle_finished_at
            ),
            process=process_name(Role.POLLER, shard),
            clock=clock,
        )
        heartbeat.start()
        try:
            await _until_stopped(poller.run_forever())
        finally:
            await heartbeat.stop()  # no heartbeat file: this poller has stopped
    finally:
        await clients.aclose()
        await store.close()


async def _until_stopped(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or a SIGTERM or SIGINT cancels it (then return quietly)."""
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(work, name="bazaar-poller")
    stopped = asyncio.Event()

    def stop(signal_name: str) -> None:
        log.info("%s received: stopping", signal_name)
        stopped.set()
        task.cancel()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
    try:
        await task
    except asyncio.CancelledError:
        if not stopped.is_set():
            raise
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
