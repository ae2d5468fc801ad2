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
from typing import Any, Literal, TypeVar

from bot.content.lexicon import Lexicon
from bot.models import FeedFilter

TOKEN_ENV = "DISCORD_TOKEN"

T = TypeVar("T")


class ConfigError(Exception):
    """The config file is missing, unreadable, or has a wrong key or value."""


@dataclass(frozen=True)
class Between:
    """The values a number in the config file may take: `lowest` to `highest`, both included."""

    lowest: float
    highest: float

    def allows(self, value: float) -> bool:
        # Written so that NaN, which compares false with everything, is refused too.
        return self.lowest <= value <= self.highest

    def __str__(self) -> str:
        return f"between {self.lowest} and {self.highest}"


@dataclass(frozen=True)
class OneOf:
    """The values a number in the config file may take: exactly one of `choices`."""

    choices: tuple[int, ...]

    def allows(self, value: float) -> bool:
        return value in self.choices

    def __str__(self) -> str:
        return "one of " + ", ".join(map(str, self.choices))


# Where a numeric settings field declares what the config file may set it to.
_ALLOWED = "allowed"
# Discord ids are 64-bit snowflakes, and SQLite stores them as signed 64-bit integers.
_DISCORD_ID = Between(1, 2**63 - 1)


def _number(default: T, allowed: Between | OneOf) -> T:
    """A numeric settings field: its default, and the values a config file may give it."""
    return field(default=default, metadata={_ALLOWED: allowed})


@dataclass(frozen=True)
class DiscordSettings:
    token: str = field(default="", repr=False)
    guild_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StorageSettings:
    database: Path = Path("bazaar.db")
    # A PostgreSQL database instead of the SQLite file ("postgresql://..."); it may hold a
    # password, so it is never shown whole.
    url: str | None = field(default=None, repr=False)

    @property
    def location(self) -> Path | str:
        """What `Store.open` takes: the PostgreSQL URL if set, else the SQLite file."""
        return self.url or self.database

    @property
    def key(self) -> str:
        """The config key that says where the database is, for error messages."""
        return "storage.url" if self.url else "storage.database"

    @property
    def shown(self) -> str:
        """Where the database is, for logs and messages (a URL without its password)."""
        if self.url is None:
            return str(self.database)
        from bot.store.urls import redacted  # here: reading a config loads no store package

        return redacted(self.url)


@dataclass(frozen=True)
class PollingSettings:
    # Up to a week; min_interval_seconds, not this, is the politeness floor.
    interval_seconds: int = _number(900, Between(1, 7 * 86400))
    backfill: int = _number(3, Between(0, 100))
    max_age_days: int = _number(7, Between(1, 3650))
    timeout_seconds: float = _number(20.0, Between(1, 300))
    max_concurrent_fetches: int = _number(8, Between(1, 64))
    max_body_bytes: int = _number(10 * 1024 * 1024, Between(1024, 100 * 1024 * 1024))
    # Never poll a feed more often than this, whatever else says so.
    min_interval_seconds: int = _number(60, Between(1, 86400))
    # The backoff doubles up to 2**30 times before the cap applies: a base above about
    # 22 hours would overflow timedelta, so it is held to 6 hours.
    backoff_base_seconds: int = _number(300, Between(1, 6 * 3600))
    backoff_max_seconds: int = _number(6 * 3600, Between(1, 7 * 86400))
    pause_after_failures: int = _number(10, Between(1, 1000))
    # Fetch the linked page when a feed carries only a teaser of an item to be posted.
    full_articles: bool = True
    # Read feed documents in worker processes, one per core (false: in a thread).
    parse_in_processes: bool = True
    # After each cycle, collect and freeze the surviving heap (short GC pauses; bot.heap).
    freeze_heap: bool = True


@dataclass(frozen=True)
class NetworkSettings:
    allow_private_networks: bool = False
    user_agent_contact: str = ""
    per_host_concurrency: int = _number(2, Between(1, 32))
    per_host_delay_seconds: float = _number(1.0, Between(0, 60))


