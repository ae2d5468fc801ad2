"""Load the TOML config file into typed, validated settings.

Every error names the key that is wrong and what was expected, so a user can fix
the file without reading a traceback.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.content.lexicon import Lexicon
from bot.models import FeedFilter

TOKEN_ENV = "DISCORD_TOKEN"

T = TypeVar("T")


class ConfigError(Exception):
    """The config file is missing, unreadable, or has a wrong key or value."""


@dataclass(frozen=True)
class DiscordSettings:
    token: str = field(default="", repr=False)
    guild_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StorageSettings:
    database: Path = Path("bazaar.db")


@dataclass(frozen=True)
class PollingSettings:
    interval_seconds: int = 900
    backfill: int = 3
    max_age_days: int = 7
    timeout_seconds: float = 20.0
    max_concurrent_fetches: int = 8
    max_body_bytes: int = 10 * 1024 * 1024
    # Never poll a feed more often than this, whatever else says so.
    min_interval_seconds: int = 60
    backoff_base_seconds: int = 300
    backoff_max_seconds: int = 6 * 3600
    pause_after_failures: int = 10
    # Fetch the linked page when a feed carries only a teaser of an item to be posted.
    full_articles: bool = True


@dataclass(frozen=True)
class NetworkSettings:
    allow_private_networks: bool = False
    user_agent_contact: str = ""
    per_host_concurrency: int = 2
    per_host_delay_seconds: float = 1.0


@dataclass(frozen=True)
class PublishSettings:
    threads: bool = True
    thread_auto_archive_minutes: int = 1440
    # Where feed problems are reported; 0 means the channel the feed posts in.
    log_channel_id: int = 0


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible chat completions endpoint (Ollama, llama.cpp, vLLM, hosted)."""

    enabled: bool = False
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = ""
    # The name of the environment variable holding the API key (never the key itself).
    api_key_env: str = ""
    timeout_seconds: float = 60.0
    max_concurrent_requests: int = 2
    max_input_tokens: int = 3000
    temperature: float = 0.2


@dataclass(frozen=True)
class DiscussionSettings:
    """Recaps of Hacker News and Reddit comment threads, posted in the item's thread."""

    enabled: bool = True
    max_comments: int = 200
    max_bytes: int = 2_000_000
    timeout_seconds: float = 20.0
    hn_api: str = "https://hacker-news.firebaseio.com/v0"
    reddit_base: str = "https://www.reddit.com"


@dataclass(frozen=True)
class FeedSettings:
    url: str
    channel_id: int
    name: str | None = None
    # "relevant" posts only items about open-source AI (for general tech feeds).
    filter: FeedFilter = FeedFilter.ALL


