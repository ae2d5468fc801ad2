"""`python -m bot preview`: one poll cycle exactly as the bot would run it, sent nowhere.

The cycle runs the bot's own pipeline, recap writer and outbox rules on a scratch copy of
the database, so it makes the same decisions (post, thread note or recap; backfill; max
age; stories across feeds) and nothing it decides is written to the real database (which
is only created or migrated, as the bot would on start). What it shows is the
outbox the cycle leaves: what the bot would send next.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.discussions.llm_recap import recapper_from_settings
from bot.discussions.service import DiscussionRecaps, RecapWriter
from bot.http.clients import open_http_clients
from bot.item_summaries import ItemSummaries
from bot.models import Notice, OutboxKind, OutboxRow, Post
from bot.pipeline import build_pipeline
from bot.posts import post_for_item
from bot.reports import CycleReport, FeedStatus
from bot.store import Store


@dataclass(frozen=True)
class Preview:
    report: CycleReport
    queued: tuple[OutboxRow, ...]  # what this cycle would queue, in sending order
    notices: tuple[Notice, ...]  # what admins would be told
    already_queued: int  # queued by earlier runs, not sent yet


async def run_preview(settings: Settings, clock: Clock) -> Preview | None:
    """One cycle over every followed feed on a scratch copy; None when there are no feeds."""
    # Opened (created, migrated) as the bot would first: an unusable database is refused
    # the same way, and the copy has the current schema.
    await (await Store.open(settings.storage.database, clock=clock)).close()
    with tempfile.TemporaryDirectory(prefix="bazaar-preview-") as scratch:
        copy = Path(scratch) / "preview.db"
        await asyncio.to_thread(_copy_database, settings.storage.database, copy)
        store = await Store.open(copy, clock=clock)
        try:
            return await _cycle(settings, store, clock)
        finally:
            await store.close()


async def _cycle(settings: Settings, store: Store, clock: Clock) -> Preview | None:
    await store.sync_config_feeds(settings.feeds)
    feeds = await store.followed_feeds()
    if not feeds:
        return None
    earlier_rows = await store.last_outbox_id()
    earlier_notices = {notice.id for notice in await store.pending_notices()}
    already_queued = len(await store.pending_posts(limit=100_000))
    async with open_http_clients(settings) as clients:
        pipeline = build_pipeline(settings, store, clients, clock=clock)
        report = await pipeline.poll_feeds(feeds, now=clock())
        recaps = DiscussionRecaps(
            http=clients.web,
            settings=settings.discussions,
            recapper=recapper_from_settings(settings.llm, http=clients.llm),
        )
        await RecapWriter(store, recaps, clock=clock).write_pending()
    queued = [row for row in await store.pending_posts(limit=100_000) if row.id > earlier_rows]
    queued = await _summarized(queued, ItemSummaries(store))
    notices = [n for n in await store.pending_notices() if n.id not in earlier_notices]
    return Preview(report, tuple(queued), tuple(notices), already_queued)


async def _summarized(rows: list[OutboxRow], summaries: ItemSummaries) -> list[OutboxRow]:
    """The rows with the summaries the publisher makes as it sends them."""
    return [replace(row, item=await summaries.sent_with(row)) for row in rows]


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the database (WAL included), read without writing to it."""
    with (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src,
        sqlite3.connect(target) as dst,
    ):
        src.backup(dst)


def format_preview(preview: Preview, *, width: int = 78) -> str:
    """The preview as terminal text: the counts, each message as the channel would get it
    (oldest first), then feed errors."""
    report = preview.report
    count = {kind: sum(r.kind is kind for r in preview.queued) for kind in OutboxKind}
    lines = [
        f"Polled {len(report.feeds)} feed(s): {report.count(FeedStatus.UPDATED)} fetched, "
        f"{report.count(FeedStatus.NOT_MODIFIED)} not modified, "
        f"{report.count(FeedStatus.FAILED)} failed.",
        _would(count[OutboxKind.POST], count[OutboxKind.NOTE], count[OutboxKind.RECAP]),
    ]
    if preview.already_queued:
        lines.append(
            f"{preview.already_queued} earlier message(s) are queued, waiting for the bot to run."
        )
    for row in preview.queued:
        lines.append("")
        lines.extend(_format_row(row, width))
    for notice in preview.notices:
        lines += ["", f"── #{notice.channel_id} · notice for the admins", f"   {notice.text}"]
    failures = [feed for feed in report.feeds if feed.status is FeedStatus.FAILED]
    if failures:
        lines.append("")
        lines.append("Feeds that failed:")
        lines.extend(f"  {feed.feed_url}\n    {feed.error}" for feed in failures)
    return "\n".join(lines) + "\n"


def _would(posts: int, notes: int, recaps: int) -> str:
    if not posts and not notes and not recaps:
        return "Nothing new to post."
    parts = [f"post {posts} item(s)"]
    if notes:
        parts.append(f"add {notes} thread note(s)")
    if recaps:
        parts.append(f"{recaps} discussion recap(s)")
    return "Would " + ", ".join(parts) + "."


def _format_row(row: OutboxRow, width: int) -> list[str]:
    post = post_for_item(row.item, row.source_name)
    if row.kind is OutboxKind.POST:
        return _format_post(post, row.channel_id, width)
    where = f"── #{row.channel_id} · in the thread of this story's post"
    if row.kind is OutboxKind.NOTE:
        link = f" <{post.url}>" if post.url else ""
        return [where, f"   Also covered by {post.source_name}: {post.title}{link}"]
    body = [f"   {line}" if line else "" for line in (row.body or "").splitlines()]
    return [f"{where} · discussion recap", *body]


def _format_post(post: Post, channel_id: int, width: int) -> list[str]:
    when = post.published_at.strftime("%Y-%m-%d %H:%M UTC") if post.published_at else "undated"
    lines = [f"── #{channel_id} · {post.source_name} · {when}", f"   {post.title}"]
    if post.url:
        lines.append(f"   {post.url}")
    for line in post.summary.splitlines():
        indent = "     " if line.startswith("•") else "   "
        lines.extend(textwrap.wrap(line, width, initial_indent="   ", subsequent_indent=indent))
    if post.partial_note:
        lines.append(f"   [{post.partial_note}]")
    lines.append(f"   (thread: {post.thread_name})")
    return lines
