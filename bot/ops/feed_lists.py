"""`python -m bot feeds import FILE --channel ID` and `python -m bot feeds export [--channel ID]
[--output FILE]`: OPML feed lists on the command line, read from and written to the database
directly (no Discord; the bot may be running).

Import prints a line per feed as it goes, then "Imported N feeds into channel C; skipped D
already followed; E failed". Addresses are checked as /feeds add checks them, but not
fetched (see bot.feed_lists). Exit codes: 0 done, 1 the file is not a feed list or some
feeds failed (the others are imported), 2 bad config, channel or file path.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.clock import system_clock
from bot.config import ConfigError, Settings, load_settings
from bot.feed_lists import ExportedList, FeedLists, ImportOutcome, ImportReport, ImportStep
from bot.feeds.opml import MAX_OPML_BYTES, FeedList, OpmlError
from bot.store import Store, StoreOpenError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG = Path("config.toml")
OUTCOME_WIDTH = max(len(outcome.value) for outcome in ImportOutcome)


def feeds_command(args: argparse.Namespace) -> int:
    """Run `feeds import` or `feeds export` as parsed by bot.cli."""
    try:
        settings = load_settings(Path(args.config or DEFAULT_CONFIG))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.channel is not None and args.channel <= 0:
        print(f"error: --channel {args.channel} is not a channel id", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.feeds_command == "import":
            return import_file(settings, Path(args.file), args.channel)
        return export_feeds(settings, args.channel, Path(args.output) if args.output else None)
    except StoreOpenError as exc:
        print(f"error: {settings.storage.key}: {exc}", file=sys.stderr)
        return EXIT_USAGE


def import_file(settings: Settings, path: Path, channel_id: int) -> int:
    """Make `channel_id` follow every feed the OPML file at `path` lists."""
    try:
        with path.open("rb") as file:
            # One byte past the cap is enough to refuse a file that is too big.
            data = file.read(MAX_OPML_BYTES + 1)
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = asyncio.run(_import(settings, path, data, channel_id))
    except OpmlError as exc:
        print(f"error: {path} cannot be imported: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(import_summary(report))
    if report.guild_id is None and report.count(ImportOutcome.FOLLOWED):
        print(
            f"Channel {channel_id}'s server is not known offline: the bot fills it in when it "
            "next connects (restart it if it is running); until then /feeds list does not "
            "show these feeds there."
        )
    return EXIT_FAILURE if report.failures else EXIT_OK


async def _import(settings: Settings, path: Path, data: bytes, channel_id: int) -> ImportReport:
    store = await Store.open(settings.storage.location, clock=system_clock)
    try:
        lists = FeedLists(
            store=store, allow_private_networks=settings.network.allow_private_networks
        )
        listed = await lists.read(data)
        print(_listed_line(path, listed), flush=True)
        return await lists.import_feeds(listed, channel_id=channel_id, progress=_print_step)
    finally:
        await store.close()


def _listed_line(path: Path, listed: FeedList) -> str:
    extra = []
    if listed.duplicates:
        extra.append(f"{listed.duplicates} listed twice, kept once")
    if listed.not_feeds:
        outlines = "outline" if listed.not_feeds == 1 else "outlines"
        extra.append(f"{listed.not_feeds} {outlines} without a feed address ignored")
    tail = f" ({'; '.join(extra)})" if extra else ""
    return f"{path}: {_feeds(len(listed.feeds))}{tail}"


def _print_step(number: int, total: int, step: ImportStep) -> None:
    print(progress_line(number, total, step), flush=True)


def progress_line(number: int, total: int, step: ImportStep) -> str:
    """`[ 3/12] followed          https://… (Title)`, or the reason a feed failed."""
    width = len(str(total))
    head = f"[{number:>{width}}/{total}] {step.outcome.value:<{OUTCOME_WIDTH}}  {step.feed.url}"
    if step.outcome is ImportOutcome.FAILED:
        return f"{head}: {step.reason}"
    return f"{head} ({step.feed.title})" if step.feed.title else head


def import_summary(report: ImportReport) -> str:
    return (
        f"Imported {_feeds(report.count(ImportOutcome.FOLLOWED))} into channel "
        f"{report.channel_id}; skipped {report.count(ImportOutcome.ALREADY_FOLLOWED)} already "
        f"followed; {len(report.failures)} failed"
    )


def _feeds(count: int) -> str:
    return f"{count} feed" if count == 1 else f"{count} feeds"


def export_feeds(settings: Settings, channel_id: int | None, output: Path | None) -> int:
    """Write what is followed (everywhere, or in `channel_id`) as OPML to `output` or stdout."""
    database = settings.storage.database
    if settings.storage.url is None and not database.exists():
        print(
            f"error: storage.database: there is no database at {database} yet (the bot "
            "creates it when it first runs; `feeds import` does too)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    title = "Bazaar feeds" if channel_id is None else f"Bazaar feeds of channel {channel_id}"
    exported = asyncio.run(_export(settings, title, channel_id))
    if output is None:
        sys.stdout.write(exported.opml)
    else:
        try:
            output.write_text(exported.opml, encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    where = "" if channel_id is None else f" of channel {channel_id}"
    print(
        f"Exported {_feeds(len(exported.feeds))}{where} to {output or 'stdout'}.", file=sys.stderr
    )
    return EXIT_OK


async def _export(settings: Settings, title: str, channel_id: int | None) -> ExportedList:
    store = await Store.open(settings.storage.location, clock=system_clock)
    try:
        lists = FeedLists(
            store=store, allow_private_networks=settings.network.allow_private_networks
        )
        return await lists.export(title=title, channel_id=channel_id)
    finally:
        await store.close()