@dataclass(frozen=True)
class Settings:
    discord: DiscordSettings = DiscordSettings()
    storage: StorageSettings = StorageSettings()
    polling: PollingSettings = PollingSettings()
    network: NetworkSettings = NetworkSettings()
    publish: PublishSettings = PublishSettings()
    llm: LLMSettings = LLMSettings()
    relevance: Lexicon = field(default_factory=Lexicon.default)
    discussions: DiscussionSettings = DiscussionSettings()
    feeds: tuple[FeedSettings, ...] = ()


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the config at `path`; `DISCORD_TOKEN` in `environ` wins over the file."""
    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    return parse_settings(raw, base_dir=path.parent, environ=environ)


def parse_settings(
    raw: Mapping[str, Any], *, base_dir: Path, environ: Mapping[str, str]
) -> Settings:
    """Validate an already-parsed TOML document; relative paths resolve against `base_dir`."""
    _reject_unknown(
        raw,
        "",
        {
            "discord",
            "storage",
            "polling",
            "network",
            "publish",
            "llm",
            "relevance",
            "discussions",
            "feeds",
        },
    )
    discord_raw = _table(raw, "discord")
    storage_raw = _table(raw, "storage")
    polling_raw = _table(raw, "polling")
    network_raw = _table(raw, "network")
    publish_raw = _table(raw, "publish")

    _reject_unknown(discord_raw, "discord.", {"token", "guild_ids"})
    token = environ.get(TOKEN_ENV) or _get(discord_raw, "discord.token", str, "")
    guild_ids = tuple(_int_list(discord_raw, "discord.guild_ids"))

    _reject_unknown(storage_raw, "storage.", {"database"})
    database = Path(_get(storage_raw, "storage.database", str, "bazaar.db"))
    if not database.is_absolute() and str(database) != ":memory:":
        database = base_dir / database

    polling = _section(PollingSettings, polling_raw, "polling")
    network = _section(NetworkSettings, network_raw, "network")
    publish = _section(PublishSettings, publish_raw, "publish")
    llm = _section(LLMSettings, _table(raw, "llm"), "llm")
    discussions = _section(DiscussionSettings, _table(raw, "discussions"), "discussions")
    try:
        lexicon = Lexicon.from_config(_table(raw, "relevance"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if llm.enabled and not llm.model:
        raise ConfigError("llm.model must name the model to use when llm.enabled = true")
    if publish.thread_auto_archive_minutes not in (60, 1440, 4320, 10080):
        raise ConfigError(
            "publish.thread_auto_archive_minutes must be one of 60, 1440, 4320, 10080 "
            f"(got {publish.thread_auto_archive_minutes})"
        )

    return Settings(
        discord=DiscordSettings(token=token.strip(), guild_ids=guild_ids),
        storage=StorageSettings(database=database),
        polling=polling,
        network=network,
        publish=publish,
        llm=llm,
        relevance=lexicon,
        discussions=discussions,
        feeds=_feeds(raw.get("feeds", [])),
    )


def _feeds(raw: object) -> tuple[FeedSettings, ...]:
    if not isinstance(raw, list):
        raise ConfigError("feeds must be an array of tables: write each feed as [[feeds]]")
    feeds = []
    for index, entry in enumerate(raw):
        where = f"feeds[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table with url and channel_id")
        _reject_unknown(entry, f"{where}.", {"url", "channel_id", "name", "filter"})
        url = _required(entry, f"{where}.url", str).strip()
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url must start with http:// or https:// (got {url!r})")
        channel_id = _required(entry, f"{where}.channel_id", int)
        if channel_id <= 0:
            raise ConfigError(f"{where}.channel_id must be a Discord channel id (got {channel_id})")
        name = _get(entry, f"{where}.name", str, "") or None
        feed_filter = _get(entry, f"{where}.filter", str, FeedFilter.ALL.value)
        if feed_filter not in {f.value for f in FeedFilter}:
            raise ConfigError(f'{where}.filter must be "all" or "relevant" (got {feed_filter!r})')
        feeds.append(
            FeedSettings(url=url, channel_id=channel_id, name=name, filter=FeedFilter(feed_filter))
        )
    return tuple(feeds)


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table")
    return value


def _reject_unknown(table: Mapping[str, Any], prefix: str, known: set[str]) -> None:
    for key in table:
        if key not in known:
            choices = ", ".join(sorted(prefix + k for k in known))
            raise ConfigError(f"unknown key {prefix}{key} (known keys: {choices})")


def _short_name(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _get(table: Mapping[str, Any], key: str, kind: type[T], default: T) -> T:
    name = _short_name(key)
    if name not in table:
        return default
    return _typed(table[name], key, kind)


def _required(table: Mapping[str, Any], key: str, kind: type[T]) -> T:
    name = _short_name(key)
    if name not in table:
        raise ConfigError(f"missing key {key}")
    return _typed(table[name], key, kind)


_KIND_NAMES = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}


def _typed(value: object, key: str, kind: type[T]) -> T:
    # bool is a subclass of int in Python, but `backfill = true` is a mistake worth reporting.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{key} must be {_KIND_NAMES[kind]} (got {value!r})")
    return value


# Keys that may be 0; every other number must be greater than 0.
_ZERO_ALLOWED = {
    "polling.backfill",
    "publish.log_channel_id",
    "network.per_host_delay_seconds",
    "llm.temperature",
}


def _section(cls: type[T], table: Mapping[str, Any], name: str) -> T:
    """Build settings dataclass `cls` from `table`: each field is a key, its default the type."""
    fields = {f.name: f.default for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    _reject_unknown(table, f"{name}.", set(fields))
    values = {}
    for field_name, default in fields.items():
        key = f"{name}.{field_name}"
        value = _get(table, key, type(default), default)
        if isinstance(value, int | float) and not isinstance(value, bool):
            _check_number(key, value)
        values[field_name] = value
    return cls(**values)


def _check_number(key: str, value: float) -> None:
    if key in _ZERO_ALLOWED:
        if value < 0:
            raise ConfigError(f"{key} must be 0 or more (got {value})")
    elif value <= 0:
        raise ConfigError(f"{key} must be greater than 0 (got {value})")


def _int_list(table: Mapping[str, Any], key: str) -> list[int]:
    value = table.get(_short_name(key), [])
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ConfigError(f"{key} must be a list of integer ids (got {value!r})")
    return value
