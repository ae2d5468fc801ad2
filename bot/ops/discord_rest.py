"""A few read-only calls to Discord's REST API, for the doctor: who the token is, which
servers it is in, a channel, a server's roles, the bot's own member. Not discord.py (only the
bot itself runs that): plain httpx, the bot token, and Discord's rate limits respected."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from bot import __version__
from bot.ops.permissions import Guild, Member, Overwrite, OverwriteKind, Role

DISCORD_API = "https://discord.com/api/v10"
# Discord asks for `DiscordBot ($url, $version)`; the bot has no public home page to name.
USER_AGENT = f"DiscordBot (Bazaar, {__version__}) Bazaar doctor"


class DiscordRestError(Exception):
    """Discord answered with an error: its HTTP status, its JSON error code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"HTTP {status}" + (f" (code {code})" if code else "") + f": {message}")
        self.status = status
        self.code = code
        self.message = message


class DiscordUnreachable(Exception):
    """No answer from Discord at all (network, DNS, TLS, timeout)."""


@dataclass(frozen=True)
class BotUser:
    id: int
    name: str


@dataclass(frozen=True)
class PartialGuild:
    """A server the bot is in, as GET /users/@me/guilds lists it."""

    id: int
    name: str


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    type: int
    guild_id: int | None
    overwrites: tuple[Overwrite, ...]


class DiscordRest:
    """GETs with `Authorization: Bot <token>`; a 429 is waited out and retried once if
    Discord's `retry_after` still fits in `deadline` seconds from the first call."""

    def __init__(
        self,
        token: str,
        *,
        api_base: str = DISCORD_API,
        deadline: float = 60.0,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=api_base.rstrip("/"),
            headers={"Authorization": f"Bot {token}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
        )
        self._ends_at = time.monotonic() + deadline

    async def __aenter__(self) -> DiscordRest:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def get(self, path: str) -> Any:
        """The JSON Discord answers to GET `path`; `DiscordRestError` or `DiscordUnreachable`."""
        for attempt in (1, 2):
            try:
                response = await self._client.get(path)
            except httpx.HTTPError as exc:
                # The message never carries the headers, so never the token.
                raise DiscordUnreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
            if response.status_code == 429 and attempt == 1:
                wait = _retry_after(response)
                if wait is not None and time.monotonic() + wait <= self._ends_at:
                    await asyncio.sleep(wait)
                    continue
            if response.status_code >= 400:
                raise _error(response)
            try:
                return response.json()
            except ValueError:
                raise DiscordRestError(response.status_code, 0, "not a JSON answer") from None
        raise AssertionError("unreachable")  # the second attempt returns or raises

    async def current_user(self) -> BotUser:
        user = await self.get("/users/@me")
        with _unexpected("/users/@me"):
            return BotUser(int(user["id"]), str(user.get("username", "")))

    async def guilds(self) -> list[PartialGuild]:
        """The servers the bot is in (the first 200, plenty for one self-hosted bot)."""
        found = await self.get("/users/@me/guilds?limit=200")
        with _unexpected("/users/@me/guilds"):
            return [PartialGuild(int(g["id"]), str(g.get("name", ""))) for g in found]

    async def guild(self, guild_id: int) -> Guild:
        """The server with its roles and owner (what permissions are computed from)."""
        data = await self.get(f"/guilds/{guild_id}")
        with _unexpected(f"/guilds/{guild_id}"):
            roles = tuple(
                Role(
                    id=int(role["id"]),
                    name=str(role.get("name", "")),
                    permissions=int(role.get("permissions", 0)),
                    mentionable=bool(role.get("mentionable", False)),
                )
                for role in data.get("roles", [])
            )
            return Guild(int(data["id"]), str(data.get("name", "")), int(data["owner_id"]), roles)

    async def member(self, guild_id: int, user_id: int) -> Member:
        data = await self.get(f"/guilds/{guild_id}/members/{user_id}")
        with _unexpected(f"/guilds/{guild_id}/members/{user_id}"):
            return Member(user_id, tuple(int(role) for role in data.get("roles", [])))

    async def channel(self, channel_id: int) -> Channel:
        """The channel with its permission overwrites."""
        data = await self.get(f"/channels/{channel_id}")
        with _unexpected(f"/channels/{channel_id}"):
            guild = data.get("guild_id")
            return Channel(
                id=int(data["id"]),
                name=str(data.get("name") or data["id"]),
                type=int(data.get("type", 0)),
                guild_id=None if guild is None else int(guild),
                overwrites=tuple(
                    Overwrite(
                        id=int(o["id"]),
                        kind=OverwriteKind(int(o.get("type", 0))),
                        allow=int(o.get("allow", 0)),
                        deny=int(o.get("deny", 0)),
                    )
                    for o in data.get("permission_overwrites", [])
                ),
            )


@contextlib.contextmanager
def _unexpected(path: str) -> Iterator[None]:
    """An answer of a shape Discord does not send is an error, not a traceback."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError):
        raise DiscordRestError(200, 0, f"unexpected answer to GET {path}") from None


def _retry_after(response: httpx.Response) -> float | None:
    """How long Discord asks to wait: `retry_after` in the body, else `Retry-After`."""
    try:
        return max(0.0, float(response.json()["retry_after"]))
    except (ValueError, KeyError, TypeError):
        pass
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def _error(response: httpx.Response) -> DiscordRestError:
    try:
        body = response.json()
        code, message = int(body.get("code", 0)), str(body.get("message", ""))
    except (ValueError, AttributeError, TypeError):
        code, message = 0, ""
    return DiscordRestError(response.status_code, code, message or response.reason_phrase)
