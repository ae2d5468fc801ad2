"""`python -m bot init`: write a small config.toml a newcomer can run, from flags or by
asking in the terminal. It never asks for the token, and never writes one: the token belongs
in the DISCORD_TOKEN environment variable, not in a file that gets copied and shared."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from bot.config import TOKEN_ENV, ConfigError, Settings, parse_settings
from bot.subscriptions import SubscriptionError, validate_feed_url

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_PATH = Path("config.toml")
DEFAULT_DATABASE = "bazaar.db"
_MAX_SNOWFLAKE = 2**63 - 1

HOW_TO_COPY_IDS = (
    "In Discord, turn on Developer Mode (User Settings → Advanced), then right-click a "
    "server icon → Copy Server ID, or a channel → Copy Channel ID."
)


@dataclass(frozen=True)
class SuggestedFeed:
    url: str
    name: str
    filter: str = "all"  # "relevant": only the items about open-source AI


# Well-known public feeds about open-source AI, offered to a new server.
SUGGESTED_FEEDS: tuple[SuggestedFeed, ...] = (
    SuggestedFeed("https://huggingface.co/blog/feed.xml", "Hugging Face blog"),
    SuggestedFeed("https://github.com/ggml-org/llama.cpp/releases.atom", "llama.cpp releases"),
    # hnrss.org's search: Hacker News stories about LLMs with some points, then only the
    # ones about open models.
    SuggestedFeed("https://hnrss.org/newest?q=LLM&points=50", "Hacker News: LLMs", "relevant"),
)


class InitError(Exception):
    """An answer or flag cannot go into the config; the message says what to give instead."""


@dataclass(frozen=True)
class FeedChoice:
    url: str
    name: str | None = None
    filter: str = "all"


@dataclass(frozen=True)
class InitAnswers:
    """What goes into the new config."""

    guild_ids: tuple[int, ...] = ()
    channel_id: int | None = None
    feeds: tuple[FeedChoice, ...] = ()
    database: str = DEFAULT_DATABASE


# ---- deciding what to write (pure) ------------------------------------------------------


def parse_id(text: str, what: str) -> int:
    """A Discord id typed or passed by a user; `InitError` saying how to find one if not."""
    cleaned = text.strip()
    if not cleaned.isdigit() or not 0 < int(cleaned) <= _MAX_SNOWFLAKE:
        raise InitError(
            f"{cleaned or 'an empty answer'!r} is not a {what} id: ids are positive numbers "
            f"like 123456789012345678. {HOW_TO_COPY_IDS}"
        )
    return int(cleaned)


def parse_ids(text: str, what: str) -> tuple[int, ...]:
    """Ids separated by commas or spaces."""
    return tuple(parse_id(part, what) for part in text.replace(",", " ").split())


def parse_feed_answer(text: str) -> tuple[FeedChoice, ...]:
    """The feeds a user picked: nothing (all the suggestions), numbers of suggestions,
    URLs of their own, or "none"."""
    words = text.split()
    if not words:
        return tuple(_suggested(feed) for feed in SUGGESTED_FEEDS)
    if [word.lower() for word in words] == ["none"]:
        return ()
    chosen: list[FeedChoice] = []
    for word in words:
        if word.isdigit():
            number = int(word)
            if not 1 <= number <= len(SUGGESTED_FEEDS):
                count = len(SUGGESTED_FEEDS)
                raise InitError(f"there is no suggestion {number}: pick 1 to {count}")
            chosen.append(_suggested(SUGGESTED_FEEDS[number - 1]))
        else:
            chosen.append(FeedChoice(feed_url(word)))
    return tuple(dict.fromkeys(chosen))


def feed_url(text: str) -> str:
    try:
        return validate_feed_url(text)
    except SubscriptionError as exc:
        raise InitError(str(exc)) from None


def _suggested(feed: SuggestedFeed) -> FeedChoice:
    return FeedChoice(feed.url, feed.name, feed.filter)


def render_config(answers: InitAnswers) -> str:
    """The config file for `answers`: the few keys a first run needs, each explained."""
    lines = [
        "# Bazaar configuration, written by `python -m bot init`. Every other setting, with",
        "# its range, is in config.example.toml; `python -m bot doctor` checks this file.",
        "#",
        f"# The bot token is not kept here: set the {TOKEN_ENV} environment variable (or put",
        f"# {TOKEN_ENV}=... in an env file for systemd or Docker, readable only by the bot).",
        "",
        "[discord]",
        "# Servers whose slash commands appear at once (without any: everywhere, within an hour).",
    ]
    if answers.guild_ids:
        lines.append(f"guild_ids = [{', '.join(map(str, answers.guild_ids))}]")
    else:
        lines.append("# guild_ids = [123456789012345678]")
    lines += [
        "",
        "[storage]",
        "# The SQLite database, created on the first run (relative to this file).",
        f"database = {_toml_string(answers.database)}",
        "",
        "# The feeds the bot follows; admins add more from Discord with /feeds add.",
        "# channel_id: right-click the channel (Developer Mode on) → Copy Channel ID.",
    ]
    if not answers.feeds:
        lines += [
            "# None yet: add [[feeds]] blocks with url and channel_id here, or use /feeds add.",
            "# [[feeds]]",
            '# url = "https://huggingface.co/blog/feed.xml"',
            "# channel_id = 123456789012345678",
        ]
    for feed in answers.feeds:
        lines += ["", "[[feeds]]", f"url = {_toml_string(feed.url)}"]
        lines.append(f"channel_id = {answers.channel_id}")
        if feed.name:
            lines.append(f"name = {_toml_string(feed.name)}")
        if feed.filter != "all":
            lines.append(f'filter = "{feed.filter}"  # only the items about open-source AI')
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    """A TOML basic string (quotes, backslashes and control characters escaped)."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def check_rendered(text: str, answers: InitAnswers, path: Path) -> Settings:
    """`text` read back as the bot will read it; it must say exactly what `answers` say."""
    try:
        settings = parse_settings(tomllib.loads(text), base_dir=path.parent, environ={})
    except (tomllib.TOMLDecodeError, ConfigError) as exc:
        raise InitError(f"the config to write does not load ({exc}); nothing was written") from None
    written = (
        settings.discord.guild_ids,
        [(f.url, f.channel_id, f.name) for f in settings.feeds],
        settings.discord.token,
    )
    wanted = (
        answers.guild_ids,
        [(f.url, answers.channel_id, f.name) for f in answers.feeds],
        "",
    )
    if written != wanted:
        raise InitError("the config to write does not read back as given; nothing was written")
    return settings


