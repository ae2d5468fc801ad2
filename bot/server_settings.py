"""Each server's settings: what `/bazaar settings` shows and sets, and what the publisher,
the pipeline and the digest scheduler read (kept in memory, refreshed when an admin sets
one; one process writes them: the bot's)."""

from __future__ import annotations

from bot.config import Settings
from bot.decide.server_settings import (
    KEYS,
    DigestEvery,
    ServerSettings,
    SettingError,
    apply_setting,
)
from bot.store import Store

__all__ = ["ServerSettingsService", "SettingError", "defaults_from"]


def defaults_from(settings: Settings) -> ServerSettings:
    """Every server's settings before its admins change any: the config file's."""
    publish = settings.publish
    return ServerSettings(
        log_channel_id=publish.log_channel_id or None,
        threads=publish.threads,
        thread_auto_archive_minutes=publish.thread_auto_archive_minutes,
    )


class ServerSettingsService:
    def __init__(self, store: Store, defaults: ServerSettings) -> None:
        self._store = store
        self._defaults = defaults
        self._known: dict[int, ServerSettings] = {}

    @property
    def defaults(self) -> ServerSettings:
        return self._defaults

    async def get(self, guild_id: int | None) -> ServerSettings:
        """The server's settings (the defaults for a channel of no known server)."""
        if guild_id is None:
            return self._defaults
        found = self._known.get(guild_id)
        if found is None:
            stored = await self._store.server_settings(guild_id)
            found = self._known[guild_id] = ServerSettings.of(self._defaults, stored)
        return found

    async def set(self, guild_id: int, key: str, value: str) -> ServerSettings:
        """Set `key` from what an admin typed ("default" forgets it); `SettingError` with
        the reason if it cannot be used. Returns the server's settings after."""
        key = key.strip().lower()
        value = " ".join(value.split())
        if value.lower() == "default":
            if key not in KEYS:
                apply_setting(self._defaults, key, value)  # raises: no such key
            await self._store.set_server_setting(guild_id, key, None)
        else:
            after = apply_setting(await self.get(guild_id), key, value)  # or raises
            if key == "digest" and _digest_has_no_channel(after):
                raise SettingError(
                    "say where to post it: add a #channel after the time zone, or set "
                    "default_channel first"
                )
            await self._store.set_server_setting(guild_id, key, value)
        self._known.pop(guild_id, None)
        return await self.get(guild_id)


def _digest_has_no_channel(settings: ServerSettings) -> bool:
    digest = settings.digest
    return digest.every is not DigestEvery.OFF and not (
        digest.channel_id or settings.default_channel_id
    )