@dataclass(frozen=True)
class PublishSettings:
    threads: bool = True
    # The only durations Discord accepts.
    thread_auto_archive_minutes: int = _number(1440, OneOf((60, 1440, 4320, 10080)))
    # Where feed problems are reported; 0 means the channel the feed posts in.
    log_channel_id: int = _number(0, Between(0, _DISCORD_ID.highest))


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible chat completions endpoint (Ollama, llama.cpp, vLLM, hosted)."""

    enabled: bool = False
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = ""
    # The name of the environment variable holding the API key (never the key itself).
    api_key_env: str = ""
    # Local models on a CPU can take minutes for one summary.
    timeout_seconds: float = _number(60.0, Between(1, 1800))
    max_concurrent_requests: int = _number(2, Between(1, 32))
    max_input_tokens: int = _number(3000, Between(100, 1_000_000))
    temperature: float = _number(0.2, Between(0, 2))


@dataclass(frozen=True)
class DiscussionSettings:
    """Recaps of Hacker News and Reddit comment threads, posted in the item's thread."""

    enabled: bool = True
    max_comments: int = _number(200, Between(1, 5000))
    max_bytes: int = _number(2_000_000, Between(1024, 100 * 1024 * 1024))
    timeout_seconds: float = _number(20.0, Between(1, 300))
    hn_api: str = "https://hacker-news.firebaseio.com/v0"
    reddit_base: str = "https://www.reddit.com"


@dataclass(frozen=True)
class FeedSettings:
    url: str
    channel_id: int = field(metadata={_ALLOWED: _DISCORD_ID})
    name: str | None = None
    # "relevant" posts only items about open-source AI (for general tech feeds).
    filter: FeedFilter = FeedFilter.ALL


@dataclass(frozen=True)
class LoggingSettings:
    """Where and how the bot logs; the command line's --log-* options win over these."""

    level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR
    format: str = "text"  # or "json": one object per line
    file: Path | None = None  # also log here, rotated at 10 MB (stderr always)


# gateway.shard_count = "auto": as many shards as Discord recommends (GET /gateway/bot).
AUTO_SHARDS = "auto"
# Far above any bot's need: Discord asks for one shard per 2,500 servers.
_SHARD_COUNTS = Between(0, 65536)


@dataclass(frozen=True)
class GatewaySettings:
    """How this process connects to Discord's gateway: one connection, or shards."""

    # 0: one unsharded connection; "auto": Discord's recommended count; N: N shards.
    shard_count: int | Literal["auto"] = 0
    # The shards this process runs (sorted); empty: all of them.
    shard_ids: tuple[int, ...] = ()

    @property
    def sharded(self) -> bool:
        return self.shard_count != 0


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_LOG_FORMATS = ("text", "json")


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
    logging: LoggingSettings = LoggingSettings()
    gateway: GatewaySettings = GatewaySettings()
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
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except ValueError as exc:  # TOMLDecodeError, or an integer of thousands of digits
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
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
            "logging",
            "gateway",
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

    _reject_unknown(storage_raw, "storage.", {"database", "url"})
    database = Path(_get(storage_raw, "storage.database", str, "bazaar.db"))
    if not database.is_absolute() and str(database) != ":memory:":
        database = base_dir / database
    url = _storage_url(storage_raw)

    logging_settings = _logging(_table(raw, "logging"), base_dir)
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

    return Settings(
        discord=DiscordSettings(token=token.strip(), guild_ids=guild_ids),
        storage=StorageSettings(database=database, url=url),
        polling=polling,
        network=network,
        publish=publish,
        llm=llm,
        relevance=lexicon,
        discussions=discussions,
        logging=logging_settings,
        gateway=_gateway(_table(raw, "gateway")),
        feeds=_feeds(raw.get("feeds", [])),
    )


