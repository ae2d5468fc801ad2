"""A fake Discord server for end-to-end tests of discord.py bots.

`FakeDiscord` runs an aiohttp server on 127.0.0.1 that speaks enough of Discord's REST API (v10)
and gateway protocol for an unmodified ``discord.ext.commands.Bot`` (discord.py 2.7) to log in,
sync application commands, receive slash-command, autocomplete and button interactions, answer
them, post and edit messages and create threads. Only two class attributes of discord.py are
patched (see `FakeDiscord.patch_discord`): the REST base URL and the default gateway URL.

Typical use::

    fake = FakeDiscord()
    await fake.start()
    with fake.patch_discord():
        task = asyncio.create_task(bot.start("fake-token"))
        await fake.wait_until_ready()
        interaction = await fake.invoke_slash("ping")
        assert (await interaction.final_message())["content"] == "pong"
        await bot.close()
        await task
    await fake.stop()

Everything the bot does is recorded (``requests``, ``messages``, ``threads``, ...), and every
recording wakes `FakeDiscord.wait_for`: tests wait on conditions, never on sleeps.

Conventions: Discord payloads (messages, threads, interactions) are kept exactly as Discord's JSON
has them, so snowflakes inside them are *strings*. What the fake adds is int: the keys of
``messages``, the values of ``channel_ids``, a thread record's ``message_id`` (the message it was
started from, None for a thread created without one). Recorded REST paths are relative to
``/api/v10`` and carry no query string.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSCloseCode, WSMsgType, web

__all__ = [
    "ADMIN_PERMISSIONS",
    "BOT_PERMISSIONS",
    "MEMBER_PERMISSIONS",
    "AttachmentRef",
    "ChannelRef",
    "DiscordError",
    "FakeDiscord",
    "Interaction",
    "RoleRef",
    "SteppedClock",
    "shard_of",
    "snowflake_at",
]

JSON = dict[str, Any]

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"
CDN_PREFIX = "/ephemeral-attachments/"
DISCORD_EPOCH_MS = 1_420_070_400_000
HEARTBEAT_INTERVAL_MS = 41_250
HEARTBEAT_ACK_DELAY_SECONDS = 0.02
# Gateway close codes (discord.py does not reconnect after either).
INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011

ADMIN_PERMISSIONS: int = discord.Permissions.all().value
"""Every permission bit, including ADMINISTRATOR and MANAGE_GUILD."""

MEMBER_PERMISSIONS: int = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_application_commands=True,
).value
"""What a regular member may do (and the @everyone role's permissions): no MANAGE_GUILD."""

BOT_PERMISSIONS: int = (
    MEMBER_PERMISSIONS
    | discord.Permissions(manage_messages=True, manage_threads=True, mention_everyone=True).value
)
"""The bot's permissions (its managed role), also sent as ``app_permissions``."""


class Op(IntEnum):
    """Gateway opcodes."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class OptionType(IntEnum):
    """Application command option types."""

    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


class InteractionType(IntEnum):
    """Interaction types the fake dispatches."""

    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4


class CallbackType(IntEnum):
    """Interaction callback (response) types."""

    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


CHANNEL_TYPE_TEXT = 0
CHANNEL_TYPE_DM = 1
CHANNEL_TYPE_FORUM = 15
MAX_APPLIED_TAGS = 5
THREAD_TYPES = (10, 11, 12)
PUBLIC_THREAD = 11

MESSAGE_TYPE_DEFAULT = 0
MESSAGE_TYPE_REPLY = 19
MESSAGE_TYPE_CHAT_INPUT_COMMAND = 20

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15
SENDABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_IS_COMPONENTS_V2

AUTO_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION_RE = re.compile(r"@(everyone|here)\b")
URL_SCHEMES = ("http://", "https://", "attachment://")


# --------------------------------------------------------------------------------------------
# Small value types and helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRef:
    """A CHANNEL option value: ``invoke_slash(..., {"channel": ChannelRef(channel_id)})``."""

    id: int


@dataclass(frozen=True)
class AttachmentRef:
    """An ATTACHMENT option value: ``invoke_slash(..., {"file": fake.attachment(name, data)})``."""

    id: int


@dataclass(frozen=True)
class RoleRef:
    """A ROLE option value: ``invoke_slash(..., {"role": RoleRef(fake.ping_role_id)})``."""

    id: int


class DiscordError(Exception):
    """Raised inside a REST handler to answer with Discord's error format.

    The body is ``{"code": code, "message": message}`` plus ``"errors"`` for form errors (50035).
    """

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def to_response(self) -> web.Response:
        """The HTTP response Discord would send for this error."""
        body: JSON = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return json_response(body, status=self.status)


def unknown_channel() -> DiscordError:
    return DiscordError(404, 10003, "Unknown Channel")


def unknown_message() -> DiscordError:
    return DiscordError(404, 10008, "Unknown Message")


def unknown_webhook() -> DiscordError:
    return DiscordError(404, 10015, "Unknown Webhook")


class FormErrors:
    """Collects 'Invalid Form Body' (code 50035) field errors, nested by JSON path like Discord."""

    def __init__(self) -> None:
        self.errors: JSON = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record one error for the field at ``path`` (e.g. ``("embeds", 0, "title")``)."""
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def check_length(self, path: tuple[str | int, ...], value: object, limit: int) -> None:
        """Record BASE_TYPE_MAX_LENGTH if ``value`` is a string longer than ``limit``."""
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        """Raise the collected errors as one 400 DiscordError; do nothing if there are none."""
        if self.errors:
            raise DiscordError(400, 50035, "Invalid Form Body", self.errors)


def json_response(
    data: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with Content-Type exactly ``application/json`` (discord.py needs that)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)


def no_content() -> web.Response:
    return web.Response(status=204)


def iso_timestamp(snowflake: int | None = None) -> str:
    """ISO-8601 UTC time of ``snowflake`` (or now), the format Discord uses."""
    millis = time.time() * 1000 if snowflake is None else (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat()


def snowflake_at(seconds: float) -> int:
    """The smallest snowflake of the given Unix time, as ``after=`` takes it."""
    return (int(seconds * 1000) - DISCORD_EPOCH_MS) << 22


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a server's events, by Discord's rule."""
    return (guild_id >> 22) % shard_count


class SteppedClock:
    """Real time plus an offset a test jumps forward: ``FakeDiscord(clock=clock)``, then
    ``clock.advance(301)`` to be past the nonce window without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class SnowflakeGenerator:
    """Strictly increasing snowflakes whose timestamps are the clock's time."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last = 0

    def next(self) -> int:
        self._last = max(self._last + 1, snowflake_at(self._clock()))
        return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """The next snowflake that, as a server id, is on that shard (`shard_of`): its
        timestamp moved on by less than ``shard_count`` milliseconds if need be."""
        snowflake = self.next()
        millis = snowflake >> 22
        ahead = (shard_id - millis) % shard_count
        if ahead:
            self._last = snowflake = (millis + ahead) << 22
        return snowflake


class SendRateLimit:
    """Discord's per-channel limit on message sends: ``limit`` per ``per_seconds`` window.

    Measured on the monotonic clock, not the fake's: discord.py sleeps real seconds.
    """

    def __init__(self, limit: int, per_seconds: float) -> None:
        if limit < 1 or per_seconds <= 0:
            raise ValueError("a send rate limit needs limit >= 1 and per_seconds > 0")
        self.limit = limit
        self.per_seconds = per_seconds
        self._windows: dict[int, tuple[float, int]] = {}  # channel -> (reset at, used)

    def take(self, channel_id: int) -> tuple[bool, dict[str, str]]:
        """(allowed, X-RateLimit headers) for one send to ``channel_id``."""
        now = time.monotonic()
        reset_at, used = self._windows.get(channel_id, (0.0, 0))
        if now >= reset_at:
            reset_at, used = now + self.per_seconds, 0
        allowed = used < self.limit
        if allowed:
            used += 1
        self._windows[channel_id] = (reset_at, used)
        reset_after = max(reset_at - now, 0.001)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "fake-channel-messages",
        }
        return allowed, headers

    @staticmethod
    def refusal(headers: dict[str, str]) -> web.Response:
        """The 429 Discord sends when the window is used up (``Via`` makes discord.py retry)."""
        retry_after = float(headers["X-RateLimit-Reset-After"])
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        extra = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Scope": "user",
        }
        return json_response({**body, "global": False}, 429, {**headers, **extra})


def history_limit(raw: str) -> int:
    """The ``limit`` of a history request; 400 (as Discord) outside 1-100."""
    errors = FormErrors()
    try:
        limit = int(raw)
    except ValueError:
        errors.add(("limit",), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.')
        errors.raise_if_any()
    if not 1 <= limit <= 100:
        errors.add(("limit",), "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
        errors.raise_if_any()
    return limit


def snowflake_param(raw: str, name: str) -> int:
    """A snowflake query parameter; 400 Invalid Form Body if it is not one."""
    if not raw.isdigit():
        errors = FormErrors()
        errors.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
        errors.raise_if_any()
    return int(raw)


def history_page(history: list[JSON], anchor_kind: str, anchor: int, limit: int) -> list[JSON]:
    """One page of ``history`` (oldest first) relative to ``anchor``, oldest first."""
    older = [m for m in history if int(m["id"]) < anchor]
    newer = [m for m in history if int(m["id"]) > anchor]
    if anchor_kind == "before":
        return older[-limit:]
    if anchor_kind == "after":
        return newer[:limit]
    itself = [m for m in history if int(m["id"]) == anchor]
    before_count = (limit - len(itself)) // 2
    after_count = limit - len(itself) - before_count
    return older[len(older) - before_count :] + itself + newer[:after_count]


def query_flag(request: web.Request, name: str) -> bool:
    """Whether query parameter ``name`` is set to a true value (``1``/``true``)."""
    return request.query.get(name, "").lower() in ("1", "true")


async def read_payload(request: web.Request) -> tuple[object, list[web.FileField]]:
    """The request's JSON body (``payload_json`` for multipart) and its uploaded files.

    Safe to call more than once: aiohttp caches the body and the parsed form.
    """
    if not request.body_exists:
        return None, []
    if request.content_type == "application/json":
        try:
            return await request.json(), []
        except ValueError:
            raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        files = [field for field in form.values() if isinstance(field, web.FileField)]
        payload = form.get("payload_json")
        return (json.loads(payload) if isinstance(payload, str) else {}), files
    return (await request.text()) or None, []


async def read_object(request: web.Request) -> tuple[JSON, list[web.FileField]]:
    """Like `read_payload`, but the body must be a JSON object (else 400 Invalid Form Body)."""
    body, files = await read_payload(request)
    if not isinstance(body, dict):
        raise DiscordError(400, 50035, "Invalid Form Body")
    return body, files


# --------------------------------------------------------------------------------------------
# Payload validation (what Discord rejects with 50006 / 50035)
# --------------------------------------------------------------------------------------------


def validate_message_body(body: JSON, *, has_files: bool, creating: bool) -> None:
    """Raise DiscordError for what Discord refuses: empty messages, over-long content or embeds.

    ``creating`` is False for edits, which may leave fields out.
    """
    errors = FormErrors()
    errors.check_length(("content",), body.get("content"), 2000)
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors.add(("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = sum(validate_embed(embed, index, errors) for index, embed in enumerate(embeds))
    if total > 6000:
        errors.add(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    errors.raise_if_any()
    if creating and is_empty_message(body, has_files=has_files):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def is_empty_message(body: JSON, *, has_files: bool) -> bool:
    keys = ("content", "embeds", "components", "attachments", "sticker_ids", "poll")
    return not has_files and not any(body.get(key) for key in keys)


def validate_embed(embed: JSON, index: int, errors: FormErrors) -> int:
    """Check one embed against Discord's limits; return its character count towards 6000."""
    path = ("embeds", index)
    limits = {("title",): 256, ("description",): 4096}
    limits |= {("footer", "text"): 2048, ("author", "name"): 256}
    size = 0
    for keys, limit in limits.items():
        value = dig(embed, keys)
        errors.check_length((*path, *keys), value, limit)
        size += len(value) if isinstance(value, str) else 0
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for number, field in enumerate(fields):
        size += validate_embed_field(field, (*path, "fields", number), errors)
    url_keys = [("url",), ("author", "url"), ("author", "icon_url"), ("footer", "icon_url")]
    url_keys += [("thumbnail", "url"), ("image", "url")]
    for keys in url_keys:
        value = dig(embed, keys)
        if value is not None and not (isinstance(value, str) and value.startswith(URL_SCHEMES)):
            errors.add((*path, *keys), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    color = embed.get("color")
    if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
        errors.add((*path, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    return size


def validate_embed_field(field: JSON, path: tuple[str | int, ...], errors: FormErrors) -> int:
    size = 0
    for key, limit in (("name", 256), ("value", 1024)):
        value = field.get(key)
        if not value:
            errors.add((*path, key), "BASE_TYPE_REQUIRED", "This field is required")
        errors.check_length((*path, key), value, limit)
        size += len(value) if isinstance(value, str) else 0
    return size


def dig(data: JSON, keys: tuple[str, ...]) -> Any:
    """``data[k1][k2]...`` or None when a level is missing."""
    value: Any = data
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def validate_commands(commands: object) -> None:
    """Raise DiscordError for a bulk-overwrite payload Discord would reject."""
    if not isinstance(commands, list):
        raise DiscordError(400, 50035, "Invalid Form Body")
    errors = FormErrors()
    seen: set[tuple[str, int]] = set()
    for index, command in enumerate(commands):
        kind = command.get("type", 1)
        key = (command.get("name", ""), kind)
        if key in seen:
            errors.add((index, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate name")
        seen.add(key)
        if kind == 1:
            validate_command_option((index,), command, errors)
        elif not 1 <= len(command.get("name", "")) <= 32:
            errors.add(
                (index, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
            )
    errors.raise_if_any()


def validate_command_option(path: tuple[str | int, ...], option: JSON, errors: FormErrors) -> None:
    """Check a chat-input command or option: name, description, option list, choices."""
    name = option.get("name", "")
    if not COMMAND_NAME_RE.match(name) or name != name.lower():
        errors.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if not 1 <= len(option.get("description", "")) <= 100:
        errors.add(
            (*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    if len(option.get("choices") or []) > 25:
        errors.add((*path, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    children = option.get("options") or []
    if len(children) > 25:
        errors.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names = [child.get("name") for child in children]
    if len(set(names)) != len(names):
        errors.add((*path, "options"), "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "Duplicate")
    seen_optional = False
    for number, child in enumerate(children):
        child_path = (*path, "options", number)
        if child.get("required") and seen_optional:
            errors.add(child_path, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Bad order")
        seen_optional = seen_optional or not child.get("required")
        validate_command_option(child_path, child, errors)


# --------------------------------------------------------------------------------------------
# Records returned to tests
# --------------------------------------------------------------------------------------------


class Interaction:
    """An interaction the fake dispatched, and everything the bot answered to it.

    ``payload`` is the INTERACTION_CREATE data. ``callback`` is the body of the bot's
    ``POST /interactions/{id}/{token}/callback`` (None until it answers), ``original`` the current
    state of ``@original``, ``followups`` the followup messages in order.
    """

    def __init__(self, fake: FakeDiscord, payload: JSON, source_message: JSON | None) -> None:
        self._fake = fake
        self.payload = payload
        self.id: int = int(payload["id"])
        self.token: str = payload["token"]
        self.type = InteractionType(payload["type"])
        self.channel_id: int = int(payload["channel_id"])
        self.callback: JSON | None = None
        self.original: JSON | None = source_message
        self.followups: list[JSON] = []
        self.deleted_messages: list[JSON] = []
        self._visible: list[JSON] = []

    def __repr__(self) -> str:
        return f"<Interaction id={self.id} {self.describe()}>"

    def describe(self) -> str:
        """A short human description, used in timeout messages."""
        data = self.payload.get("data", {})
        label = data.get("name") or data.get("custom_id")
        return f"{self.type.name} {label!r}"

    @property
    def is_deferred(self) -> bool:
        """Whether the bot answered with a deferred callback (type 5 or 6)."""
        deferred = (CallbackType.DEFERRED_CHANNEL_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE)
        return self.callback is not None and self.callback.get("type") in deferred

    async def response(self, timeout: float = 10) -> JSON:  # noqa: ASYNC109 (public API)
        """Wait for the bot's callback and return its body: ``{"type": ..., "data": ...}``."""
        await self._fake.wait_for(
            lambda: self.callback is not None,
            timeout,
            what=f"the bot to answer interaction {self.id} ({self.describe()})",
        )
        assert self.callback is not None
        return self.callback

    async def final_message(self, timeout: float = 10) -> JSON:  # noqa: ASYNC109
        """Wait for and return the first message the user sees in answer to this interaction.

        For a type 4 callback that is the callback's message; after a deferral (type 5) it is the
        first followup or ``@original`` edit; for a type 7 callback the updated message. The
        dict is a snapshot taken at that moment (later edits show in ``original``) and always
        has ``content``, ``embeds``, ``flags`` (64 = ephemeral), ``allowed_mentions`` and
        ``components``.
        """
        await self._fake.wait_for(
            lambda: bool(self._visible),
            timeout,
            what=f"a visible reply to interaction {self.id} ({self.describe()}); "
            f"callback so far: {self.callback}",
        )
        return self._visible[0]

    def _record_visible(self, message: JSON) -> None:
        self._visible.append(copy.deepcopy(message))


@dataclass
class FailureRule:
    """One pending `FakeDiscord.fail_next` injection."""

    method: str
    path_pattern: re.Pattern[str]
    status: int
    code: int
    message: str
    remaining: int
    retry_after: float

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.path_pattern.search(path) is not None

    def to_response(self) -> web.Response:
        """Discord's error response; 429s carry the rate-limit headers discord.py relies on."""
        if self.status != 429:
            return json_response({"code": self.code, "message": self.message}, self.status)
        body = {"message": "You are being rate limited.", "retry_after": self.retry_after}
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(self.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "user",
        }
        return json_response({**body, "global": False}, 429, headers)


class GatewaySession:
    """One websocket connection to the fake gateway.

    Frames are sent under a lock, so dispatches from concurrent REST handlers keep their
    sequence numbers in order on the wire.
    """

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session_id = secrets.token_hex(16)
        self.sequence = 0
        self.ready = False
        self.closed = False
        self.identify: JSON | None = None
        self.ready_payload: JSON = {}
        self._lock = asyncio.Lock()

    @property
    def live(self) -> bool:
        """Identified, sent READY + GUILD_CREATE, and not closed."""
        return self.ready and not self.closed

    @property
    def shard(self) -> tuple[int, int] | None:
        """``(shard_id, shard_count)`` from IDENTIFY; None for an unsharded connection."""
        shard = (self.identify or {}).get("shard")
        return None if shard is None else (shard[0], shard[1])

    def receives(self, guild_id: int | None) -> bool:
        """Whether this connection gets a server's events (``None``: DMs, for shard 0)."""
        if self.shard is None:
            return True
        shard_id, shard_count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, shard_count) == shard_id

    async def send(self, op: Op, data: object = None) -> None:
        """Send a non-dispatch frame; silently dropped once the connection is closed."""
        async with self._lock:
            await self._write({"op": int(op), "d": data, "s": None, "t": None})

    async def dispatch(self, event: str, data: object) -> None:
        """Send a DISPATCH frame with the next sequence number."""
        async with self._lock:
            if not self.closed:
                self.sequence += 1
                await self._write(
                    {"op": int(Op.DISPATCH), "d": data, "s": self.sequence, "t": event}
                )

    async def close(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Mark closed and close the websocket (waits for the client's close frame)."""
        self.closed = True
        await self.ws.close(code=code)

    async def _write(self, frame: JSON) -> None:
        if self.closed:
            return
        try:
            await self.ws.send_str(json.dumps(frame))
        except ConnectionError:
            self.closed = True


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


class FakeDiscord:
    """A local Discord (REST + gateway) with one guild, a bot user and an application.

    The guild has text channels ``news`` and ``general`` (see ``channel_ids``), an @everyone role
    with `MEMBER_PERMISSIONS`, an ``Admin`` role with `ADMIN_PERMISSIONS` and the bot's role with
    `BOT_PERMISSIONS`. State (messages, threads, commands) lives as long as the fake, so a bot
    that is restarted against the same fake, in this process or another one, sees what the
    previous one left.

    Where a bot's crash recovery depends on it, the fake behaves as Discord does:

    - ``clock`` (Unix seconds) times snowflakes, timestamps and the nonce window, so a test can
      jump past the window without sleeping (`snowflake_at` turns a time into ``after=``).
    - A message sent with ``enforce_nonce`` and a nonce the same author used in that channel
      less than ``nonce_window_seconds`` ago returns the earlier message; after the window it
      is a new message (`forget_nonces` expires every nonce at once).
    - ``write_latency_seconds`` passes between applying a write (message, thread, edit,
      delete) and answering it: a bot killed then has its message on Discord but no answer.
      ``unanswered_writes`` lists the writes in that state.
    - ``send_rate_limit=(limit, per_seconds)`` limits message sends per channel and thread,
      answering 429 with ``Via``, ``Retry-After``, ``retry_after`` and ``X-RateLimit-*`` so
      discord.py waits and retries (off by default).
    - ``token`` set: only ``Authorization: Bot <token>`` is accepted, anything else is 401, as
      Discord answers a wrong or reset token.
    - History (``GET /channels/{id}/messages``) pages with ``before``/``after``/``around`` and
      ``limit`` 1-100, newest first, in channels and threads; members' messages
      (`post_as_member`) are part of it.
    - Sharding: ``GET /gateway/bot`` recommends ``shards`` and allows ``max_concurrency``
      IDENTIFYs at once. A connection that IDENTIFYs with ``shard: [id, count]`` gets the
      servers `shard_of` puts on it, in READY, GUILD_CREATE and every later event; DM events
      go to shard 0. An id not below its count, or a count other than the other open
      connections use, is closed with 4010 (invalid shard); a connection that would get more
      than ``max_guilds_per_shard`` servers (unsharded: all of them) is closed with 4011
      (sharding required). ``refused_identifies`` records each. `add_guild` with ``shard=``
      puts a server on a shard of the test's choosing.
    """

    Interaction = Interaction

    def __init__(
        self,
        *,
        bot_name: str = "Bazaar",
        guild_name: str = "Test Guild",
        clock: Callable[[], float] = time.time,
        nonce_window_seconds: float = 300.0,
        write_latency_seconds: float = 0.0,
        send_rate_limit: tuple[int, float] | None = None,
        token: str | None = None,
        shards: int = 1,
        max_concurrency: int = 1,
        max_guilds_per_shard: int = 2500,
    ) -> None:
        self._clock = clock
        # What GET /gateway/bot says, and what IDENTIFY insists on (see the class docstring).
        self.shards = shards
        self.max_concurrency = max_concurrency
        self.max_guilds_per_shard = max_guilds_per_shard
        self.refused_identifies: list[tuple[tuple[int, int] | None, int]] = []
        """``(shard, close code)`` of each IDENTIFY closed with 4010 or 4011."""
        # None: any ``Bot <token>`` is accepted; a token: only that one (401 otherwise).
        self.token = token
        self.nonce_window_seconds = nonce_window_seconds
        self.write_latency_seconds = write_latency_seconds
        self._send_limit = SendRateLimit(*send_rate_limit) if send_rate_limit else None
        self.rate_limited: list[tuple[str, str]] = []
        self.unanswered_writes: list[tuple[str, str]] = []  # (method, path) applied, not answered
        # (channel id, author id, nonce) -> (the message, when it was sent by `clock`)
        self._nonces: dict[tuple[int, str, str], tuple[JSON, float]] = {}
        self._ids = SnowflakeGenerator(clock)
        self.application_id: int = self._ids.next()
        self.bot_user_id: int = self._ids.next()
        self.guild_id: int = self._ids.next()
        self.guild_name = guild_name
        self._bot_user = self._make_user(self.bot_user_id, bot_name, bot=True)
        self._users_by_name: dict[str, JSON] = {}
        self._users_by_id: dict[int, JSON] = {self.bot_user_id: self._bot_user}
        self._owner = self._user("guild-owner")
        self._admin_role_id = self._ids.next()
        self._bot_role_id = self._ids.next()
        self.ping_role_id = self._ids.next()  # a mentionable role admins may have posts ping
        # Servers other than the main one (see `add_guild`): id -> (name, the bot's role id).
        self._other_guilds: dict[int, tuple[str, int]] = {}
        self._joined_at = self._now_iso()

        self._channels: dict[int, JSON] = {}
        self.channel_ids: dict[str, int] = {}
        self.messages: dict[int, list[JSON]] = {}
        self._messages_by_id: dict[int, JSON] = {}
        self.deleted_messages: list[JSON] = []
        self.uploads: dict[int, bytes] = {}
        # Files a user attached to a slash command option (see `attachment`), by id, and
        # each download of one from the fake's CDN.
        self.option_attachments: dict[int, JSON] = {}
        self.cdn_downloads: list[int] = []
        self.threads: list[JSON] = []
        # DMs: the channel opened with each user, and the users who accept no DMs from the
        # bot (sending to them fails with 403 code 50007, as on Discord).
        self.dm_channels: dict[str, int] = {}
        self.closed_dms: set[str] = set()

        self.requests: list[tuple[str, str, object]] = []
        self.unknown_requests: list[tuple[str, str]] = []
        self.synced_commands: list[JSON] = []
        self.commands: dict[int | None, list[JSON]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self.interactions: list[Interaction] = []
        self._interactions_by_id: dict[int, Interaction] = {}
        self.presence_updates: list[JSON] = []
        self.connections: int = 0

        self._sessions: list[GatewaySession] = []
        self._failures: list[FailureRule] = []
        self.gateway_refusals = 0
        """How many of the next gateway connections are refused with 503 (an outage)."""
        self.refused_gateway_connections = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        for name in ("news", "general"):
            self.add_text_channel(name)

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port (see ``base_url`` and ``gateway_url``)."""
        if self._runner is not None:
            raise RuntimeError("FakeDiscord is already started")
        app = web.Application(middlewares=[self._rest_middleware], client_max_size=32 * 2**20)
        app.router.add_get(GATEWAY_PATH, self._gateway_handler)
        self._add_rest_routes(app.router)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Close gateway connections (code 1001) and shut the server down. Safe to call twice."""
        for session in self._sessions:
            if not session.closed:
                await session.close(WSCloseCode.GOING_AWAY)
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._notify()

    @property
    def writes_awaiting_answer(self) -> int:
        """How many writes are applied but not yet answered (see ``write_latency_seconds``)."""
        return len(self.unanswered_writes)

    def is_thread(self, channel_id: int) -> bool:
        """Whether ``channel_id`` is a thread the fake knows."""
        channel = self._channels.get(channel_id)
        return channel is not None and channel["type"] in THREAD_TYPES

    @property
    def live_connections(self) -> int:
        """Gateway connections that IDENTIFYed and are still open."""
        return len(self._live_sessions())

    @property
    def live_shards(self) -> list[tuple[int, int]]:
        """``(shard_id, shard_count)`` of each open sharded connection, sorted."""
        return sorted(s.shard for s in self._live_sessions() if s.shard is not None)

    def ready_guilds(self, shard: tuple[int, int] | None = None) -> list[int]:
        """The servers the open connection of ``shard`` (None: unsharded) got in READY."""
        for session in self._live_sessions():
            if session.shard == shard:
                return [int(guild["id"]) for guild in session.ready_payload["guilds"]]
        raise KeyError(f"no open connection for shard {shard}; open: {self.live_shards}")

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started; await fake.start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """REST base, e.g. ``http://127.0.0.1:PORT/api/v10``."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Gateway URL, e.g. ``ws://127.0.0.1:PORT/gateway``."""
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's ``Route.BASE`` and ``DEFAULT_GATEWAY`` here; restore them on exit."""
        route, websocket = discord.http.Route, discord.gateway.DiscordWebSocket
        old_base, old_gateway = route.BASE, websocket.DEFAULT_GATEWAY
        route.BASE = self.base_url
        websocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            route.BASE = old_base
            websocket.DEFAULT_GATEWAY = old_gateway

    # ---- guild setup -----------------------------------------------------------------------

    @property
    def guild_ids(self) -> list[int]:
        """Every server the bot is in: the main one first."""
        return [self.guild_id, *self._other_guilds]

    def add_guild(
        self,
        name: str,
        channels: Sequence[str] = ("news", "general"),
        *,
        shard: tuple[int, int] | None = None,
    ) -> int:
        """Another server the bot is in, with these text channels (named `<name>-<channel>`
        in `channel_ids`); returns its id. ``shard=(shard_id, shard_count)`` gives it an id
        that shard receives. Call it before the bot connects."""
        if self._live_sessions():
            raise RuntimeError("add_guild() must be called before the bot connects")
        guild_id = self._ids.next_on_shard(*shard) if shard else self._ids.next()
        self._other_guilds[guild_id] = (name, self._ids.next())
        for channel in channels:
            self.add_text_channel(f"{name}-{channel}", guild_id=guild_id)
        return guild_id

    def add_text_channel(self, name: str, *, guild_id: int | None = None) -> int:
        """Create a text channel (in the main server, or `guild_id`) and return its id.

        Call it while no bot is connected: the bot learns channels from GUILD_CREATE.
        """
        if name in self.channel_ids:
            raise ValueError(f"a channel named {name!r} already exists")
        if self._live_sessions():
            raise RuntimeError("add_text_channel() must be called before the bot connects")
        channel_id = self._ids.next()
        self._channels[channel_id] = {
            "id": str(channel_id),
            "type": CHANNEL_TYPE_TEXT,
            "guild_id": str(guild_id or self.guild_id),
            "name": name,
            "position": len(self.channel_ids),
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }
        self.channel_ids[name] = channel_id
        self.messages[channel_id] = []
        return channel_id

    def add_forum_channel(self, name: str, tags: Sequence[str] = ()) -> int:
        """Create a forum channel with these post tags and return its id (before the bot
        connects, like `add_text_channel`)."""
        channel_id = self.add_text_channel(name)
        self._channels[channel_id].update(
            {
                "type": CHANNEL_TYPE_FORUM,
                "available_tags": [
                    {
                        "id": str(self._ids.next()),
                        "name": tag,
                        "moderated": False,
                        "emoji_id": None,
                        "emoji_name": None,
                    }
                    for tag in tags
                ],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
                "default_thread_rate_limit_per_user": 0,
            }
        )
        return channel_id

    def forum_posts(self, forum: str | int) -> list[JSON]:
        """The posts (threads) of a forum channel, oldest first."""
        forum_id = str(self._resolve_channel(forum)["id"])
        return [thread for thread in self.threads if thread["parent_id"] == forum_id]

    async def remove_bot_from_guild(self) -> None:
        """An admin kicks the bot: GUILD_DELETE (not unavailable), as Discord sends it."""
        await self._dispatch("GUILD_DELETE", {"id": str(self.guild_id)})

    def deny_everyone(self, channel: str | int, permissions: int) -> None:
        """Add a channel overwrite denying `permissions` to @everyone (the bot included),
        as a server admin locking a channel would. Call it before the bot connects."""
        if self._live_sessions():
            raise RuntimeError("deny_everyone() must be called before the bot connects")
        overwrites = self._resolve_channel(channel)["permission_overwrites"]
        overwrites.append(
            {"id": str(self.guild_id), "type": 0, "allow": "0", "deny": str(permissions)}
        )

    def attachment(
        self, filename: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> AttachmentRef:
        """A file a user attaches to a slash command's ATTACHMENT option.

        As on Discord, the interaction carries only its description (``resolved.attachments``:
        id, filename, size, content type, URL); the bytes are downloaded from the URL, which
        this fake serves as Discord's CDN does (each download is recorded in
        ``cdn_downloads``). Call it once the fake is started.
        """
        attachment_id = self._ids.next()
        self.uploads[attachment_id] = data
        path = f"{CDN_PREFIX}{self.application_id}/{attachment_id}/{urllib.parse.quote(filename)}"
        url = f"http://127.0.0.1:{self.port}{path}"
        self.option_attachments[attachment_id] = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
            "ephemeral": True,
        }
        return AttachmentRef(attachment_id)

    def add_overwrite(
        self,
        channel: str | int,
        target_id: int,
        *,
        member: bool = False,
        allow: int = 0,
        deny: int = 0,
    ) -> None:
        """Add a channel permission overwrite for a role (or, with ``member``, a user): e.g.
        ``add_overwrite("news", fake.bot_role_id, deny=EMBED_LINKS)``. Before the bot connects,
        like `deny_everyone`."""
        if self._live_sessions():
            raise RuntimeError("add_overwrite() must be called before the bot connects")
        overwrites = self._resolve_channel(channel)["permission_overwrites"]
        overwrites.append(
            {"id": str(target_id), "type": int(member), "allow": str(allow), "deny": str(deny)}
        )

    @property
    def bot_role_id(self) -> int:
        """The bot's managed role in the main server (it has `BOT_PERMISSIONS`)."""
        return self._bot_role_id

    def channel_ref(self, channel: str | int) -> ChannelRef:
        """A CHANNEL option value for a channel or thread given by name or id."""
        return ChannelRef(int(self._resolve_channel(channel)["id"]))

    def thread_named(self, name: str) -> JSON:
        """The recorded thread called ``name`` (the most recent one if several)."""
        for thread in reversed(self.threads):
            if thread["name"] == name:
                return thread
        raise KeyError(f"no thread named {name!r}; threads: {[t['name'] for t in self.threads]}")

    # ---- waiting -----------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10,  # noqa: ASYNC109 (public API)
        *,
        what: str | None = None,
    ) -> None:
        """Return once ``predicate()`` is true; it is re-checked whenever the fake records anything.

        Raises TimeoutError describing ``what`` was awaited and what the fake saw meanwhile.
        """
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    waiter: asyncio.Future[None] = loop.create_future()
                    self._waiters.append(waiter)
                    await waiter
        except TimeoutError:
            label = what or getattr(predicate, "__qualname__", repr(predicate))
            message = f"timed out after {timeout}s waiting for {label}\n{self.summary()}"
            raise TimeoutError(message) from None

    async def wait_until_ready(self, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Return once a connected client has IDENTIFYed and was sent READY and GUILD_CREATE."""
        await self.wait_for(
            lambda: bool(self._live_sessions()),
            timeout,
            what="a bot to connect, IDENTIFY and receive READY + GUILD_CREATE",
        )

    def summary(self) -> str:
        """What the fake has seen so far, for failure messages."""
        recent = [f"{method} {path}" for method, path, _ in self.requests[-10:]]
        open_sessions = [s for s in self._sessions if not s.closed]
        failures = [(rule.method, rule.path_pattern.pattern) for rule in self._failures]
        return (
            f"  gateway: {self.connections} IDENTIFY(s), {len(open_sessions)} open connection(s), "
            f"{len(self._live_sessions())} ready, shards {self.live_shards}, "
            f"refused IDENTIFYs {self.refused_identifies}\n"
            f"  last requests: {recent}\n"
            f"  unknown requests: {self.unknown_requests}\n"
            f"  pending failure injections: {failures}"
        )

    def _notify(self) -> None:
        """Wake every `wait_for` so it re-checks its predicate."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # ---- failure injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        code: int = 50013,
        message: str = "Missing Permissions",
        times: int = 1,
        retry_after: float = 0.05,
    ) -> None:
        """Answer the next ``times`` REST calls matching ``method`` and ``path_regex`` with an error

        ``path_regex`` is searched in the path relative to /api/v10 (e.g.
        ``r"/channels/\\d+/messages$"``); ``method`` may be ``"*"``. The body is Discord's
        ``{"code", "message"}``. A 429 instead gets Discord's rate-limit body with
        ``retry_after`` and the ``Via``/``Retry-After``/``X-RateLimit-*`` headers, so discord.py
        sleeps ``retry_after`` and retries. Note discord.py also retries 500/502/504 by itself,
        sleeping 1 s, 3 s, ... in between.
        """
        rule = FailureRule(
            method=method.upper(),
            path_pattern=re.compile(path_regex),
            status=status,
            code=code,
            message=message,
            remaining=times,
            retry_after=retry_after,
        )
        self._failures.append(rule)

    def _take_failure(self, method: str, path: str) -> FailureRule | None:
        for rule in self._failures:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._failures.remove(rule)
                return rule
        return None

    # ---- driving the bot ---------------------------------------------------------------------

    async def invoke_slash(
        self,
        name: str,
        options: dict[str, object] | None = None,
        *,
        group_sub: str | None = None,
        channel: str | int = "general",
        permissions: int = ADMIN_PERMISSIONS,
        user_name: str = "alice",
    ) -> Interaction:
        """Dispatch a slash command (INTERACTION_CREATE type 2) and return its record.

        ``group_sub`` names the subcommand of group ``name`` (``"sub"`` or ``"subgroup sub"``).
        Option types come from what the bot synced (PUT .../commands) when the command is known,
        else from the Python type: str -> STRING, int -> INTEGER, bool -> BOOLEAN, float ->
        NUMBER, ChannelRef -> CHANNEL (with ``resolved.channels`` filled in), AttachmentRef
        (from `attachment`) -> ATTACHMENT (with ``resolved.attachments``). Against synced
        declarations, unknown or missing required options, invalid choices, bounds and channel
        types raise ValueError, as the Discord client would not send them.
        """
        guild = self._guild_of(channel)
        data = self._command_data(name, options or {}, group_sub, focused=None, guild=guild)
        return await self._dispatch_interaction(
            InteractionType.APPLICATION_COMMAND, data, channel, permissions, user_name
        )

    async def invoke_autocomplete(
        self,
        name: str,
        options: dict[str, object],
        focused: str,
        *,
        group_sub: str | None = None,
        channel: str | int = "general",
        permissions: int = ADMIN_PERMISSIONS,
        user_name: str = "alice",
    ) -> Interaction:
        """Dispatch an autocomplete request (type 4) while the user types option ``focused``.

        The focused option's value is sent as the string typed so far; ``await
        interaction.response()`` then has ``{"type": 8, "data": {"choices": [...]}}``.
        """
        if focused not in options:
            raise ValueError(f"focused option {focused!r} must be one of the given options")
        data = self._command_data(
            name, options, group_sub, focused=focused, guild=self._guild_of(channel)
        )
        return await self._dispatch_interaction(
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, data, channel, permissions, user_name
        )

    async def invoke_component(
        self,
        message_id: int | str,
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
        permissions: int = ADMIN_PERMISSIONS,
        user_name: str = "alice",
    ) -> Interaction:
        """Dispatch a component interaction (type 3), e.g. a button click, on a bot message.

        ``message_id`` may be a channel message or an interaction reply. Use ``component_type=3``
        and ``values`` for a string select.
        """
        message = self._messages_by_id.get(int(message_id))
        if message is None:
            raise KeyError(f"no message {message_id} known to the fake")
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        return await self._dispatch_interaction(
            InteractionType.MESSAGE_COMPONENT,
            data,
            int(message["channel_id"]),
            permissions,
            user_name,
            message=message,
        )

    async def post_as_member(
        self, channel: str | int, content: str, *, user_name: str = "member"
    ) -> JSON:
        """A member (not the bot) says ``content`` in a channel or thread; returns the message.

        It is stored like any message (history, ``messages``) and dispatched as MESSAGE_CREATE
        to a connected bot, if any. Works while no bot is connected: chatter between restarts.
        """
        target = self._resolve_channel(channel)
        body: JSON = {"content": content}
        validate_message_body(body, has_files=False, creating=True)
        message = self._new_message(int(target["id"]), body, [])
        message["author"] = self._user(user_name)
        message["allowed_mentions"] = None
        self._store_channel_message(target, message)
        await self._dispatch("MESSAGE_CREATE", self._gateway_message(message))
        return message

    async def force_reconnect(self) -> None:
        """Send RECONNECT (op 7) to connected clients.

        discord.py then reconnects and RESUMEs; the fake answers INVALID_SESSION (op 9,
        ``d=false``), so the client IDENTIFYs again (``connections`` goes up by one).
        """
        for session in self._live_sessions():
            await session.send(Op.RECONNECT)

    async def _dispatch_interaction(
        self,
        kind: InteractionType,
        data: JSON,
        channel: str | int,
        permissions: int,
        user_name: str,
        message: JSON | None = None,
    ) -> Interaction:
        if not self._live_sessions():
            raise RuntimeError(
                "no bot is connected to the fake gateway; await fake.wait_until_ready() first"
            )
        channel_payload = self._resolve_channel(channel)
        for resolved in data.get("resolved", {}).get("channels", {}).values():
            resolved["permissions"] = str(permissions)
        payload = self._interaction_payload(kind, data, channel_payload, permissions, user_name)
        guild = int(payload["guild_id"])
        if not any(session.receives(guild) for session in self._live_sessions()):
            raise RuntimeError(
                f"no connected shard receives server {guild} (connected: {self.live_shards}), "
                "so Discord could not deliver this interaction"
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        interaction = Interaction(self, payload, source_message=message)
        self.interactions.append(interaction)
        self._interactions_by_id[interaction.id] = interaction
        await self._dispatch("INTERACTION_CREATE", payload)
        self._notify()
        return interaction

    def _interaction_payload(
        self,
        kind: InteractionType,
        data: JSON,
        channel: JSON,
        permissions: int,
        user_name: str,
    ) -> JSON:
        interaction_id = self._ids.next()
        member = self._member_payload(self._user(user_name), permissions)
        guild = channel.get("guild_id") or str(self.guild_id)
        return {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": int(kind),
            "data": data,
            "guild_id": guild,
            "guild": {"id": guild, "locale": "en-US", "features": []},
            "channel_id": channel["id"],
            "channel": {**self._public_channel(channel), "permissions": str(permissions)},
            "member": {**member, "permissions": str(permissions)},
            "token": f"fake-token-{interaction_id}-{secrets.token_hex(8)}",
            "version": 1,
            "app_permissions": str(BOT_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild},
            "context": 0,
            "attachment_size_limit": 10 * 2**20,
        }

    # ---- slash command data ----------------------------------------------------------------

    def _guild_of(self, channel: str | int) -> int:
        return int(self._resolve_channel(channel).get("guild_id") or self.guild_id)

    def _command_data(
        self,
        name: str,
        values: dict[str, object],
        group_sub: str | None,
        focused: str | None,
        *,
        guild: int,
    ) -> JSON:
        """The ``data`` of an application-command interaction, typed after the synced command."""
        path = group_sub.split() if group_sub else []
        where = "/" + " ".join([name, *path])
        scope, declared = self._find_synced_command(name, guild)
        if declared is None:
            leaf_declared, path_types = None, [OptionType.SUB_COMMAND_GROUP] * len(path)
            if path:
                path_types[-1] = OptionType.SUB_COMMAND
        else:
            leaf_declared, path_types = declared_leaf(declared, path, where)
        options, channels, roles, attachments = self._build_options(
            leaf_declared, values, where, focused
        )
        for part, part_type in zip(reversed(path), reversed(path_types), strict=True):
            options = [{"name": part, "type": int(part_type), "options": options}]
        data: JSON = {"name": name, "type": 1, "options": options}
        data["id"] = declared["id"] if declared else str(self._ids.next())
        if channels or roles or attachments:
            data["resolved"] = {
                **({"channels": channels} if channels else {}),
                **({"roles": roles} if roles else {}),
                **({"attachments": attachments} if attachments else {}),
            }
        if declared is None or scope is not None:
            # Discord sends guild_id only for guild commands; when the bot synced nothing we send
            # it, which still finds global commands through the tree's fallback_to_global.
            data["guild_id"] = str(guild)
        return data

    def _find_synced_command(self, name: str, guild: int) -> tuple[int | None, JSON | None]:
        """(scope, command) of a synced chat-input command: guild commands first, then global."""
        for scope in (guild, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return scope, command
        return None, None

    def _build_options(
        self,
        declared: list[JSON] | None,
        values: dict[str, object],
        where: str,
        focused: str | None,
    ) -> tuple[list[JSON], JSON, JSON, JSON]:
        """Interaction options for ``values`` and the ``resolved.channels``,
        ``resolved.roles`` and ``resolved.attachments`` they reference."""
        specs = {spec["name"]: spec for spec in declared} if declared is not None else {}
        if declared is not None:
            check_option_names(declared, values, where, partial=focused is not None)
        built: list[JSON] = []
        channels: JSON = {}
        roles: JSON = {}
        attachments: JSON = {}
        for key, value in values.items():
            spec = specs.get(key)
            if key == focused:
                option_type = spec["type"] if spec else infer_option_type(value, where, key)
                built.append(
                    {"name": key, "type": option_type, "value": str(value), "focused": True}
                )
                continue
            option_type = OptionType(spec["type"]) if spec else infer_option_type(value, where, key)
            option_value, resolved = self._option_value(option_type, value, f"{where} {key!r}")
            channel = resolved if option_type is OptionType.CHANNEL else None
            if spec:
                check_option_constraints(spec, option_value, channel, f"{where} {key!r}")
            built.append({"name": key, "type": int(option_type), "value": option_value})
            if channel is not None:
                channels[channel["id"]] = channel
            elif resolved is not None and option_type is OptionType.ATTACHMENT:
                attachments[resolved["id"]] = resolved
            elif resolved is not None:
                roles[resolved["id"]] = resolved
        if declared is not None:
            order = list(specs)
            built.sort(key=lambda option: order.index(option["name"]))
        return built, channels, roles, attachments

    def _option_value(
        self, option_type: OptionType, value: object, where: str
    ) -> tuple[object, JSON | None]:
        """(JSON value, resolved channel or None) for one option, checking the Python type."""
        expected: dict[OptionType, tuple[type, ...]] = {
            OptionType.STRING: (str,),
            OptionType.INTEGER: (int,),
            OptionType.BOOLEAN: (bool,),
            OptionType.NUMBER: (int, float),
            OptionType.CHANNEL: (ChannelRef, int),
            OptionType.ROLE: (RoleRef, int),
            OptionType.ATTACHMENT: (AttachmentRef,),
        }
        if option_type not in expected:
            raise NotImplementedError(f"{where}: option type {option_type.name} is not supported")
        bool_mismatch = isinstance(value, bool) and option_type is not OptionType.BOOLEAN
        if not isinstance(value, expected[option_type]) or bool_mismatch:
            hint = " (use fake.channel_ref(name))" if option_type is OptionType.CHANNEL else ""
            raise TypeError(f"{where} is declared {option_type.name}; got {value!r}{hint}")
        if option_type is OptionType.CHANNEL:
            channel_id = value.id if isinstance(value, ChannelRef) else value
            channel = self._resolve_channel(channel_id)
            return channel["id"], self._resolved_channel(channel)
        if option_type is OptionType.ROLE:
            role_id = str(value.id if isinstance(value, RoleRef) else value)
            role = next((r for r in self._roles_payload() if r["id"] == role_id), None)
            if role is None:
                raise ValueError(f"{where}: no role {role_id} in the guild")
            return role_id, role
        if isinstance(value, AttachmentRef):
            attachment = self.option_attachments.get(value.id)
            if attachment is None:
                raise ValueError(f"{where}: no attachment {value.id}; use fake.attachment(...)")
            return attachment["id"], copy.deepcopy(attachment)
        return value, None

    def _resolved_channel(self, channel: JSON) -> JSON:
        """A channel as Discord puts it in ``resolved.channels`` (``permissions`` set later)."""
        keys = ("id", "name", "type", "parent_id", "guild_id", "thread_metadata", "flags")
        return {key: copy.deepcopy(channel[key]) for key in keys if key in channel}

    # ---- gateway ---------------------------------------------------------------------------

    def _live_sessions(self) -> list[GatewaySession]:
        return [session for session in self._sessions if session.live]

    async def _dispatch(self, event: str, data: JSON) -> None:
        """Send a gateway event to every connected, ready client that receives its server."""
        guild = self._event_guild(event, data)
        for session in self._live_sessions():
            if session.receives(guild):
                await session.dispatch(event, data)

    def _event_guild(self, event: str, data: JSON) -> int | None:
        """The server an event is about; None for a DM."""
        channel = self._channels.get(int(data.get("channel_id") or 0))
        if channel is not None and channel["type"] == CHANNEL_TYPE_DM:
            return None
        if data.get("guild_id"):
            return int(data["guild_id"])
        if event.startswith("GUILD_"):
            return int(data["id"])
        return None

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        """One gateway connection: HELLO, then answer frames until the client closes."""
        # autoclose=False: we mark the session closed *before* answering the client's close
        # frame, so once `bot.close()` returns the fake no longer counts the bot as connected.
        ws = web.WebSocketResponse(autoclose=False, timeout=5.0)
        await ws.prepare(request)
        session = GatewaySession(ws)
        self._sessions.append(session)
        try:
            await session.send(Op.HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    await self._on_gateway_frame(session, json.loads(frame.data))
        finally:
            session.closed = True
            self._notify()
            await ws.close()
        return ws

    async def _on_gateway_frame(self, session: GatewaySession, frame: JSON) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == Op.HEARTBEAT:
            # After a network's round trip, as Discord's: discord.py stamps a heartbeat as
            # sent only once its send returned, so an ack that beats the stamp reads as a
            # latency of a whole interval ("Can't keep up ... 41.3s behind").
            await asyncio.sleep(HEARTBEAT_ACK_DELAY_SECONDS)
            await session.send(Op.HEARTBEAT_ACK)
        elif op == Op.IDENTIFY:
            await self._identify(session, data)
        elif op == Op.RESUME:
            await session.send(Op.INVALID_SESSION, False)
        elif op == Op.REQUEST_GUILD_MEMBERS:
            await session.dispatch("GUILD_MEMBERS_CHUNK", self._members_chunk(data))
        elif op == Op.PRESENCE_UPDATE:
            self.presence_updates.append(data)
            self._notify()

    async def _identify(self, session: GatewaySession, data: JSON) -> None:
        self.connections += 1
        session.identify = data
        refusal = self._identify_refusal(session)
        if refusal is not None:
            shard = data.get("shard")
            self.refused_identifies.append((tuple(shard) if shard else None, refusal))
            await session.close(refusal)
            self._notify()
            return
        session.ready_payload = self._ready_payload(session)
        await session.dispatch("READY", session.ready_payload)
        for guild in self.guild_ids:
            if session.receives(guild):
                await session.dispatch("GUILD_CREATE", self._guild_create_payload(guild))
        session.ready = True
        self._notify()

    def _identify_refusal(self, session: GatewaySession) -> int | None:
        """The close code Discord answers this IDENTIFY's ``shard`` with, if any."""
        assert session.identify is not None
        shard = session.identify.get("shard")
        if shard is not None:
            valid = (
                isinstance(shard, list)
                and len(shard) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
                and 0 <= shard[0] < shard[1]
            )
            if not valid:
                return INVALID_SHARD
            counts_in_use = {
                other.shard[1]
                for other in self._sessions
                if other is not session
                and other.identify is not None
                and not other.closed
                and other.shard is not None
            }
            if counts_in_use - {shard[1]}:
                return INVALID_SHARD
        if sum(map(session.receives, self.guild_ids)) > self.max_guilds_per_shard:
            return SHARDING_REQUIRED
        return None

    def _ready_payload(self, session: GatewaySession) -> JSON:
        guilds = [guild for guild in self.guild_ids if session.receives(guild)]
        ready: JSON = {
            "v": 10,
            "user": {**self._bot_user, "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(guild), "unavailable": True} for guild in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        shard = (session.identify or {}).get("shard")
        if shard is not None:
            ready["shard"] = shard
        return ready

    def _guild_create_payload(self, guild_id: int | None = None) -> JSON:
        guild = str(guild_id or self.guild_id)
        if guild != str(self.guild_id):
            return self._other_guild_create_payload(int(guild))
        members = [self._bot_member(), *self._known_members()]
        text_channels = [
            c
            for c in self._channels.values()
            if c["type"] not in THREAD_TYPES and c.get("guild_id") == guild
        ]
        return {
            **self._guild_payload(),
            "unavailable": False,
            "joined_at": self._joined_at,
            "large": False,
            "member_count": len(members),
            "members": members,
            "channels": copy.deepcopy(text_channels),
            "threads": [
                self._thread_channel_payload(thread)
                for thread in self.threads
                if thread["guild_id"] == guild
            ],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _other_guild_create_payload(self, guild_id: int) -> JSON:
        """GUILD_CREATE of a server added with `add_guild`: its channels, @everyone, the
        bot's role; its members are the bot and whoever used a command there."""
        name, bot_role = self._other_guilds[guild_id]
        base = self._guild_payload()
        roles = [
            {**role, "id": str(guild_id)} if role["id"] == str(self.guild_id) else role
            for role in base["roles"]
            if role["id"] in (str(self.guild_id), str(self._bot_role_id))
        ]
        roles = [
            {**role, "id": str(bot_role)} if role["id"] == str(self._bot_role_id) else role
            for role in roles
        ]
        guild = str(guild_id)
        bot = {**self._member_payload(self._bot_user), "roles": [str(bot_role)]}
        members = [bot, *self._known_members()]
        return {
            **base,
            "id": guild,
            "name": name,
            "roles": roles,
            "unavailable": False,
            "joined_at": self._joined_at,
            "large": False,
            "member_count": len(members),
            "members": members,
            "channels": [
                copy.deepcopy(c)
                for c in self._channels.values()
                if c["type"] not in THREAD_TYPES and c.get("guild_id") == guild
            ],
            "threads": [
                self._thread_channel_payload(t) for t in self.threads if t["guild_id"] == guild
            ],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _members_chunk(self, query: JSON) -> JSON:
        chunk: JSON = {
            "guild_id": str(self.guild_id),
            "members": [self._bot_member(), *self._known_members()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if query.get("nonce"):
            chunk["nonce"] = query["nonce"]
        return chunk

    # ---- payload builders ------------------------------------------------------------------

    def _make_user(self, user_id: int, name: str, *, bot: bool = False) -> JSON:
        user = {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        return {**user, "bot": True} if bot else user

    def _user(self, name: str) -> JSON:
        """The fake user called ``name``, created with a stable id on first use."""
        if name not in self._users_by_name:
            user = self._make_user(self._ids.next(), name)
            self._users_by_name[name] = user
            self._users_by_id[int(user["id"])] = user
        return self._users_by_name[name]

    def _member_payload(self, user: JSON, permissions: int = MEMBER_PERMISSIONS) -> JSON:
        roles = [str(self._admin_role_id)] if permissions == ADMIN_PERMISSIONS else []
        return {
            "user": user,
            "roles": roles,
            "nick": None,
            "avatar": None,
            "joined_at": self._joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def _bot_member(self) -> JSON:
        return {**self._member_payload(self._bot_user), "roles": [str(self._bot_role_id)]}

    def _known_members(self) -> list[JSON]:
        return [self._member_payload(user) for user in self._users_by_name.values()]

    def _roles_payload(self) -> list[JSON]:
        def role(role_id: int, name: str, permissions: int, position: int, **extra: Any) -> JSON:
            return {
                "id": str(role_id),
                "name": name,
                "color": 0,
                "hoist": False,
                "position": position,
                "permissions": str(permissions),
                "managed": False,
                "mentionable": False,
                "flags": 0,
                **extra,
            }

        bot_tags = {"tags": {"bot_id": str(self.bot_user_id)}, "managed": True}
        return [
            role(self.guild_id, "@everyone", MEMBER_PERMISSIONS, 0),
            role(self._admin_role_id, "Admin", ADMIN_PERMISSIONS, 1),
            role(self._bot_role_id, self._bot_user["username"], BOT_PERMISSIONS, 2, **bot_tags),
            role(self.ping_role_id, "Model releases", 0, 3, mentionable=True),
        ]

    def _guild_payload(self) -> JSON:
        """The guild as GET /guilds/{id} returns it (GUILD_CREATE adds channels, members...)."""
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": self._owner["id"],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": self._roles_payload(),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "max_members": 500000,
            "premium_progress_bar_enabled": False,
        }

    def _application_payload(self) -> JSON:
        return {
            "id": str(self.application_id),
            "name": self._bot_user["username"],
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self._owner,
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": self._bot_user,
        }

    def _thread_channel_payload(self, thread: JSON) -> JSON:
        """A thread record as a channel payload (without the fake's ``message_id`` key)."""
        return {key: value for key, value in copy.deepcopy(thread).items() if key != "message_id"}

    def _public_channel(self, channel: JSON) -> JSON:
        """A channel or thread as Discord returns it."""
        if channel["type"] in THREAD_TYPES:
            return self._thread_channel_payload(channel)
        return copy.deepcopy(channel)

    def _resolve_channel(self, channel: str | int) -> JSON:
        """A text channel or thread payload by name or id (raises KeyError if unknown)."""
        if isinstance(channel, str):
            if channel in self.channel_ids:
                return self._channels[self.channel_ids[channel]]
            return self.thread_named(channel)
        if channel not in self._channels:
            raise KeyError(f"no channel or thread with id {channel}")
        return self._channels[channel]

    def _mentions(self, content: str, allowed: JSON | None) -> JSON:
        """``mentions``/``mention_roles``/``mention_everyone`` as Discord computes them."""
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse", []))
        allowed = allowed or {}
        explicit_users = {str(user_id) for user_id in allowed.get("users", [])}
        explicit_roles = {str(role_id) for role_id in allowed.get("roles", [])}
        users = [
            self._users_by_id[int(user_id)]
            for user_id in dict.fromkeys(USER_MENTION_RE.findall(content))
            if ("users" in parse or user_id in explicit_users) and int(user_id) in self._users_by_id
        ]
        roles = [
            role_id
            for role_id in dict.fromkeys(ROLE_MENTION_RE.findall(content))
            if "roles" in parse or role_id in explicit_roles
        ]
        everyone = "everyone" in parse and EVERYONE_MENTION_RE.search(content) is not None
        return {"mentions": users, "mention_roles": roles, "mention_everyone": everyone}

    def _new_message(
        self,
        channel_id: int,
        body: JSON,
        files: list[web.FileField],
        *,
        message_type: int = MESSAGE_TYPE_DEFAULT,
        flags: int | None = None,
    ) -> JSON:
        """A Discord message built from the JSON the bot sent (which it keeps, e.g. nonce)."""
        message_id = self._ids.next()
        content = body.get("content") or ""
        message = {
            "id": str(message_id),
            "type": message_type,
            "channel_id": str(channel_id),
            "author": self._bot_user,
            "content": content,
            "timestamp": iso_timestamp(message_id),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            **self._mentions(content, body.get("allowed_mentions")),
            "attachments": self._attachments(channel_id, body, files, []),
            "embeds": [{"type": "rich", **embed} for embed in body.get("embeds") or []],
            "components": body.get("components") or [],
            "pinned": False,
            "flags": int(body.get("flags") or 0) & SENDABLE_FLAGS if flags is None else flags,
            "nonce": body.get("nonce"),
            "allowed_mentions": body.get("allowed_mentions"),
        }
        for key in ("poll", "sticker_ids"):
            if key in body:
                message[key] = body[key]
        self._messages_by_id[message_id] = message
        return message

    def _attachments(
        self, channel_id: int, body: JSON, files: list[web.FileField], existing: list[JSON]
    ) -> list[JSON]:
        """Attachment objects for ``body["attachments"]``: kept ones by id, new ones from files."""
        uploads = [field for field in files if field.name.startswith("files[")]
        by_index = {int(field.name[len("files[") : -1]): field for field in uploads}
        specs = body.get("attachments")
        if specs is None:
            specs = [{"id": index} for index in by_index] if by_index else existing
        kept = {attachment["id"]: attachment for attachment in existing}
        result = []
        for spec in specs:
            spec_id = str(spec.get("id"))
            if spec_id in kept:
                result.append(kept[spec_id])
            elif spec_id.isdigit() and int(spec_id) in by_index:
                result.append(self._upload(channel_id, by_index[int(spec_id)], spec))
        return result

    def _upload(self, channel_id: int, field: web.FileField, spec: JSON) -> JSON:
        data = field.file.read()
        attachment_id = self._ids.next()
        self.uploads[attachment_id] = data
        url = (
            f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{field.filename}"
        )
        return {
            "id": str(attachment_id),
            "filename": field.filename,
            "description": spec.get("description"),
            "content_type": field.content_type,
            "size": len(data),
            "url": url,
            "proxy_url": url,
        }

    def _edit_message(self, message: JSON, body: JSON, files: list[web.FileField]) -> None:
        """Apply an edit (PATCH body) to a stored message in place."""
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in body:
                message[key] = body[key]
        message["content"] = message.get("content") or ""
        message["embeds"] = [{"type": "rich", **embed} for embed in message.get("embeds") or []]
        message["components"] = message.get("components") or []
        if "flags" in body:
            kept = message["flags"] & ~FLAG_SUPPRESS_EMBEDS
            message["flags"] = kept | (int(body["flags"] or 0) & FLAG_SUPPRESS_EMBEDS)
        if "attachments" in body or files:
            channel_id = int(message["channel_id"])
            message["attachments"] = self._attachments(
                channel_id, body, files, message["attachments"]
            )
        message.update(self._mentions(message["content"], message.get("allowed_mentions")))
        message["edited_timestamp"] = self._now_iso()

    def _gateway_message(self, message: JSON) -> JSON:
        """A stored message as MESSAGE_CREATE/UPDATE carries it (with guild_id and member)."""
        author = message["author"]
        is_bot = author["id"] == self._bot_user["id"]
        full = self._bot_member() if is_bot else self._member_payload(author)
        member = {key: value for key, value in full.items() if key != "user"}
        channel = self._channels.get(int(message["channel_id"]), {})
        guild = channel.get("guild_id") or str(self.guild_id)
        return {**copy.deepcopy(message), "guild_id": guild, "member": member}

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat()

    # ---- REST plumbing -----------------------------------------------------------------------

    def _add_rest_routes(self, router: web.UrlDispatcher) -> None:
        app = r"/applications/{app_id:\d+}"
        channel = r"/channels/{channel_id:\d+}"
        message = channel + r"/messages/{message_id:\d+}"
        webhook = r"/webhooks/{app_id:\d+}/{token}"
        routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
            ("GET", "/users/@me", self._get_current_user),
            ("GET", "/users/@me/guilds", self._get_current_user_guilds),
            ("POST", "/users/@me/channels", self._post_dm_channel),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_bot_gateway),
            ("GET", app + "/commands", self._get_commands),
            ("PUT", app + "/commands", self._put_commands),
            ("GET", app + r"/guilds/{guild_id:\d+}/commands", self._get_commands),
            ("PUT", app + r"/guilds/{guild_id:\d+}/commands", self._put_commands),
            ("GET", r"/guilds/{guild_id:\d+}", self._get_guild),
            ("GET", r"/guilds/{guild_id:\d+}/channels", self._get_guild_channels),
            ("GET", r"/guilds/{guild_id:\d+}/roles", self._get_guild_roles),
            ("GET", r"/guilds/{guild_id:\d+}/members/{user_id:\d+}", self._get_guild_member),
            ("GET", channel, self._get_channel),
            ("GET", channel + "/messages", self._get_messages),
            ("POST", channel + "/messages", self._post_message),
            ("GET", message, self._get_message),
            ("PATCH", message, self._patch_message),
            ("DELETE", message, self._delete_message),
            ("POST", message + "/threads", self._post_thread_from_message),
            ("POST", channel + "/threads", self._post_thread),
            ("POST", channel + "/typing", self._post_typing),
            ("POST", r"/interactions/{interaction_id:\d+}/{token}/callback", self._post_callback),
            ("POST", webhook, self._post_followup),
            ("GET", webhook + "/messages/{message_id}", self._get_webhook_message),
            ("PATCH", webhook + "/messages/{message_id}", self._patch_webhook_message),
            ("DELETE", webhook + "/messages/{message_id}", self._delete_webhook_message),
        ]
        for method, path, handler in routes:
            router.add_route(method, API_PREFIX + path, handler)

    @web.middleware
    async def _rest_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Record every REST call, then apply failure injection, routing and auth."""
        if request.path.startswith(CDN_PREFIX):
            return await self._get_cdn_attachment(request)
        if request.path == GATEWAY_PATH:
            if self.gateway_refusals > 0:
                self.gateway_refusals -= 1
                self.refused_gateway_connections += 1
                self._notify()
                return web.Response(status=503, text="upstream connect error")
            return await handler(request)
        path = request.path.removeprefix(API_PREFIX)
        try:
            body, _ = await read_payload(request)
        except DiscordError as error:
            self._record_request(request.method, path, None)
            return error.to_response()
        self._record_request(request.method, path, body)
        failure = self._take_failure(request.method, path)
        if failure is not None:
            return failure.to_response()
        if not request.path.startswith(API_PREFIX + "/") or request.match_info.http_exception:
            self.unknown_requests.append((request.method, path))
            self._notify()
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        if not self._is_authorized(request, path):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            return await handler(request)
        except DiscordError as error:
            return error.to_response()

    async def _get_cdn_attachment(self, request: web.Request) -> web.Response:
        """An attachment's bytes from the CDN (no Authorization needed, as on Discord): 404
        unless the path is the one its ``url`` gave."""
        parts = request.path.removeprefix(CDN_PREFIX).split("/")
        attachment_id = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
        attachment = self.option_attachments.get(attachment_id)
        if request.method != "GET" or attachment is None:
            return web.Response(status=404, text="Not Found")
        if urllib.parse.unquote(urllib.parse.urlsplit(attachment["url"]).path) != request.path:
            return web.Response(status=404, text="Not Found")
        self.cdn_downloads.append(attachment_id)
        self._notify()
        return web.Response(
            body=self.uploads[attachment_id],
            headers={"Content-Type": attachment["content_type"]},
        )

    def _record_request(self, method: str, path: str, body: object) -> None:
        self.requests.append((method, path, body))
        self._notify()

    def _is_authorized(self, request: web.Request, path: str) -> bool:
        """Interaction and webhook routes authenticate by token; others need ``Bot <token>``."""
        if path.startswith(("/interactions/", "/webhooks/")):
            return True
        authorization = request.headers.get("Authorization", "")
        if self.token is not None:
            return authorization == f"Bot {self.token}"
        return authorization.startswith("Bot ") and len(authorization) > 4

    def _check_application(self, request: web.Request) -> None:
        if int(request.match_info["app_id"]) != self.application_id:
            raise DiscordError(404, 10002, "Unknown Application")

    def _check_guild(self, request: web.Request) -> None:
        if int(request.match_info["guild_id"]) not in self.guild_ids:
            raise DiscordError(404, 10004, "Unknown Guild")

    def _channel(self, request: web.Request) -> JSON:
        channel = self._channels.get(int(request.match_info["channel_id"]))
        if channel is None:
            raise unknown_channel()
        return channel

    def _channel_message(self, request: web.Request) -> JSON:
        channel = self._channel(request)
        message_id = request.match_info["message_id"]
        for message in self.messages[int(channel["id"])]:
            if message["id"] == message_id:
                return message
        raise unknown_message()

    # ---- REST: identity, gateway, commands, guild ------------------------------------------

    async def _get_current_user(self, request: web.Request) -> web.Response:
        return json_response({**self._bot_user, "verified": True, "mfa_enabled": False})

    async def _get_current_user_guilds(self, request: web.Request) -> web.Response:
        """The servers the bot is in, as partial guilds (``limit`` 1-200, default 200)."""
        errors = FormErrors()
        raw = request.query.get("limit", "200")
        if not raw.isdigit() or not 1 <= int(raw) <= 200:
            errors.add(("limit",), "NUMBER_TYPE_MAX", "int value should be between 1 and 200.")
            errors.raise_if_any()
        guilds = [
            {
                "id": str(guild_id),
                "name": self._guild_name(guild_id),
                "icon": None,
                "banner": None,
                "owner": False,
                "permissions": str(BOT_PERMISSIONS | MEMBER_PERMISSIONS),
                "features": [],
            }
            for guild_id in self.guild_ids
        ]
        return json_response(guilds[: int(raw)])

    def _guild_name(self, guild_id: int) -> str:
        if guild_id == self.guild_id:
            return self.guild_name
        return self._other_guilds[guild_id][0]

    async def _get_application(self, request: web.Request) -> web.Response:
        return json_response(self._application_payload())

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_bot_gateway(self, request: web.Request) -> web.Response:
        limit = {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 0,
            "max_concurrency": self.max_concurrency,
        }
        return json_response(
            {"url": self.gateway_url, "shards": self.shards, "session_start_limit": limit}
        )

    def _command_scope(self, request: web.Request) -> int | None:
        self._check_application(request)
        if "guild_id" not in request.match_info:
            return None
        self._check_guild(request)
        return int(request.match_info["guild_id"])

    async def _get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.commands.get(self._command_scope(request), []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite: validate, give each command a stable id, echo them back."""
        scope = self._command_scope(request)
        payload, _ = await read_payload(request)
        validate_commands(payload)
        assert isinstance(payload, list)
        registered = [self._register_command(scope, command) for command in payload]
        self.commands[scope] = registered
        self.synced_commands = copy.deepcopy(payload)
        self._notify()
        return json_response(registered)

    def _register_command(self, scope: int | None, command: JSON) -> JSON:
        key = (scope, command["name"], command.get("type", 1))
        command_id = self._command_ids.setdefault(key, self._ids.next())
        registered = {
            "type": 1,
            "description": "",
            "default_member_permissions": None,
            "nsfw": False,
            **copy.deepcopy(command),
            "id": str(command_id),
            "application_id": str(self.application_id),
            "version": str(self._ids.next()),
        }
        if scope is not None:
            registered["guild_id"] = str(scope)
        return registered

    async def _get_guild(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        return json_response(self._guild_payload())

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        channels = [c for c in self._channels.values() if c["type"] not in THREAD_TYPES]
        return json_response(channels)

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        return json_response(self._roles_payload())

    async def _get_guild_member(self, request: web.Request) -> web.Response:
        """A member of the main server: the bot (with its role) or a user who acted there."""
        self._check_guild(request)
        guild_id = int(request.match_info["guild_id"])
        user_id = int(request.match_info["user_id"])
        if user_id == self.bot_user_id:
            if guild_id == self.guild_id:
                return json_response(self._bot_member())
            bot_role = self._other_guilds[guild_id][1]
            return json_response({**self._member_payload(self._bot_user), "roles": [str(bot_role)]})
        user = self._users_by_id.get(user_id)
        if user is None or user not in self._users_by_name.values():
            raise DiscordError(404, 10007, "Unknown Member")
        return json_response(self._member_payload(user))

    # ---- REST: channels and messages -------------------------------------------------------

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return json_response(self._public_channel(channel))

    async def _get_messages(self, request: web.Request) -> web.Response:
        """Channel or thread history, newest first, at most ``limit`` (1-100, default 50).

        ``before`` gives the newest messages older than it; ``after`` the oldest messages newer
        than it (still sent newest first, as Discord does); ``around`` those around it, itself
        included. Without any, the newest messages.
        """
        channel = self._channel(request)
        limit = history_limit(request.query.get("limit", "50"))
        anchors = [key for key in ("around", "before", "after") if key in request.query]
        history = sorted(self.messages[int(channel["id"])], key=lambda m: int(m["id"]))
        page = history[-limit:]
        if anchors:  # mutually exclusive on Discord; discord.py sends one at a time
            anchor = snowflake_param(request.query[anchors[0]], anchors[0])
            page = history_page(history, anchors[0], anchor, limit)
        return json_response(list(reversed(page)))

    async def _get_message(self, request: web.Request) -> web.Response:
        return json_response(self._channel_message(request))

    async def _post_dm_channel(self, request: web.Request) -> web.Response:
        """Open (or give again) the DM channel with ``recipient_id``."""
        body, _ = await read_payload(request)
        recipient = str(body["recipient_id"])
        user = self._users_by_id.get(int(recipient))
        if user is None:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")
        if recipient not in self.dm_channels:
            channel_id = self._ids.next()
            self._channels[channel_id] = {
                "id": str(channel_id),
                "type": CHANNEL_TYPE_DM,
                "recipients": [user],
                "last_message_id": None,
            }
            self.messages[channel_id] = []
            self.dm_channels[recipient] = channel_id
        return json_response(self._channels[self.dm_channels[recipient]])

    def dms_to(self, user_name: str) -> list[JSON]:
        """The messages the bot sent to ``user_name`` in DMs."""
        user = self._users_by_name.get(user_name)
        channel_id = self.dm_channels.get(user["id"]) if user else None
        return self.messages.get(channel_id, []) if channel_id else []

    def close_dms(self, user_name: str) -> None:
        """``user_name`` no longer accepts DMs from the bot (privacy settings, or blocked)."""
        self.closed_dms.add(self._user(user_name)["id"])

    async def _post_message(self, request: web.Request) -> web.Response:
        """Create a message in a channel or thread, record it, dispatch MESSAGE_CREATE."""
        channel = self._channel(request)
        channel_id = int(channel["id"])
        if channel["type"] == CHANNEL_TYPE_DM and channel["recipients"][0]["id"] in self.closed_dms:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        headers: dict[str, str] = {}
        if self._send_limit is not None:
            allowed, headers = self._send_limit.take(channel_id)
            if not allowed:
                self.rate_limited.append((request.method, request.path.removeprefix(API_PREFIX)))
                self._notify()
                return SendRateLimit.refusal(headers)
        body, files = await read_object(request)
        validate_message_body(body, has_files=bool(files), creating=True)
        duplicate = self._enforced_nonce_duplicate(channel_id, body)
        if duplicate is not None:
            return json_response(duplicate, headers=headers)
        reference = self._reply_reference(channel_id, body)
        message_type = MESSAGE_TYPE_REPLY if reference else MESSAGE_TYPE_DEFAULT
        message = self._new_message(channel_id, body, files, message_type=message_type)
        if reference:
            message.update(reference)
        self._remember_nonce(channel_id, message)
        self._store_channel_message(channel, message)
        if channel["type"] != CHANNEL_TYPE_DM:  # the bot asked for no DM intents
            await self._dispatch("MESSAGE_CREATE", self._gateway_message(message))
        return await self._answer_write(request, json_response(message, headers=headers))

    async def _answer_write(self, request: web.Request, response: web.Response) -> web.Response:
        """Answer an applied write after ``write_latency_seconds`` (listed meanwhile)."""
        if self.write_latency_seconds <= 0:
            return response
        write = (request.method, request.path.removeprefix(API_PREFIX))
        self.unanswered_writes.append(write)
        self._notify()
        try:
            await asyncio.sleep(self.write_latency_seconds)
        finally:
            self.unanswered_writes.remove(write)
            self._notify()
        return response

    def _remember_nonce(self, channel_id: int, message: JSON) -> None:
        nonce = message.get("nonce")
        if nonce is not None:
            key = (channel_id, message["author"]["id"], str(nonce))
            self._nonces[key] = (message, self._clock())

    def _enforced_nonce_duplicate(self, channel_id: int, body: JSON) -> JSON | None:
        """The message this one repeats, if its nonce was used within the window."""
        if not body.get("enforce_nonce") or body.get("nonce") is None:
            return None
        key = (channel_id, self._bot_user["id"], str(body["nonce"]))
        earlier = self._nonces.get(key)
        if earlier is None:
            return None
        message, sent_at = earlier
        if self._clock() - sent_at >= self.nonce_window_seconds:
            del self._nonces[key]
            return None
        if message not in self.messages[channel_id]:
            return None  # deleted since
        return message

    def forget_nonces(self) -> None:
        """Let every nonce sent so far expire, as Discord's few-minute window does: a message
        re-sent with the same nonce after this is a new message."""
        self._nonces.clear()

    def _reply_reference(self, channel_id: int, body: JSON) -> JSON | None:
        """``message_reference``/``referenced_message`` for a reply, or None for a plain message."""
        reference = body.get("message_reference")
        if not reference:
            return None
        target = self._messages_by_id.get(int(reference.get("message_id", 0)))
        if target is None:
            if reference.get("fail_if_not_exists", True):
                errors = FormErrors()
                errors.add(
                    ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
                errors.raise_if_any()
            return None
        referenced = {k: v for k, v in copy.deepcopy(target).items() if k != "referenced_message"}
        return {
            "message_reference": {
                "type": 0,
                "message_id": target["id"],
                "channel_id": target["channel_id"],
                "guild_id": str(self.guild_id),
            },
            "referenced_message": referenced,
        }

    def _store_channel_message(self, channel: JSON, message: JSON) -> None:
        self.messages[int(channel["id"])].append(message)
        channel["last_message_id"] = message["id"]
        if channel["type"] in THREAD_TYPES:
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        self._notify()

    async def _patch_message(self, request: web.Request) -> web.Response:
        """Edit a channel message in place and dispatch MESSAGE_UPDATE."""
        message = self._channel_message(request)
        body, files = await read_object(request)
        validate_message_body(body, has_files=bool(files), creating=False)
        self._edit_message(message, body, files)
        self._notify()
        await self._dispatch("MESSAGE_UPDATE", self._gateway_message(message))
        return await self._answer_write(request, json_response(message))

    async def _delete_message(self, request: web.Request) -> web.Response:
        """Move a channel message to ``deleted_messages`` and dispatch MESSAGE_DELETE."""
        message = self._channel_message(request)
        channel_id = int(message["channel_id"])
        self.messages[channel_id].remove(message)
        self.deleted_messages.append(message)
        self._notify()
        event = {"id": message["id"], "channel_id": str(channel_id), "guild_id": str(self.guild_id)}
        await self._dispatch("MESSAGE_DELETE", event)
        return await self._answer_write(request, no_content())

    async def _post_typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    # ---- REST: threads -----------------------------------------------------------------------

    async def _post_thread_from_message(self, request: web.Request) -> web.Response:
        """Start a public thread on a message (the thread gets the message's id)."""
        parent = self._text_channel(request)
        message = self._channel_message(request)
        if message.get("thread"):
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        body, _ = await read_object(request)
        thread = self._create_thread(
            parent, body, PUBLIC_THREAD, thread_id=int(message["id"]), message_id=int(message["id"])
        )
        message["thread"] = self._thread_channel_payload(thread)
        message["flags"] |= FLAG_HAS_THREAD
        await self._dispatch("THREAD_CREATE", self._thread_create_event(thread))
        return await self._answer_write(
            request, json_response(self._thread_channel_payload(thread))
        )

    async def _post_thread(self, request: web.Request) -> web.Response:
        """Start a thread without a message (``type`` 11 public or 12 private, default 12),
        or, in a forum channel, a forum post: a public thread and its first message."""
        parent = self._text_channel(request)
        if parent["type"] == CHANNEL_TYPE_FORUM:
            return await self._post_forum_post(request, parent)
        body, _ = await read_object(request)
        thread_type = int(body.get("type") or 12)
        if thread_type not in (11, 12):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        thread = self._create_thread(parent, body, thread_type, thread_id=self._ids.next())
        await self._dispatch("THREAD_CREATE", self._thread_create_event(thread))
        return await self._answer_write(
            request, json_response(self._thread_channel_payload(thread))
        )

    async def _post_forum_post(self, request: web.Request, forum: JSON) -> web.Response:
        body, files = await read_object(request)
        message_body = body.get("message")
        if not isinstance(message_body, dict):
            errors = FormErrors()
            errors.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.raise_if_any()
        validate_message_body(message_body, has_files=bool(files), creating=True)
        available = {tag["id"] for tag in forum["available_tags"]}
        applied = [str(tag) for tag in body.get("applied_tags") or []]
        if len(applied) > MAX_APPLIED_TAGS or not set(applied) <= available:
            errors = FormErrors()
            errors.add(("applied_tags",), "BASE_TYPE_CHOICES", "Unknown tag or too many tags")
            errors.raise_if_any()
        thread_id = self._ids.next()
        thread = self._create_thread(
            forum, body, PUBLIC_THREAD, thread_id=thread_id, message_id=thread_id
        )
        thread["applied_tags"] = applied
        message = self._new_message(thread_id, message_body, files)
        # A forum post's first message has the thread's id.
        del self._messages_by_id[int(message["id"])]
        message["id"] = str(thread_id)
        self._messages_by_id[thread_id] = message
        self._store_channel_message(thread, message)
        forum["last_message_id"] = str(thread_id)
        await self._dispatch("THREAD_CREATE", self._thread_create_event(thread))
        await self._dispatch("MESSAGE_CREATE", self._gateway_message(message))
        payload = {**self._thread_channel_payload(thread), "message": message}
        return await self._answer_write(request, json_response(payload))

    def _text_channel(self, request: web.Request) -> JSON:
        channel = self._channel(request)
        if channel["type"] in THREAD_TYPES:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        return channel

    def _create_thread(
        self,
        parent: JSON,
        body: JSON,
        thread_type: int,
        *,
        thread_id: int,
        message_id: int | None = None,
    ) -> JSON:
        """Validate, store and record a new thread; returns the record (channel + message_id)."""
        name = body.get("name")
        auto_archive = int(body.get("auto_archive_duration") or 4320)
        errors = FormErrors()
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if auto_archive not in AUTO_ARCHIVE_DURATIONS:
            errors.add(("auto_archive_duration",), "BASE_TYPE_CHOICES", "Value must be one of ...")
        errors.raise_if_any()
        now = self._now_iso()
        thread = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": parent.get("guild_id") or str(self.guild_id),
            "parent_id": parent["id"],
            "owner_id": str(self.bot_user_id),
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive,
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
            "member": {
                "id": str(thread_id),
                "user_id": str(self.bot_user_id),
                "join_timestamp": now,
                "flags": 0,
            },
            "message_id": message_id,
        }
        self._channels[thread_id] = thread
        self.messages[thread_id] = []
        self.threads.append(thread)
        self._notify()
        return thread

    def _thread_create_event(self, thread: JSON) -> JSON:
        return {**self._thread_channel_payload(thread), "newly_created": True}

    # ---- REST: interactions ------------------------------------------------------------------

    async def _post_callback(self, request: web.Request) -> web.Response:
        """The bot's first answer to an interaction (``with_response=1`` gets the callback body)."""
        interaction = self._interactions_by_id.get(int(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        if interaction.callback is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        body, files = await read_object(request)
        kind = self._callback_type(interaction, body)
        data = body.get("data") or {}
        if kind in (CallbackType.CHANNEL_MESSAGE, CallbackType.UPDATE_MESSAGE):
            creating = kind is CallbackType.CHANNEL_MESSAGE
            validate_message_body(data, has_files=bool(files), creating=creating)
        interaction.callback = body
        await self._apply_callback(interaction, kind, data, files)
        self._notify()
        if not query_flag(request, "with_response"):
            return no_content()
        return json_response(self._callback_response(interaction, kind))

    @staticmethod
    def _callback_type(interaction: Interaction, body: JSON) -> CallbackType:
        """The callback type, if valid for this kind of interaction."""
        allowed = {
            InteractionType.APPLICATION_COMMAND: {4, 5, 9},
            InteractionType.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE: {8},
        }[interaction.type]
        kind = body.get("type")
        if kind not in allowed:
            errors = FormErrors()
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of {sorted(allowed)}.")
            errors.raise_if_any()
        return CallbackType(kind)

    async def _apply_callback(
        self, interaction: Interaction, kind: CallbackType, data: JSON, files: list[web.FileField]
    ) -> None:
        if kind is CallbackType.CHANNEL_MESSAGE:
            interaction.original = self._interaction_message(interaction, data, files)
            interaction._record_visible(interaction.original)
        elif kind is CallbackType.DEFERRED_CHANNEL_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            loading = {"content": "", "flags": flags}
            interaction.original = self._interaction_message(interaction, loading, [])
        elif kind is CallbackType.UPDATE_MESSAGE:
            assert interaction.original is not None
            self._edit_message(interaction.original, data, files)
            interaction._record_visible(interaction.original)
            await self._dispatch_update_if_channel_message(interaction.original)

    def _callback_response(self, interaction: Interaction, kind: CallbackType) -> JSON:
        """The ``InteractionCallbackResponse`` Discord returns for ``with_response=1``."""
        summary: JSON = {"id": str(interaction.id), "type": int(interaction.type)}
        carries_message = kind in (4, 5, 7) and interaction.original is not None
        if not carries_message:
            return {"interaction": summary}
        assert interaction.original is not None
        message = interaction.original
        summary |= {
            "response_message_id": message["id"],
            "response_message_loading": kind is CallbackType.DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(message["flags"] & FLAG_EPHEMERAL),
        }
        return {"interaction": summary, "resource": {"type": int(kind), "message": message}}

    def _interaction_message(
        self,
        interaction: Interaction,
        body: JSON,
        files: list[web.FileField],
        *,
        followup: bool = False,
    ) -> JSON:
        """A message posted through an interaction (reply or followup); ephemeral flag kept."""
        flags = int(body.get("flags") or 0) & (SENDABLE_FLAGS | FLAG_EPHEMERAL | FLAG_LOADING)
        message_type = MESSAGE_TYPE_DEFAULT if followup else MESSAGE_TYPE_CHAT_INPUT_COMMAND
        message = self._new_message(
            interaction.channel_id, body, files, message_type=message_type, flags=flags
        )
        user = interaction.payload["member"]["user"]
        message |= {
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": {
                "id": str(interaction.id),
                "type": int(interaction.type),
                "user": user,
                "authorizing_integration_owners": {"0": str(self.guild_id)},
            },
        }
        return message

    def _webhook_interaction(self, request: web.Request) -> Interaction:
        """The interaction whose token the webhook route names (404 Unknown Webhook otherwise)."""
        if int(request.match_info["app_id"]) != self.application_id:
            raise unknown_webhook()
        token = request.match_info["token"]
        for interaction in self.interactions:
            if interaction.token == token and interaction.callback is not None:
                return interaction
        raise unknown_webhook()

    async def _post_followup(self, request: web.Request) -> web.Response:
        """A followup message. After a deferral the first one fills in the deferred reply.

        As on Discord, that first followup keeps the deferral's visibility: its own ephemeral
        flag is ignored.
        """
        interaction = self._webhook_interaction(request)
        body, files = await read_object(request)
        validate_message_body(body, has_files=bool(files), creating=True)
        original = interaction.original
        if original is not None and original["flags"] & FLAG_LOADING:
            self._edit_message(original, body, files)
            original["flags"] &= ~FLAG_LOADING
            original["edited_timestamp"] = None
            message = original
        else:
            message = self._interaction_message(interaction, body, files, followup=True)
        interaction.followups.append(message)
        interaction._record_visible(message)
        self._notify()
        return json_response(message) if query_flag(request, "wait") else no_content()

    def _webhook_message(self, interaction: Interaction, message_id: str) -> JSON:
        if message_id == "@original":
            if interaction.original is None:
                raise unknown_message()
            return interaction.original
        candidates = [interaction.original, *interaction.followups]
        for message in candidates:
            if message is not None and message["id"] == message_id:
                return message
        raise unknown_message()

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        return json_response(self._webhook_message(interaction, request.match_info["message_id"]))

    async def _patch_webhook_message(self, request: web.Request) -> web.Response:
        """Edit ``@original`` or a followup; editing a deferred reply makes it visible."""
        interaction = self._webhook_interaction(request)
        message = self._webhook_message(interaction, request.match_info["message_id"])
        body, files = await read_object(request)
        validate_message_body(body, has_files=bool(files), creating=False)
        self._edit_message(message, body, files)
        message["flags"] &= ~FLAG_LOADING
        interaction._record_visible(message)
        self._notify()
        await self._dispatch_update_if_channel_message(message)
        return json_response(message)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        message = self._webhook_message(interaction, request.match_info["message_id"])
        if message is interaction.original:
            interaction.original = None
        if message in interaction.followups:
            interaction.followups.remove(message)
        interaction.deleted_messages.append(message)
        self._notify()
        return no_content()

    async def _dispatch_update_if_channel_message(self, message: JSON) -> None:
        """Component interactions edit channel messages; those get MESSAGE_UPDATE."""
        if message in self.messages.get(int(message["channel_id"]), []):
            await self._dispatch("MESSAGE_UPDATE", self._gateway_message(message))


# --------------------------------------------------------------------------------------------
# Option helpers (pure functions)
# --------------------------------------------------------------------------------------------


def declared_leaf(
    command: JSON, path: list[str], where: str
) -> tuple[list[JSON], list[OptionType]]:
    """The declared options of the subcommand at ``path`` and the types along that path."""
    options: list[JSON] = command.get("options") or []
    types: list[OptionType] = []
    for part in path:
        sub = next(
            (o for o in options if o["name"] == part and o["type"] in (1, 2)),
            None,
        )
        if sub is None:
            declared = [o["name"] for o in options if o["type"] in (1, 2)]
            raise ValueError(f"{where}: no subcommand or group {part!r}; declared: {declared}")
        types.append(OptionType(sub["type"]))
        options = sub.get("options") or []
    subcommands = [o["name"] for o in options if o["type"] in (1, 2)]
    if subcommands:
        raise ValueError(f"{where} is a group; pass group_sub= one of {subcommands}")
    return options, types


def check_option_names(
    declared: list[JSON], values: dict[str, object], where: str, *, partial: bool
) -> None:
    """Raise ValueError for unknown options, or (unless ``partial``) missing required ones."""
    names = [spec["name"] for spec in declared]
    unknown = [key for key in values if key not in names]
    if unknown:
        raise ValueError(f"{where}: unknown option(s) {unknown}; declared: {names}")
    missing = [s["name"] for s in declared if s.get("required") and s["name"] not in values]
    if missing and not partial:
        raise ValueError(f"{where}: missing required option(s) {missing}")


def check_option_constraints(spec: JSON, value: object, channel: JSON | None, where: str) -> None:
    """Raise ValueError if ``value`` breaks the declared choices, bounds or channel types."""
    choices = [choice["value"] for choice in spec.get("choices") or []]
    if choices and value not in choices:
        raise ValueError(f"{where}: {value!r} is not one of the declared choices {choices}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = spec.get("min_value"), spec.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"{where}: {value!r} is outside [{low}, {high}]")
    if isinstance(value, str) and channel is None:
        low, high = spec.get("min_length", 0), spec.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise ValueError(f"{where}: length {len(value)} is outside [{low}, {high}]")
    allowed_types = spec.get("channel_types")
    if channel is not None and allowed_types and channel["type"] not in allowed_types:
        raise ValueError(f"{where}: channel type {channel['type']} not in {allowed_types}")


def infer_option_type(value: object, where: str, name: str) -> OptionType:
    """The option type for a Python value, used when the bot has not synced the command."""
    if isinstance(value, bool):
        return OptionType.BOOLEAN
    if isinstance(value, int):
        return OptionType.INTEGER
    if isinstance(value, float):
        return OptionType.NUMBER
    if isinstance(value, str):
        return OptionType.STRING
    if isinstance(value, ChannelRef):
        return OptionType.CHANNEL
    if isinstance(value, RoleRef):
        return OptionType.ROLE
    if isinstance(value, AttachmentRef):
        return OptionType.ATTACHMENT
    raise TypeError(f"{where} option {name!r}: cannot send a {type(value).__name__}")