def next_steps(path: Path, answers: InitAnswers) -> str:
    """What to do after `init`, as the terminal shows it."""
    config = "" if path == DEFAULT_PATH else f" --config {shlex.quote(str(path))}"
    feeds = (
        f"{len(answers.feeds)} feed(s) in channel {answers.channel_id}"
        if answers.feeds
        else "no feeds yet (add them with /feeds add once the bot runs)"
    )
    servers = f"{len(answers.guild_ids)} server(s)" if answers.guild_ids else "no server ids"
    token = TOKEN_ENV
    lines = [
        f"Wrote {path}: {servers}, {feeds}, database {answers.database}.",
        "",
        "Next steps:",
        f"  1. Put the bot token in the {token} environment variable, not in a file you",
        "     share (Developer Portal → your application → Bot → Reset Token). Paste it",
        "     here, unseen and kept out of your shell history:",
        f"       read -rs {token} && export {token}",
        f"     For systemd or Docker, write {token}=<the token> into an env file only",
        "     the bot can read (chmod 600), named in EnvironmentFile= or --env-file.",
        f"  2. Add the bot to your server:  python -m bot invite{config}",
        f"  3. Check everything:            python -m bot doctor{config}",
        f"  4. Run it:                      python -m bot run{config}",
    ]
    return "\n".join(lines) + "\n"


# ---- asking ---------------------------------------------------------------------------------


Ask = Callable[[str], str]  # shows a prompt, returns the answer; EOFError when input ends


def ask_until_valid(ask: Ask, out: TextIO, prompt: str, parse: Callable[[str], object]) -> object:
    """Ask until the answer parses, explaining each refusal."""
    while True:
        try:
            return parse(ask(prompt))
        except InitError as exc:
            print(f"  {exc}", file=out)


