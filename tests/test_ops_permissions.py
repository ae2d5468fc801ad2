"""What the bot may do in a channel, as Discord computes it: the server's roles, then the
channel's overwrites for @everyone, for the bot's roles together, then for the bot itself."""

from __future__ import annotations

from bot.ops.permissions import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    EMBED_LINKS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Guild,
    Member,
    Overwrite,
    OverwriteKind,
    Role,
    channel_permissions,
    missing,
)

GUILD_ID, OWNER, BOT = 1, 2, 3
EVERYONE_ROLE, BOT_ROLE, NEWS_ROLE = GUILD_ID, 10, 11
VIEW, SEND, EMBED = VIEW_CHANNEL.bit, SEND_MESSAGES.bit, EMBED_LINKS.bit


def guild(everyone: int = VIEW | SEND, bot_role: int = EMBED) -> Guild:
    return Guild(
        GUILD_ID,
        "Test",
        OWNER,
        (
            Role(EVERYONE_ROLE, "@everyone", everyone),
            Role(BOT_ROLE, "Bazaar", bot_role),
            Role(NEWS_ROLE, "News", 0),
        ),
    )


BOT_MEMBER = Member(BOT, (BOT_ROLE, NEWS_ROLE))


def role(role_id: int, *, allow: int = 0, deny: int = 0) -> Overwrite:
    return Overwrite(role_id, OverwriteKind.ROLE, allow, deny)


def test_without_overwrites_the_bot_has_everyones_and_its_roles_permissions() -> None:
    assert channel_permissions(guild(), BOT_MEMBER, ()) == VIEW | SEND | EMBED


def test_an_everyone_deny_takes_away_even_what_a_role_grants_in_the_server() -> None:
    have = channel_permissions(guild(), BOT_MEMBER, [role(EVERYONE_ROLE, deny=EMBED)])

    assert have == VIEW | SEND
    assert missing(have, [VIEW_CHANNEL, EMBED_LINKS]) == (EMBED_LINKS,)


def test_a_role_overwrite_allow_wins_over_the_everyone_deny_and_another_roles_deny() -> None:
    overwrites = [
        role(EVERYONE_ROLE, deny=EMBED | SEND),
        role(NEWS_ROLE, deny=EMBED),
        role(BOT_ROLE, allow=EMBED),
    ]

    assert channel_permissions(guild(), BOT_MEMBER, overwrites) == VIEW | EMBED


def test_the_members_own_overwrite_comes_last() -> None:
    overwrites = [
        role(BOT_ROLE, allow=EMBED),
        Overwrite(BOT, OverwriteKind.MEMBER, allow=0, deny=EMBED | VIEW),
    ]

    assert channel_permissions(guild(), BOT_MEMBER, overwrites) == SEND


def test_overwrites_for_roles_the_bot_lacks_or_other_members_change_nothing() -> None:
    overwrites = [role(99, deny=SEND), Overwrite(BOT_ROLE, OverwriteKind.MEMBER, deny=SEND)]

    assert channel_permissions(guild(), BOT_MEMBER, overwrites) == VIEW | SEND | EMBED


def test_an_administrator_or_the_owner_can_do_everything_whatever_the_channel_says() -> None:
    deny_all = [role(EVERYONE_ROLE, deny=ALL_PERMISSIONS), role(BOT_ROLE, deny=ALL_PERMISSIONS)]

    admin = channel_permissions(guild(bot_role=ADMINISTRATOR.bit), BOT_MEMBER, deny_all)
    owner = channel_permissions(guild(), Member(OWNER, ()), deny_all)

    assert admin == owner == ALL_PERMISSIONS
