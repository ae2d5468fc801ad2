"""Load the TOML config file into typed, validated settings.

Every error names the key that is wrong and what was expected, so a user can fix
the file without reading a traceback.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

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


@dataclass(frozen=True)
class NetworkSettings:
    allow_private_networks: bool = False
    user_agent_contact: str = ""


@dataclass(frozen=True)
class PublishSettings:
    threads: bool = True
    thread_auto_archive_minutes: int = 1440


@dataclass(frozen=True)
class FeedSettings:
    url: str
    channel_id: int
    name: str | None = None


@dataclass(frozen=True)
class Settings:
    discord: DiscordSettings = DiscordSettings()
    storage: StorageSettings = StorageSettings()
    polling: PollingSettings = PollingSettings()
    network: NetworkSettings = NetworkSettings()
    publish: PublishSettings = PublishSettings()
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
    _reject_unknown(raw, "", {"discord", "storage", "polling", "network", "publish", "feeds"})
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

    defaults = PollingSettings()
    _reject_unknown(polling_raw, "polling.", set(PollingSettings.__dataclass_fields__))
    polling = PollingSettings(
        interval_seconds=_positive(
            polling_raw, "polling.interval_seconds", defaults.interval_seconds
        ),
        backfill=_non_negative(polling_raw, "polling.backfill", defaults.backfill),
        max_age_days=_positive(polling_raw, "polling.max_age_days", defaults.max_age_days),
        timeout_seconds=_positive_float(
            polling_raw, "polling.timeout_seconds", defaults.timeout_seconds
        ),
        max_concurrent_fetches=_positive(
            polling_raw, "polling.max_concurrent_fetches", defaults.max_concurrent_fetches
        ),
        max_body_bytes=_positive(polling_raw, "polling.max_body_bytes", defaults.max_body_bytes),
    )

    _reject_unknown(network_raw, "network.", set(NetworkSettings.__dataclass_fields__))
    network = NetworkSettings(
        allow_private_networks=_get(network_raw, "network.allow_private_networks", bool, False),
        user_agent_contact=_get(network_raw, "network.user_agent_contact", str, ""),
    )

    _reject_unknown(publish_raw, "publish.", set(PublishSettings.__dataclass_fields__))
    archive = _get(publish_raw, "publish.thread_auto_archive_minutes", int, 1440)
    if archive not in (60, 1440, 4320, 10080):
        raise ConfigError(
            "publish.thread_auto_archive_minutes must be one of 60, 1440, 4320, 10080 "
            f"(got {archive})"
        )
    publish = PublishSettings(
        threads=_get(publish_raw, "publish.threads", bool, True),
        thread_auto_archive_minutes=archive,
    )

    return Settings(
        discord=DiscordSettings(token=token.strip(), guild_ids=guild_ids),
        storage=StorageSettings(database=database),
        polling=polling,
        network=network,
        publish=publish,
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
        _reject_unknown(entry, f"{where}.", {"url", "channel_id", "name"})
        url = _required(entry, f"{where}.url", str).strip()
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url must start with http:// or https:// (got {url!r})")
        channel_id = _required(entry, f"{where}.channel_id", int)
        if channel_id <= 0:
            raise ConfigError(f"{where}.channel_id must be a Discord channel id (got {channel_id})")
        name = _get(entry, f"{where}.name", str, "") or None
        feeds.append(FeedSettings(url=url, channel_id=channel_id, name=name))
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


def _positive(table: Mapping[str, Any], key: str, default: int) -> int:
    value = _get(table, key, int, default)
    if value <= 0:
        raise ConfigError(f"{key} must be greater than 0 (got {value})")
    return value


def _non_negative(table: Mapping[str, Any], key: str, default: int) -> int:
    value = _get(table, key, int, default)
    if value < 0:
        raise ConfigError(f"{key} must be 0 or more (got {value})")
    return value


def _positive_float(table: Mapping[str, Any], key: str, default: float) -> float:
    value = _get(table, key, float, default)
    if value <= 0:
        raise ConfigError(f"{key} must be greater than 0 (got {value})")
    return value


def _int_list(table: Mapping[str, Any], key: str) -> list[int]:
    value = table.get(_short_name(key), [])
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ConfigError(f"{key} must be a list of integer ids (got {value!r})")
    return value
