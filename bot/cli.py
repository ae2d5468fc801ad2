"""Command line: `python -m bot run | preview`.

Exit codes: 0 success, 1 runtime failure, 2 bad config or usage (one line naming the problem).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.config import TOKEN_ENV, ConfigError, Settings, load_settings
from bot.feeds.fetch import make_http_client
from bot.models import Post
from bot.pipeline import CycleReport, FeedStatus, build_pipeline
from bot.store import Store

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.log_level)
    try:
        settings = load_settings(Path(args.config))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    command = {"run": run_bot, "preview": preview}[args.command]
    try:
        return command(settings)
    except KeyboardInterrupt:
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Bazaar: open-source AI news for Discord."
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (token from DISCORD_TOKEN or the config)")
    preview = commands.add_parser(
        "preview", help="poll the feeds once and print what would be posted (no Discord)"
    )
    for sub in (run, preview):
        sub.add_argument("--config", default="config.toml", help="path to config.toml")
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO; feed URLs are fine but the noise is not.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run_bot(settings: Settings) -> int:
    """Run the bot until interrupted."""
    if not settings.discord.token:
        print(
            f"error: no Discord token: set {TOKEN_ENV} in the environment or discord.token "
            "in the config",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import discord  # only the bot needs Discord; preview works without it loaded

    from bot.client import BazaarBot

    async def _run() -> None:
        async with BazaarBot(settings) as bot:
            await bot.start(settings.discord.token)

    try:
        asyncio.run(_run())
    except discord.LoginFailure:
        print(
            f"error: Discord rejected the token; check {TOKEN_ENV} or discord.token",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except discord.PrivilegedIntentsRequired:
        print("error: the bot asked for an intent not enabled in the portal", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def preview(settings: Settings, out: TextIO | None = None) -> int:
    """Poll every followed feed once, write nothing, and print what would be posted."""
    return asyncio.run(_preview(settings, out or sys.stdout))


async def _preview(settings: Settings, out: TextIO) -> int:
    store = await Store.open(settings.storage.database)
    try:
        await store.sync_config_feeds(settings.feeds)
        feeds = await store.followed_feeds()
        if not feeds:
            print("No feeds to poll: add [[feeds]] to the config or use /feeds add.", file=out)
            return EXIT_OK
        async with make_http_client(
            timeout=settings.polling.timeout_seconds,
            contact=settings.network.user_agent_contact,
            allow_private_networks=settings.network.allow_private_networks,
        ) as http:
            pipeline = build_pipeline(settings, store, http)
            report = await pipeline.poll_feeds(feeds, now=datetime.now(UTC), dry_run=True)
        queued = len(await store.pending_posts(limit=10_000))
    finally:
        await store.close()
    out.write(format_preview(report, already_queued=queued))
    return (
        EXIT_FAILURE
        if report.feeds and report.count(FeedStatus.FAILED) == len(report.feeds)
        else EXIT_OK
    )


def format_preview(report: CycleReport, *, already_queued: int = 0, width: int = 78) -> str:
    """The preview as terminal text: a summary line, each post, then any feed errors."""
    posts = report.posts
    lines = [
        f"Polled {len(report.feeds)} feed(s): {report.count(FeedStatus.UPDATED)} fetched, "
        f"{report.count(FeedStatus.NOT_MODIFIED)} not modified, "
        f"{report.count(FeedStatus.FAILED)} failed.",
        f"Would post {len(posts)} item(s)." if posts else "Nothing new to post.",
    ]
    if already_queued:
        lines.append(f"{already_queued} earlier post(s) are queued, waiting for the bot to run.")
    for channel_post in posts:
        lines.append("")
        lines.extend(_format_post(channel_post.post, channel_post.channel_id, width))
    failures = [feed for feed in report.feeds if feed.status is FeedStatus.FAILED]
    if failures:
        lines.append("")
        lines.append("Feeds that failed:")
        lines.extend(f"  {feed.feed_url}\n    {feed.error}" for feed in failures)
    return "\n".join(lines) + "\n"


def _format_post(post: Post, channel_id: int, width: int) -> list[str]:
    when = post.published_at.strftime("%Y-%m-%d %H:%M UTC") if post.published_at else "undated"
    lines = [f"── #{channel_id} · {post.source_name} · {when}", f"   {post.title}"]
    if post.url:
        lines.append(f"   {post.url}")
    if post.summary:
        lines.extend(
            textwrap.wrap(post.summary, width, initial_indent="   ", subsequent_indent="   ")
        )
    if post.partial_note:
        lines.append(f"   [{post.partial_note}]")
    lines.append(f"   (thread: {post.thread_name})")
    return lines
