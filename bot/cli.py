"""Command line: `python -m bot run | preview | summarize | search | digest | lexicon`.

Exit codes: 0 success, 1 runtime failure, 2 bad config or usage (one line naming the problem).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.clock import Clock, system_clock
from bot.config import TOKEN_ENV, ConfigError, Settings, load_settings
from bot.content.relevance import default_lexicon_toml
from bot.decide.digest import Digest
from bot.digest import DigestService, Period
from bot.discussions.comments import DiscussionRef, discussion_url
from bot.discussions.llm_recap import recapper_from_settings
from bot.discussions.service import DiscussionRecaps, summarize_discussion
from bot.http.clients import HttpClients, open_http_clients
from bot.http.fetch import Fetcher, FetchError
from bot.preview import format_preview, run_preview
from bot.reports import FeedStatus
from bot.search import (
    PAGE_SIZE,
    QueryError,
    SearchPage,
    SearchQuery,
    SearchService,
    Since,
    parse_query,
)
from bot.store import Store, StoreOpenError
from bot.store.search import HIT_END, HIT_START
from bot.summarize.document import DocumentError, DocumentSummary, summarize_document
from bot.summarize.llm import summarizer_from_settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG = Path("config.toml")
log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.log_level)
    if args.command == "lexicon":
        sys.stdout.write(default_lexicon_toml())
        return EXIT_OK
    try:
        settings = _settings_for(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "summarize":
            return summarize(settings, args.source, force_llm=args.llm)
        clock = system_clock if getattr(args, "now", None) is None else _fixed(args.now)
        if args.command == "digest":
            return digest(settings, Period(args.period), clock=clock)
        if args.command == "search":
            return search(
                settings, args.query, since=Since(args.since), page=args.page, clock=clock
            )
        if args.command == "preview":
            return preview(settings, clock=clock)
        return run_bot(settings)
    except StoreOpenError as exc:
        print(f"error: storage.database: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


def _settings_for(args: argparse.Namespace) -> Settings:
    # `summarize` works with no config file at all (offline summarizer, defaults).
    if args.command == "summarize" and args.config is None and not DEFAULT_CONFIG.exists():
        return Settings()
    return load_settings(Path(args.config or DEFAULT_CONFIG))


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
    summarize_cmd = commands.add_parser(
        "summarize", help="print the summary a post would show for a URL or a file"
    )
    summarize_cmd.add_argument("source", help="an http(s) URL, or an HTML or text file")
    summarize_cmd.add_argument(
        "--llm", action="store_true", help="use the [llm] endpoint from the config"
    )
    search_cmd = commands.add_parser(
        "search", help="search everything the feeds brought (all servers), best first"
    )
    search_cmd.add_argument("query", help='words, a "phrase", or a prefix*')
    search_cmd.add_argument(
        "--since", choices=[s.value for s in Since], default="all", help="how far back"
    )
    search_cmd.add_argument("--page", type=int, default=1, help="page of results (default 1)")
    digest_cmd = commands.add_parser("digest", help="print the top stories of the day or week")
    digest_cmd.add_argument("--period", choices=[p.value for p in Period], default="day")
    commands.add_parser(
        "lexicon", help="print the built-in relevance lexicon as a [relevance] config block"
    )
    for sub in (run, preview, summarize_cmd, search_cmd, digest_cmd):
        sub.add_argument(
            "--config", default=None, help="path to config.toml (default ./config.toml)"
        )
    for sub in (preview, search_cmd, digest_cmd):
        sub.add_argument(
            "--now",
            type=_instant,
            default=None,
            metavar="TIME",
            help="decide as if it were TIME (ISO 8601, e.g. 2026-12-01T09:00Z; default: now)",
        )
    return parser


def _instant(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; use ISO 8601, e.g. 2026-12-01T09:00Z"
        ) from None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _fixed(when: datetime) -> Clock:
    return lambda: when


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
    # Imported here: preview and summarize work without loading discord.py at all.
    from bot.client import StartError, run_until_stopped

    try:
        asyncio.run(run_until_stopped(settings))
    except StartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def preview(settings: Settings, out: TextIO | None = None, *, clock: Clock = system_clock) -> int:
    """Poll every followed feed once, as the bot would, and print what it would send;
    the database is not changed."""
    out = out or sys.stdout
    result = asyncio.run(run_preview(settings, clock))
    if result is None:
        print("No feeds to poll: add [[feeds]] to the config or use /feeds add.", file=out)
        return EXIT_OK
    out.write(format_preview(result))
    feeds = result.report.feeds
    return (
        EXIT_FAILURE if feeds and result.report.count(FeedStatus.FAILED) == len(feeds) else EXIT_OK
    )


def summarize(settings: Settings, source: str, *, force_llm: bool = False) -> int:
    """Print the summary a post would show for `source` (URL or file)."""
    if force_llm and not settings.llm.model:
        print(
            "error: --llm needs an [llm] section with base_url and model in the config",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if force_llm:
        settings = replace(settings, llm=replace(settings.llm, enabled=True))
    try:
        result = asyncio.run(_summarize(settings, source))
    except DocumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    sys.stdout.write(format_summary(result, backend=_backend_name(settings)))
    return EXIT_OK


async def _summarize(settings: Settings, source: str) -> DocumentSummary:
    async with open_http_clients(settings) as clients:
        ref = discussion_url(source, None)
        if ref is not None and settings.discussions.enabled:
            return await _summarize_thread(settings, clients, ref, source)
        return await summarize_document(
            source,
            fetcher=Fetcher(
                clients.web,
                max_bytes=settings.polling.max_body_bytes,
                deadline=settings.polling.timeout_seconds,
            ),
            summarizer=summarizer_from_settings(settings.llm, http=clients.llm),
            lexicon=settings.relevance,
        )


async def _summarize_thread(
    settings: Settings, clients: HttpClients, ref: DiscussionRef, source: str
) -> DocumentSummary:
    recaps = DiscussionRecaps(
        http=clients.web,
        settings=settings.discussions,
        recapper=recapper_from_settings(settings.llm, http=clients.llm),
    )
    try:
        found = await summarize_discussion(recaps, ref, source=source, lexicon=settings.relevance)
    except FetchError as exc:
        raise DocumentError(f"cannot read the discussion at {source}: {exc}") from None
    if found is None:
        raise DocumentError(f"the discussion at {source} has too few comments to recap")
    return found


def search(
    settings: Settings, text: str, *, since: Since, page: int = 1, clock: Clock = system_clock
) -> int:
    """Print a page of search results over every followed feed's items."""
    try:
        query = parse_query(text)
    except QueryError as hint:
        print(f"error: {hint}", file=sys.stderr)
        return EXIT_USAGE
    found = asyncio.run(_search(settings, query, since, max(page, 1) - 1, clock))
    sys.stdout.write(format_search_page(found))
    return EXIT_OK