def ask_answers(given: InitAnswers, missing: Sequence[str], ask: Ask, out: TextIO) -> InitAnswers:
    """`given`, with the values named in `missing` asked for in the terminal."""
    guild_ids, channel_id, feeds, database = (
        given.guild_ids,
        given.channel_id,
        given.feeds,
        given.database,
    )
    print("A few questions to write your config (Enter takes the default).", file=out)
    print(HOW_TO_COPY_IDS, file=out)
    if "guilds" in missing:
        guild_ids = ask_until_valid(  # type: ignore[assignment]
            ask,
            out,
            "\nServer id(s) to show the slash commands in at once, separated by commas\n"
            "(Enter: none; they then appear everywhere within an hour): ",
            lambda text: parse_ids(text, "server"),
        )
    if "channel" in missing:
        channel_id = ask_until_valid(  # type: ignore[assignment]
            ask,
            out,
            "\nChannel id the news is posted in (Enter: none yet; add feeds later with "
            "/feeds add): ",
            lambda text: parse_id(text, "channel") if text.strip() else None,
        )
    if "feeds" in missing and channel_id is not None:
        print("\nFeeds to follow there (each new story becomes a post):", file=out)
        width = max(len(feed.name) for feed in SUGGESTED_FEEDS)
        for number, feed in enumerate(SUGGESTED_FEEDS, start=1):
            print(f"  {number}. {feed.name:<{width}}  {feed.url}", file=out)
        feeds = ask_until_valid(  # type: ignore[assignment]
            ask,
            out,
            'Enter for all three, numbers to pick some (e.g. "1 3"), feed URLs of your own,\n'
            'or "none": ',
            parse_feed_answer,
        )
    if "database" in missing:
        database = ask_until_valid(  # type: ignore[assignment]
            ask,
            out,
            f"\nDatabase file (Enter: {DEFAULT_DATABASE}, next to the config): ",
            lambda text: text.strip() or DEFAULT_DATABASE,
        )
    print(file=out)
    return InitAnswers(guild_ids, channel_id, feeds, database)


# ---- the command ----------------------------------------------------------------------------


def answers_from_flags(args: argparse.Namespace) -> InitAnswers:
    """What the flags say; `InitError` for an id or URL that cannot be used."""
    guild_ids = tuple(parse_id(str(guild), "server") for guild in args.guild)
    channel_id = None if args.channel is None else parse_id(str(args.channel), "channel")
    feeds = tuple(dict.fromkeys(FeedChoice(feed_url(url)) for url in args.feed))
    database = args.database if args.database is not None else DEFAULT_DATABASE
    if not database.strip():
        raise InitError("--database needs a file name, e.g. bazaar.db")
    return InitAnswers(guild_ids, channel_id, feeds, database.strip())


def init_command(
    args: argparse.Namespace,
    *,
    ask: Ask | None = None,
    interactive: bool | None = None,
    out: TextIO | None = None,
) -> int:
    """Write the config at `args.config` (default ./config.toml): 0 written, 1 refused or
    abandoned, 2 a flag that cannot be used."""
    out = out or sys.stdout
    path = Path(args.config) if args.config else DEFAULT_PATH
    if path.exists() and not args.force:
        print(
            f"error: {path} already exists; nothing was changed. Edit it, choose another "
            "file with --config PATH, or replace it with --force.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    try:
        answers = answers_from_flags(args)
    except InitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    missing = _missing(args)
    if interactive is None:
        interactive = sys.stdin.isatty() and not args.yes
    if interactive and missing:
        try:
            answers = ask_answers(answers, missing, ask or input, out)
        except (EOFError, KeyboardInterrupt):
            print("\nerror: no answer; nothing was written.", file=sys.stderr)
            return EXIT_FAILURE
    elif answers.channel_id is not None and not answers.feeds:
        answers = replace(answers, feeds=tuple(_suggested(feed) for feed in SUGGESTED_FEEDS))
    if answers.feeds and answers.channel_id is None:
        print("error: --feed needs --channel ID, the channel the feeds post in.", file=sys.stderr)
        return EXIT_USAGE
    text = render_config(answers)
    try:
        check_rendered(text, answers, path)
        write_new_file(path, text, overwrite=args.force)
    except InitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    out.write(next_steps(path, answers))
    return EXIT_OK


def _missing(args: argparse.Namespace) -> list[str]:
    missing = []
    if not args.guild:
        missing.append("guilds")
    if args.channel is None:
        missing.append("channel")
    if not args.feed:
        missing.append("feeds")
    if args.database is None:
        missing.append("database")
    return missing


def write_new_file(path: Path, text: str, *, overwrite: bool) -> None:
    """Write `text` to `path` whole (a crash leaves the old file or the new one, never half);
    unless `overwrite`, fail if `path` exists, even if it appeared since the check."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not overwrite:
            with path.open("x", encoding="utf-8") as file:
                file.write(text)
            return
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            # mkstemp makes the file private; the config holds no secret, keep the old mode.
            os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except FileExistsError:
        raise InitError(
            f"{path} already exists; nothing was changed (--force replaces it)"
        ) from None
    except OSError as exc:
        raise InitError(f"cannot write {path}: {exc.strerror or exc}") from None
