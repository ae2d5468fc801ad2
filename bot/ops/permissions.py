"""Discord permissions: the bits the bot cares about, by the names Discord shows, and what a
member may do in a channel, computed as Discord documents it (roles, then the channel's
overwrites). Pure: payloads come in as frozen dataclasses, nothing is fetched here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True)
class Permission:
    """One permission bit, named as Discord's server settings show it."""

    name: str
    bit: int
    why: str = ""  # what the bot does with it, for the invite and the doctor


# Bits from Discord's documentation (Topics → Permissions → Bitwise Permission Flags).
ADMINISTRATOR = Permission("Administrator", 1 << 3)
VIEW_CHANNEL = Permission("View Channels", 1 << 10)
SEND_MESSAGES = Permission("Send Messages", 1 << 11)
EMBED_LINKS = Permission("Embed Links", 1 << 14)
READ_MESSAGE_HISTORY = Permission("Read Message History", 1 << 16)
MENTION_EVERYONE = Permission("Mention @everyone, @here, and All Roles", 1 << 17)
CREATE_PUBLIC_THREADS = Permission("Create Public Threads", 1 << 35)
SEND_MESSAGES_IN_THREADS = Permission("Send Messages in Threads", 1 << 38)

# What an owner or administrator has: every bit, whatever Discord adds later.
ALL_PERMISSIONS = (1 << 64) - 1


def permission_value(permissions: Iterable[Permission]) -> int:
    """The permission integer Discord takes for these permissions (their bits, or-ed)."""
    value = 0
    for permission in permissions:
        value |= permission.bit
    return value


class OverwriteKind(IntEnum):
    """Whom a channel permission overwrite is for (Discord's `type` field)."""

    ROLE = 0
    MEMBER = 1


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    permissions: int
    mentionable: bool = False


@dataclass(frozen=True)
class Overwrite:
    """A channel's exception to the server's permissions, for one role or one member."""

    id: int
    kind: OverwriteKind
    allow: int = 0
    deny: int = 0


@dataclass(frozen=True)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: tuple[Role, ...]

    def role(self, role_id: int) -> Role | None:
        return next((role for role in self.roles if role.id == role_id), None)


@dataclass(frozen=True)
class Member:
    user_id: int
    role_ids: tuple[int, ...]


def base_permissions(guild: Guild, member: Member) -> int:
    """The member's permissions in the server: @everyone's and those of each of its roles;
    everything for the owner or an administrator."""
    if member.user_id == guild.owner_id:
        return ALL_PERMISSIONS
    everyone = guild.role(guild.id)  # @everyone's id is the server's
    permissions = everyone.permissions if everyone else 0
    for role_id in member.role_ids:
        role = guild.role(role_id)
        if role is not None:
            permissions |= role.permissions
    if permissions & ADMINISTRATOR.bit:
        return ALL_PERMISSIONS
    return permissions


def channel_permissions(guild: Guild, member: Member, overwrites: Iterable[Overwrite]) -> int:
    """The member's permissions in a channel with these overwrites: the server's, then the
    @everyone overwrite, then the member's roles' overwrites together (allow wins over deny
    among roles), then the member's own overwrite; an administrator keeps everything."""
    permissions = base_permissions(guild, member)
    if permissions == ALL_PERMISSIONS:
        return permissions
    overwrites = tuple(overwrites)
    for overwrite in overwrites:
        if overwrite.kind is OverwriteKind.ROLE and overwrite.id == guild.id:
            permissions = (permissions & ~overwrite.deny) | overwrite.allow
    allow = deny = 0
    for overwrite in overwrites:
        is_role = overwrite.kind is OverwriteKind.ROLE and overwrite.id != guild.id
        if is_role and overwrite.id in member.role_ids:
            allow |= overwrite.allow
            deny |= overwrite.deny
    permissions = (permissions & ~deny) | allow
    for overwrite in overwrites:
        if overwrite.kind is OverwriteKind.MEMBER and overwrite.id == member.user_id:
            permissions = (permissions & ~overwrite.deny) | overwrite.allow
    return permissions


def missing(have: int, needed: Iterable[Permission]) -> tuple[Permission, ...]:
    """The permissions of `needed` that `have` lacks, in `needed`'s order.

    Only the bits themselves: Discord also treats a channel the member cannot view as one
    where it can do nothing, but what an admin must grant is what is unset, and View
    Channels comes first in every list of needs."""
    return tuple(permission for permission in needed if not have & permission.bit)
