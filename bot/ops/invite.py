"""`python -m bot invite`: the link that adds the bot to a server, with exactly the
permissions it uses. `REQUIRED_PERMISSIONS` is the one list of them; the doctor checks the
same list in every channel the bot posts in."""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

from bot.config import TOKEN_ENV, ConfigError, load_settings
from bot.ops.permissions import (
    CREATE_PUBLIC_THREADS,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    Permission,
    permission_value,
)

EXIT_OK, EXIT_USAGE = 0, 2
AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
# `bot` adds the bot user; `applications.commands` lets its slash commands appear.
SCOPES = ("bot", "applications.commands")
_MAX_SNOWFLAKE = 2**63 - 1

# What the bot does in the channels it posts in (cogs/publisher.py, cogs/digests.py), and
# what it does not need: no Attach Files (`/feeds export` answers the interaction, which
# needs no channel permission), no Mention Everyone (a role an admin opts in to ping must be
# mentionable; /feeds add warns when it is not), no Manage Messages or Manage Threads.
REQUIRED_PERMISSIONS: tuple[Permission, ...] = (
    Permission(VIEW_CHANNEL.name, VIEW_CHANNEL.bit, "see the channels it posts in"),
    Permission(
        SEND_MESSAGES.name, SEND_MESSAGES.bit, "post stories (in a forum: create its posts)"
    ),
    Permission(EMBED_LINKS.name, EMBED_LINKS.bit, "show each story as an embed"),
    Permission(
        READ_MESSAGE_HISTORY.name,
        READ_MESSAGE_HISTORY.bit,
        "find its own post after a restart instead of posting it twice",
    ),
    Permission(
        CREATE_PUBLIC_THREADS.name,
        CREATE_PUBLIC_THREADS.bit,
        "open a discussion thread under each post",
    ),
    Permission(
        SEND_MESSAGES_IN_THREADS.name,
        SEND_MESSAGES_IN_THREADS.bit,
        "add recaps and 'also covered by' notes to those threads and forum posts",
    ),
)


def needed_permissions(*, forum: bool, threads: bool) -> tuple[Permission, ...]:
    """What the bot needs in one channel: in a forum, Send Messages creates its posts and no
    thread is made from a message; in a text channel, the thread permissions only when posts
    get threads (publish.threads, or the server's threads setting)."""
    if forum:
        return tuple(p for p in REQUIRED_PERMISSIONS if p.bit != CREATE_PUBLIC_THREADS.bit)
    if not threads:
        thread_bits = CREATE_PUBLIC_THREADS.bit | SEND_MESSAGES_IN_THREADS.bit
        return tuple(p for p in REQUIRED_PERMISSIONS if not p.bit & thread_bits)
    return REQUIRED_PERMISSIONS


def permission_names() -> list[str]:
    """The names of the permissions the bot needs, as Discord shows them, in order."""
    return [permission.name for permission in REQUIRED_PERMISSIONS]


def required_permission_value() -> int:
    """The permission integer of `REQUIRED_PERMISSIONS`, as the invite URL carries it."""
    return permission_value(REQUIRED_PERMISSIONS)


def invite_url(client_id: int) -> str:
    """The OAuth2 link that adds application `client_id`'s bot with the needed permissions."""
    query = urlencode(
        {
            "client_id": client_id,
            "scope": " ".join(SCOPES),
            "permissions": required_permission_value(),
        }
    )
    return f"{AUTHORIZE_URL}?{query}"


def client_id_from_token(token: str) -> int | None:
    """The application id a bot token belongs to, or None if it is not a bot token.

    A bot token's first dot-separated part is the base64 of the bot user's id, and a bot
    user's id is its application's id."""
    first = token.strip().split(".", 1)[0]
    if not first:
        return None
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    text = decoded.decode("ascii", errors="replace")
    if not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= _MAX_SNOWFLAKE else None


def format_invite(client_id: int) -> str:
    """The URL, then the permissions it asks for and why, for the terminal."""
    width = max(len(name) for name in permission_names())
    lines = [
        invite_url(client_id),
        "",
        "Open it, pick your server, and keep these permissions:",
        *(f"  {p.name:<{width}}  to {p.why}" for p in REQUIRED_PERMISSIONS),
        f"(permission integer {required_permission_value()}; scopes: {', '.join(SCOPES)})",
    ]
    return "\n".join(lines) + "\n"


class InviteError(Exception):
    """No application id could be found; the message says where to get one."""


def find_client_id(
    client_id: int | None, config: str | None, environ: Mapping[str, str]
) -> tuple[int, str]:
    """(The application id, where it came from): `--client-id`, else the token in the
    environment, else the token in the config file. Raises `InviteError` or `ConfigError`."""
    if client_id is not None:
        if not 0 < client_id <= _MAX_SNOWFLAKE:
            raise InviteError(f"--client-id must be a positive application id (got {client_id})")
        return client_id, "--client-id"
    token, source = environ.get(TOKEN_ENV, "").strip(), TOKEN_ENV
    if not token:
        path = Path(config or "config.toml")
        if config is not None or path.exists():
            token, source = load_settings(path, environ).discord.token, f"the token in {path}"
    if not token:
        raise InviteError(
            "no application id: pass --client-id ID (Developer Portal → your application → "
            f"General Information → Application ID), or set {TOKEN_ENV}"
        )
    found = client_id_from_token(token)
    if found is None:
        # Never echo the token: it is a password.
        raise InviteError(
            f"{source} does not look like a bot token (Developer Portal → Bot → Reset Token), "
            "so the application id cannot be read from it: pass --client-id ID"
        )
    return found, source


def invite_command(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """Print the invite link; exit 2 if no application id can be found."""
    try:
        client_id, _ = find_client_id(
            args.client_id, args.config, os.environ if environ is None else environ
        )
    except (InviteError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(format_invite(client_id))
    return EXIT_OK