def _logging(table: Mapping[str, Any], base_dir: Path) -> LoggingSettings:
    _reject_unknown(table, "logging.", {"level", "format", "file"})
    level = _get(table, "logging.level", str, "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"logging.level must be one of {', '.join(_LOG_LEVELS)} (got {level!r})")
    form = _get(table, "logging.format", str, "text").lower()
    if form not in _LOG_FORMATS:
        raise ConfigError(f"logging.format must be text or json (got {form!r})")
    file = _get(table, "logging.file", str, "")
    path = Path(file) if file else None
    if path is not None and not path.is_absolute():
        path = base_dir / path
    return LoggingSettings(level=level, format=form, file=path)


def _gateway(table: Mapping[str, Any]) -> GatewaySettings:
    _reject_unknown(table, "gateway.", {"shard_count", "shard_ids"})
    count = table.get("shard_count", 0)
    if isinstance(count, str) and count.lower() == AUTO_SHARDS:
        count = AUTO_SHARDS
    if count != AUTO_SHARDS and (
        not isinstance(count, int) or isinstance(count, bool) or not _SHARD_COUNTS.allows(count)
    ):
        raise ConfigError(
            f'gateway.shard_count must be "auto" or a whole number {_SHARD_COUNTS} (got {count!r})'
        )
    if "shard_ids" not in table:
        return GatewaySettings(shard_count=count)
    ids = table["shard_ids"]
    if count == AUTO_SHARDS:
        raise ConfigError(
            "gateway.shard_ids needs gateway.shard_count set to the total number of shards, "
            'not "auto" (every process must use the same count)'
        )
    if count == 0:
        raise ConfigError(
            "gateway.shard_ids needs gateway.shard_count set to the total number of shards "
            "(it is 0: one unsharded connection)"
        )
    if not isinstance(ids, list) or not ids:
        raise ConfigError(
            f"gateway.shard_ids must be a list of shard ids such as [0, 1] (got {ids!r}); "
            "leave it out to run every shard"
        )
    seen: set[int] = set()
    for shard in ids:
        if not isinstance(shard, int) or isinstance(shard, bool) or shard < 0:
            raise ConfigError(f"gateway.shard_ids: {shard!r} is not a shard id (0, 1, 2...)")
        if shard >= count:
            raise ConfigError(f"gateway.shard_ids: {shard} is not below shard_count {count}")
        if shard in seen:
            raise ConfigError(f"gateway.shard_ids: {shard} is listed twice")
        seen.add(shard)
    return GatewaySettings(shard_count=count, shard_ids=tuple(sorted(ids)))


# The channel id config.example.toml ships with: a config still holding it was never edited.
PLACEHOLDER_CHANNEL_ID = 123456789012345678


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
        _check_number(f"{where}.channel_id", channel_id, _allowed(FeedSettings, "channel_id"))
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


def _storage_url(table: Mapping[str, Any]) -> str | None:
    """storage.url, checked as libpq reads it (the server is only reached at start)."""
    url = _get(table, "storage.url", str, "").strip()
    if not url:
        return None
    if "database" in table:
        raise ConfigError(
            "storage.url and storage.database are both set: keep storage.url for PostgreSQL,"
            " or storage.database for a SQLite file"
        )
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "storage.url must be a PostgreSQL URL, postgresql://user@host/database"
            " (for a SQLite file, set storage.database instead)"
        )
    # Imported only here: processes of a SQLite bot never load psycopg.
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    from bot.store.urls import redacted

    try:
        conninfo_to_dict(url)
    except psycopg.Error as exc:
        reason = str(exc).strip().replace(url, redacted(url))
        raise ConfigError(f"storage.url is not a valid PostgreSQL URL: {reason}") from None
    return url


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
    # An integer is a number too; it stays an int here, since float() of a huge one overflows.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return value  # type: ignore[return-value]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{key} must be {_KIND_NAMES[kind]} (got {value!r})")
    return value


def _section(cls: type[T], table: Mapping[str, Any], name: str) -> T:
    """Build settings dataclass `cls` from `table`: each field is a key, its default the type.

    A number is checked against the values its field declares with `_number`.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    _reject_unknown(table, f"{name}.", {f.name for f in fields})
    values = {}
    for f in fields:
        key = f"{name}.{f.name}"
        value = _get(table, key, type(f.default), f.default)
        if isinstance(value, int | float) and not isinstance(value, bool):
            _check_number(key, value, _allowed(cls, f.name))
            value = type(f.default)(value)  # `timeout_seconds = 20` is 20.0
        values[f.name] = value
    return cls(**values)


def _allowed(cls: type, field_name: str) -> Between | OneOf:
    (found,) = (f for f in dataclasses.fields(cls) if f.name == field_name)
    if _ALLOWED not in found.metadata:
        # A programming error, caught by any test that parses a config.
        raise TypeError(f"{cls.__name__}.{field_name} is a number without declared values")
    return found.metadata[_ALLOWED]


def _check_number(key: str, value: float, allowed: Between | OneOf) -> None:
    if not allowed.allows(value):
        raise ConfigError(f"{key} must be {allowed} (got {value})")


def _int_list(table: Mapping[str, Any], key: str) -> list[int]:
    value = table.get(_short_name(key), [])
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ConfigError(f"{key} must be a list of integer ids (got {value!r})")
    for index, item in enumerate(value):
        _check_number(f"{key}[{index}]", item, _DISCORD_ID)
    return value
