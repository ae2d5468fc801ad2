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
from bot.config import (
    PLACEHOLDER_CHANNEL_ID,
    TOKEN_ENV,
    ConfigError,
    Settings,
    load_settings,
)
from bot.content.relevance import default_lexicon_toml
from bot.decide.digest import Digest
from bot.digest import DigestService, Period
from bot.discussions.comments import DiscussionRef, discussion_url
from bot.discussions.service import discussion_recaps, summarize_discussion
from bot.event_loop import fastest_event_loop
from bot.http.clients import HttpClients, open_http_clients
from bot.http.fetch import Fetcher, FetchError
from bot.logs import LogOptions, configure_logging, log_options_parser
from bot.models import Summary
from bot.preview import format_preview, run_preview
from bot.reports import FeedStatus
from bot.roles import EVERY_CHANNEL, EVERY_FEED, SHARDED_ROLES, Role, Shard, WorkerPlan
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
    configure_logging(LogOptions.from_args(args))
    if args.command == "lexicon":
        sys.stdout.write(default_lexicon_toml())
        return EXIT_OK
    if args.command in _OPS_COMMANDS:
        return _ops_command(args)
    try:
        settings = _settings_for(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(LogOptions.from_args(args, settings.logging))
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
        if args.command in ("preview", "backup") and settings.storage.url:
            print(f"error: {SQLITE_ONLY[args.command]}", file=sys.stderr)
            return EXIT_USAGE
        if args.command == "preview":
            return preview(settings, clock=clock)
        if args.command == "backup":
            return backup(settings, Path(args.destination))
        return run_bot(settings, Role(args.role), args.shard)
    except StoreOpenError as exc:
        print(f"error: {settings.storage.key}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


# What a command made for the SQLite file says when the database is PostgreSQL.
SQLITE_ONLY = {
    "backup": "storage.url is a PostgreSQL database: back it up with PostgreSQL's own tools "
    '(pg_dump --format=custom "$URL" > bazaar.dump); `backup` copies a SQLite file',
    "preview": "storage.url is a PostgreSQL database: `preview` polls on a scratch copy of "
    "a SQLite file and cannot copy PostgreSQL yet; run it on a SQLite config with the same "
    "feeds",
}

# Commands that read the config themselves (or need none): each in its own module under
# bot/ops, imported only when it runs.
_OPS_COMMANDS = ("init", "invite", "doctor", "health", "feeds")


def _ops_command(args: argparse.Namespace) -> int:
    if args.command == "init":
        from bot.ops.init_config import init_command

        return init_command(args)
    if args.command == "invite":
        from bot.ops.invite import invite_command

        return invite_command(args)
    if args.command == "doctor":
        from bot.ops.doctor import doctor_command

        return doctor_command(args)
    if args.command == "health":
        from bot.ops.health import health_command

        return health_command(args)
    from bot.ops.feed_lists import feeds_command

    return feeds_command(args)


def _settings_for(args: argparse.Namespace) -> Settings:
    # `summarize` works with no config file at all (offline summarizer, defaults).
    if args.command == "summarize" and args.config is None and not DEFAULT_CONFIG.exists():
        return Settings()
    return load_settings(Path(args.config or DEFAULT_CONFIG))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Bazaar: open-source AI news for Discord.",
        parents=[log_options_parser(suppress=False)],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The logging options work after the command too: `python -m bot run --log-level DEBUG`.
    common = log_options_parser(suppress=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, parents=[common])

    init = command("init", "write config.toml (asks, or takes flags; never the token)")
    init.add_argument("--guild", type=int, action="append", default=[], metavar="ID")
    init.add_argument("--channel", type=int, default=None, metavar="ID")
    init.add_argument("--feed", action="append", default=[], metavar="URL")
    init.add_argument("--database", default=None, metavar="PATH")
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    init.add_argument("--yes", action="store_true", help="ask nothing; defaults for the rest")
    invite = command("invite", "print the link that adds the bot to a server")
    invite.add_argument("--client-id", type=int, default=None, metavar="ID")
    doctor = command("doctor", "check the config, the token, the servers, channels and feeds")
    run = command("run", "run the bot (token from DISCORD_TOKEN or the config)")
    _add_process_arguments(run, "what this process does")
    health = command("health", "exit 0 if the running bot's heartbeat is fresh (for Docker)")
    health.add_argument("--max-age", type=float, default=None, metavar="SECONDS")
    _add_process_arguments(health, "the process to check, as it was started")
    backup_cmd = command("backup", "copy the database safely, even while the bot runs")
    backup_cmd.add_argument("destination", help="the file to write the copy to")
    feeds = command("feeds", "import or export the followed feeds as OPML")
    feed_commands = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    feeds_import = feed_commands.add_parser("import", help="follow every feed of an OPML file")
    feeds_import.add_argument("file", help="the OPML file")
    feeds_import.add_argument("--channel", type=int, required=True, metavar="ID")
    feeds_export = feed_commands.add_parser("export", help="write the followed feeds as OPML")
    feeds_export.add_argument("--channel", type=int, default=None, metavar="ID")
    feeds_export.add_argument("--output", default=None, metavar="FILE", help="default: stdout")
    preview = command("preview", "poll the feeds once and print what would be posted (no Discord)")
    summarize_cmd = command("summarize", "print the summary a post would show for a URL or a file")
    summarize_cmd.add_argument("source", help="an http(s) URL, or an HTML or text file")
    summarize_cmd.add_argument(
        "--llm", action="store_true", help="use the [llm] endpoint from the config"
    )
    search_cmd = command("search", "search everything the feeds brought (all servers), best first")
    search_cmd.add_argument("query", help='words, a "phrase", or a prefix*')
    search_cmd.add_argument(
        "--since", choices=[s.value for s in Since], default="all", help="how far back"
    )
    search_cmd.add_argument("--page", type=int, default=1, help="page of results (default 1)")
    digest_cmd = command("digest", "print the top stories of the day or week")
    digest_cmd.add_argument("--period", choices=[p.value for p in Period], default="day")
    command("lexicon", "print the built-in relevance lexicon as a [relevance] config block")
    for sub in (init, invite, doctor, run, health, backup_cmd, feeds_import, feeds_export,
                preview, summarize_cmd, search_cmd, digest_cmd):  # fmt: skip
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


def _add_process_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.ALL.value,
        help=f"{what} (default all): several processes can share one "
        "database: gateway (commands), poller (feeds; no Discord), publisher (posts)",
    )
    parser.add_argument(
        "--shard",
        type=_poll_shard,
        default=None,
        metavar="I/N",
        help="with --role poller or publisher: this one is I of N (0/2 and 1/2 for two): "
        "it polls the feeds, or sends to the channels, of its share",
    )


def _poll_shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_bot(settings: Settings, role: Role = Role.ALL, shard: Shard | None = None) -> int:
    """Run the bot (or the part of it `role` says) until interrupted."""
    if shard is not None and role not in SHARDED_ROLES:
        print(
            "error: --shard splits the feeds between pollers or the channels between "
            f"publishers: it goes with --role poller or --role publisher, not {role}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    placeholders = [f.url for f in settings.feeds if f.channel_id == PLACEHOLDER_CHANNEL_ID]
    if placeholders:
        print(
            f"error: {len(placeholders)} [[feeds]] still post to the example's placeholder "
            f"channel {PLACEHOLDER_CHANNEL_ID} ({placeholders[0]}…): put your channel's id "
            "(Developer Mode on, right-click the channel → Copy Channel ID), or write a config "
            "with python -m bot init",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not WorkerPlan.of(role).connects_to_discord:  # a poller needs no token
        from bot.poll_worker import run_poller_until_stopped

        with fastest_event_loop():
            asyncio.run(run_poller_until_stopped(settings, shard or EVERY_FEED))
        return EXIT_OK
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
        with fastest_event_loop():
            asyncio.run(run_until_stopped(settings, role=role, shard=shard or EVERY_CHANNEL))
    except StartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def backup(settings: Settings, destination: Path) -> int:
    """Copy the database to `destination`, safely even while the bot runs."""
    from bot.ops.backup import BackupError, backup_database

    source = settings.storage.database

    def progress(copied: int, total: int) -> None:
        print(f"\rcopying {source}: {copied:,} of {total:,} pages", end="", file=sys.stderr)

    try:
        result = backup_database(source, destination, progress=progress)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(file=sys.stderr)
    print(f"Backed up {source} to {result.destination} ({result.bytes:,} bytes), checked.")
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
    sys.stdout.write(format_summary(result, backend=_backend_name(settings, result.summary)))
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
    recaps = discussion_recaps(settings, clients)
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
    store = await Store.open(settings.storage.location, clock=clock)
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
    store = await Store.open(settings.storage.location, clock=clock)
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


def _backend_name(settings: Settings, summary: Summary) -> str:
    """Who wrote the summary: the LLM, or the offline summarizer (and why, if an LLM was
    configured)."""
    if summary.made_by == "llm":
        return f"LLM {settings.llm.model} at {settings.llm.base_url}"
    if settings.llm.enabled:
        return (
            f"extractive (offline): the LLM {settings.llm.model} at {settings.llm.base_url} "
            "gave no usable summary (the warning above says why)"
        )
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
