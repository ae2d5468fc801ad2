"""`python -m bot invite`: the link an admin opens to add the bot, with exactly the
permissions the bot uses, and the application id read from the token when not given."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot.ops.invite import (
    REQUIRED_PERMISSIONS,
    client_id_from_token,
    invite_url,
    permission_names,
    required_permission_value,
)
from tests.cli_process import run_bot_command

APP_ID = 1234567890123456789

# What each listed permission is called in discord.py: the bits must be Discord's own.
DISCORD_PY_NAMES = {
    "View Channels": "view_channel",
    "Send Messages": "send_messages",
    "Embed Links": "embed_links",
    "Read Message History": "read_message_history",
    "Create Public Threads": "create_public_threads",
    "Send Messages in Threads": "send_messages_in_threads",
}


def bot_token(user_id: int, *, urlsafe: bool = False, padded: bool = False) -> str:
    """A token shaped like Discord's: base64 of the bot's id, a timestamp part, an HMAC."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    first = encode(str(user_id).encode()).decode()
    return f"{first if padded else first.rstrip('=')}.GhTz1a.s3cr3t-HMAC_part_0123456789abcdef"


def test_the_permission_integer_is_the_sum_of_the_listed_bits_which_are_discords() -> None:
    assert required_permission_value() == sum(p.bit for p in REQUIRED_PERMISSIONS)
    assert len({p.bit for p in REQUIRED_PERMISSIONS}) == len(REQUIRED_PERMISSIONS)
    for permission in REQUIRED_PERMISSIONS:
        flag = getattr(discord.Permissions, DISCORD_PY_NAMES[permission.name])
        assert permission.bit == flag.flag
        assert permission.why
    expected = discord.Permissions(**{name: True for name in DISCORD_PY_NAMES.values()})
    assert required_permission_value() == expected.value == 309237730304


def test_the_bot_asks_for_what_it_uses_and_nothing_more() -> None:
    # It finds its own post after a crash by reading the channel's history.
    assert "Read Message History" in permission_names()
    value = discord.Permissions(required_permission_value())
    assert not value.administrator and not value.manage_messages and not value.manage_guild
    assert not value.mention_everyone  # an opted-in role is pinged only if it is mentionable
    assert not value.attach_files  # /feeds export answers the interaction: no channel right


def test_the_url_has_the_client_id_exactly_two_scopes_and_the_permissions() -> None:
    url = urlsplit(invite_url(APP_ID))

    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    assert url.query == (
        f"client_id={APP_ID}&scope=bot+applications.commands"
        f"&permissions={required_permission_value()}"
    )
    query = parse_qs(url.query)
    assert query["scope"] == ["bot applications.commands"]
    assert query["client_id"] == [str(APP_ID)]


@pytest.mark.parametrize("urlsafe", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_the_client_id_is_read_from_a_bot_token(urlsafe: bool, padded: bool) -> None:
    assert client_id_from_token(bot_token(APP_ID, urlsafe=urlsafe, padded=padded)) == APP_ID
    assert client_id_from_token(bot_token(80351110224678912)) == 80351110224678912


@pytest.mark.parametrize(
    "token", ["", "not a token", "bm90LWFuLWlk.abc.def", "!!!.abc.def", "MA.abc.def"]
)
def test_what_is_not_a_bot_token_gives_no_client_id(token: str) -> None:
    # "bm90LWFuLWlk" is base64 of "not-an-id"; "MA" of "0".
    assert client_id_from_token(token) is None


async def test_invite_prints_the_url_then_the_permissions_never_the_token(
    tmp_path: Path,
) -> None:
    token = bot_token(APP_ID)

    code, out, err = await run_bot_command("invite", cwd=tmp_path, env={"DISCORD_TOKEN": token})

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == invite_url(APP_ID)
    for name in permission_names():
        assert any(line.strip().startswith(name) for line in lines[1:])
    assert token not in out + err and token.split(".")[2] not in out + err


async def test_invite_takes_the_token_from_the_config_or_the_client_id_flag(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[discord]\ntoken = "{bot_token(APP_ID)}"\n')

    code, out, err = await run_bot_command("invite", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines()[0] == invite_url(APP_ID)

    code, out, err = await run_bot_command("invite", "--client-id", "42", cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines()[0] == invite_url(42)


async def test_invite_without_any_id_says_where_to_find_one(tmp_path: Path) -> None:
    code, out, err = await run_bot_command("invite", cwd=tmp_path)

    assert code == 2 and out == ""
    assert err.startswith("error: no application id: pass --client-id ID")
    assert "Application ID" in err

    code, _, err = await run_bot_command(
        "invite", cwd=tmp_path, env={"DISCORD_TOKEN": "definitely-not.a-bot-token"}
    )
    assert code == 2
    assert "does not look like a bot token" in err and "definitely-not" not in err