async def _search(
    settings: Settings, query: SearchQuery, since: Since, number: int, clock: Clock
) -> SearchPage:
    store = await Store.open(settings.storage.database, clock=clock)
    try:
        return await SearchService(store, clock=clock).page(None, query, number=number, since=since)
    finally:
        await store.close()


def format_search_page(page: SearchPage, width: int = 78) -> str:
    """Search results as terminal text: the words found between *stars*."""
    if not page.hits:
        return f"Nothing found for {', '.join(page.query.terms)}.\n"
    lines = []
    for number, hit in enumerate(page.hits, start=page.number * PAGE_SIZE + 1):
        when = (hit.item.published_at or hit.item.seen_at).strftime("%Y-%m-%d")
        snippet = hit.snippet.replace(HIT_START, "*").replace(HIT_END, "*")
        lines.append(f"{number}. {hit.item.title}")
        lines.append(f"   {hit.source_name} · {when} · {hit.item.link or '(no link)'}")
        lines += textwrap.wrap(
            " ".join(snippet.split()), width, initial_indent="   ", subsequent_indent="   "
        )
        lines.append("")
    more = f"More: --page {page.number + 2}" if page.has_next else "No more results."
    return "\n".join([*lines, more]) + "\n"


def digest(settings: Settings, period: Period, *, clock: Clock = system_clock) -> int:
    """Print the top stories of every followed feed over `period`."""
    sys.stdout.write(format_digest(asyncio.run(_digest(settings, period, clock)), period))
    return EXIT_OK


async def _digest(settings: Settings, period: Period, clock: Clock) -> Digest:
    store = await Store.open(settings.storage.database, clock=clock)
    try:
        return await DigestService(store, clock=clock).digest(None, period)
    finally:
        await store.close()


def format_digest(digest: Digest, period: Period) -> str:
    if digest.quiet and not digest.groups:
        return f"A quiet {period.value}: few stories in the feeds.\n"
    lines = [f"Top stories of the {period.value}", ""]
    for group in digest.groups:
        lines.append(group.tag)
        for story in group.stories:
            sources = f" ({story.sources} sources)" if story.sources > 1 else ""
            lines.append(f"  • {story.title}{sources}")
            if story.tldr:
                lines += textwrap.wrap(
                    story.tldr, 76, initial_indent="    ", subsequent_indent="    "
                )
            lines.append(f"    {story.link or '(no link)'}")
        lines.append("")
    return "\n".join(lines)


def _backend_name(settings: Settings) -> str:
    if settings.llm.enabled:
        return f"LLM {settings.llm.model} at {settings.llm.base_url} (extractive if it fails)"
    return "extractive (offline)"


def format_summary(result: DocumentSummary, *, backend: str, width: int = 78) -> str:
    """A document's summary as terminal text, in the order a post shows it."""
    summary, relevance = result.summary, result.relevance
    lines = [result.article.title or result.source, result.source, ""]
    lines += textwrap.wrap(f"TL;DR: {summary.tldr}", width, subsequent_indent="  ")
    for point in summary.key_points:
        lines += textwrap.wrap(point, width, initial_indent="  • ", subsequent_indent="    ")
    if summary.why_it_matters:
        lines += textwrap.wrap(f"Why it matters: {summary.why_it_matters}", width)
    tags = summary.tags or relevance.tags
    lines.append(f"Tags: {', '.join(tags) if tags else '(none)'}")
    verdict = "relevant" if relevance.relevant else "not relevant"
    matched = f"; matched {', '.join(relevance.matched[:6])}" if relevance.matched else ""
    lines.append(f"Open-source AI relevance: {relevance.score:.2f} ({verdict}{matched})")
    if result.article.partial:
        lines.append(
            f"Partial: only part of the article could be read ({result.article.partial_reason})"
        )
    lines.append(f"Summarized by: {backend}")
    return "\n".join(lines) + "\n"
