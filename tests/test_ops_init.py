"""`python -m bot init`: a newcomer gets a config the bot runs with, from flags or by
answering questions in the terminal, and is never asked for (nor left with) the token."""

from __future__ import annotations

import os
from pathlib import Path

from bot.config import load_settings
from bot.ops.init_config import SUGGESTED_FEEDS
from tests.cli_process import run_bot_command

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhTz1a.a-secret-that-must-stay-out-of-files"
GUILD, CHANNEL = 123456789012345678, 234567890123456789


async def test_init_from_flags_writes_a_config_the_bot_loads_with_those_values(
    tmp_path: Path,
) -> None:
    config = tmp_path / "bot" / "config.toml"

    code, out, err = await run_bot_command(
        "init", "--config", str(config), "--guild", str(GUILD), "--guild", "42",
        "--channel", str(CHANNEL), "--feed", "https://example.org/feed.xml",
        "--feed", "https://example.net/atom", "--database", "data/news.db",
        cwd=tmp_path, env={"DISCORD_TOKEN": TOKEN},
    )  # fmt: skip

    assert code == 0, err
    settings = load_settings(config, environ={})
    assert settings.discord.guild_ids == (GUILD, 42)
    assert [(f.url, f.channel_id) for f in settings.feeds] == [
        ("https://example.org/feed.xml", CHANNEL),
        ("https://example.net/atom", CHANNEL),
    ]
    assert settings.storage.database == tmp_path / "bot" / "data" / "news.db"
    assert settings.discord.token == ""
    text = config.read_text()
    assert TOKEN not in text and "token =" not in text
    assert "DISCORD_TOKEN" in text  # says where the token goes instead
    assert len(text.splitlines()) < 40  # small: the full reference is config.example.toml
    # What to do next, the token kept out of the shell's history.
    assert "read -rs DISCORD_TOKEN && export DISCORD_TOKEN" in out
    assert f"python -m bot invite --config {config}" in out
    assert f"python -m bot run --config {config}" in out
    assert TOKEN not in out + err


async def test_a_channel_without_feeds_follows_the_suggested_open_source_ai_feeds(
    tmp_path: Path,
) -> None:
    code, out, err = await run_bot_command("init", "--channel", str(CHANNEL), cwd=tmp_path)

    assert code == 0, err
    settings = load_settings(tmp_path / "config.toml", environ={})  # ./config.toml by default
    assert [f.url for f in settings.feeds] == [feed.url for feed in SUGGESTED_FEEDS]
    assert {f.channel_id for f in settings.feeds} == {CHANNEL}
    assert "https://huggingface.co/blog/feed.xml" in [f.url for f in settings.feeds]
    assert settings.storage.database == tmp_path / "bazaar.db"
    assert "python -m bot invite\n" in out  # the default config needs no --config


async def test_init_with_yes_and_no_ids_writes_a_config_with_no_feeds_yet(tmp_path: Path) -> None:
    code, out, err = await run_bot_command("init", "--yes", cwd=tmp_path)

    assert code == 0, err
    settings = load_settings(tmp_path / "config.toml", environ={})
    assert settings.feeds == () and settings.discord.guild_ids == ()
    assert "/feeds add" in out


async def test_init_never_overwrites_a_config_without_force(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# mine, hand-tuned\n")

    code, out, err = await run_bot_command("init", "--yes", "--channel", "7", cwd=tmp_path)

    assert code == 1 and out == ""
    assert "config.toml already exists; nothing was changed" in err and "--force" in err
    assert config.read_text() == "# mine, hand-tuned\n"

    code, _, err = await run_bot_command("init", "--yes", "--channel", "7", "--force", cwd=tmp_path)
    assert code == 0, err
    assert [f.channel_id for f in load_settings(config, environ={}).feeds] == [7, 7, 7]
    assert sorted(os.listdir(tmp_path)) == ["config.toml"]  # no temporary left


async def test_unusable_flags_are_refused_with_how_to_find_an_id(tmp_path: Path) -> None:
    code, _, err = await run_bot_command("init", "--channel", "0", cwd=tmp_path)
    assert code == 2
    assert "'0' is not a channel id" in err and "Developer Mode" in err
    assert "Copy Channel ID" in err

    code, _, err = await run_bot_command("init", "--feed", "https://example.org/f", cwd=tmp_path)
    assert code == 2 and "--feed needs --channel ID" in err

    code, _, err = await run_bot_command(
        "init", "--channel", "7", "--feed", "example.org/feed", cwd=tmp_path
    )
    assert code == 2 and "is not a web address" in err
    assert not (tmp_path / "config.toml").exists()


async def test_init_asks_in_a_terminal_and_asks_again_after_a_wrong_answer(
    tmp_path: Path,
) -> None:
    answers = [
        "my-server",  # not an id: explained, asked again
        f"{GUILD}, 42",
        str(CHANNEL),
        "1 4",  # there is no suggestion 4
        "3 https://example.org/feed.xml",
        "",  # the default database
    ]

    code, out, err = await run_bot_command(
        "init", cwd=tmp_path, typed="\n".join(answers) + "\n", env={"DISCORD_TOKEN": TOKEN}
    )

    assert code == 0, err
    assert "'my-server' is not a server id" in out and "Developer Mode" in out
    assert "there is no suggestion 4" in out
    assert "token" not in out.split("Wrote")[0].lower()  # no question about it
    settings = load_settings(tmp_path / "config.toml", environ={})
    assert settings.discord.guild_ids == (GUILD, 42)
    assert [(f.url, f.channel_id, f.name) for f in settings.feeds] == [
        (SUGGESTED_FEEDS[2].url, CHANNEL, SUGGESTED_FEEDS[2].name),
        ("https://example.org/feed.xml", CHANNEL, None),
    ]
    assert settings.storage.database == tmp_path / "bazaar.db"
    assert TOKEN not in (tmp_path / "config.toml").read_text()


async def test_init_asks_only_for_what_the_flags_leave_out(tmp_path: Path) -> None:
    code, out, err = await run_bot_command(
        "init", "--guild", str(GUILD), "--database", "x.db", cwd=tmp_path, typed=f"{CHANNEL}\n\n"
    )

    assert code == 0, err
    assert "Server id" not in out and "Database file" not in out
    settings = load_settings(tmp_path / "config.toml", environ={})
    assert settings.discord.guild_ids == (GUILD,)
    assert len(settings.feeds) == len(SUGGESTED_FEEDS)  # Enter: all the suggestions
    assert settings.storage.database == tmp_path / "x.db"


async def test_init_with_yes_asks_nothing_even_in_a_terminal(tmp_path: Path) -> None:
    code, out, err = await run_bot_command("init", "--yes", cwd=tmp_path, typed="")

    assert code == 0, err
    assert "?" not in out and "Server id" not in out
    assert load_settings(tmp_path / "config.toml", environ={}).feeds == ()


async def test_input_ending_midway_writes_nothing(tmp_path: Path) -> None:
    # Ctrl-D after the first answer.
    code, _, err = await run_bot_command("init", cwd=tmp_path, typed=f"{GUILD}\n\x04")

    assert code == 1
    assert "nothing was written" in err
    assert not (tmp_path / "config.toml").exists()
