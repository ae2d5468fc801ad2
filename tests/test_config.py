from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import bot.client
from bot.cli import main
from bot.config import ConfigError, Settings, load_settings, parse_settings
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads_with_documented_defaults() -> None:
    settings = load_settings(REPO / "config.example.toml", environ={})
    assert settings.polling.interval_seconds == 900
    assert settings.polling.backfill == 3
    assert settings.polling.max_age_days == 7
    assert settings.network.allow_private_networks is False
    assert settings.storage.database == REPO / "bazaar.db"
    assert settings.feeds[0].url == "https://huggingface.co/blog/feed.xml"


def test_token_from_the_environment_wins_and_is_not_shown_in_repr(tmp_path: Path) -> None:
    path = write(tmp_path, '[discord]\ntoken = "from-file"\n')
    settings = load_settings(path, environ={"DISCORD_TOKEN": "from-env"})
    assert settings.discord.token == "from-env"
    assert "from-env" not in repr(settings)
    assert load_settings(path, environ={}).discord.token == "from-file"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[feeds]]\nchannel_id = 1\n", "missing key feeds[0].url"),
        ('[[feeds]]\nurl = "https://x.org/f"\n', "missing key feeds[0].channel_id"),
        ('[[feeds]]\nurl = "ftp://x.org/f"\nchannel_id = 1\n', "feeds[0].url must start with"),
        ('[polling]\ninterval_seconds = "soon"\n', "polling.interval_seconds must be an integer"),
        ("[polling]\nbackfill = true\n", "polling.backfill must be an integer"),
        ("[polling]\nbackfill = -1\n", "polling.backfill must be between 0 and 100"),
        ("[polling]\nintervall_seconds = 5\n", "unknown key polling.intervall_seconds"),
        ("[network]\nallow_private_networks = 1\n", "must be true or false"),
        ("[publish]\nthread_auto_archive_minutes = 5\n", "must be one of 60, 1440"),
        ("feeds = 3\n", "feeds must be an array of tables"),
        (
            '[[feeds]]\nurl = "https://x.org/f"\nchannel_id = 1\nfilter = "ai"\n',
            'feeds[0].filter must be "all" or "relevant"',
        ),
        ('[relevance]\ndisable = ["Not A Real Term"]\n', "relevance.disable"),
        ("[llm]\nenabled = true\n", "llm.model must name the model"),
        ("[discord\n", "is not valid TOML"),
    ],
)
def test_a_wrong_key_gives_one_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings(write(tmp_path, text), environ={})


# A value of the right type that the bot could not work with: out of range, NaN or infinite.
OUT_OF_RANGE = [
    ("polling", "interval_seconds", "9223372036854775807", "between 1 and 604800"),
    ("polling", "interval_seconds", "0", "between 1 and 604800"),
    ("polling", "backfill", "101", "between 0 and 100"),
    ("polling", "max_age_days", "1000000000", "between 1 and 3650"),
    ("polling", "timeout_seconds", "nan", "between 1 and 300"),
    ("polling", "timeout_seconds", "inf", "between 1 and 300"),
    ("polling", "timeout_seconds", "-inf", "between 1 and 300"),
    ("polling", "timeout_seconds", "0.5", "between 1 and 300"),
    ("polling", "timeout_seconds", "1" + "0" * 400, "between 1 and 300"),
    ("polling", "max_concurrent_fetches", "0", "between 1 and 64"),
    ("polling", "max_body_bytes", "10", "between 1024 and 104857600"),
    ("polling", "min_interval_seconds", "0", "between 1 and 86400"),
    ("polling", "backoff_base_seconds", "86400", "between 1 and 21600"),
    ("polling", "backoff_max_seconds", "99999999999", "between 1 and 604800"),
    ("polling", "pause_after_failures", "0", "between 1 and 1000"),
    ("network", "per_host_concurrency", "1000", "between 1 and 32"),
    ("network", "per_host_delay_seconds", "nan", "between 0 and 60"),
    ("network", "per_host_delay_seconds", "-1", "between 0 and 60"),
    ("publish", "thread_auto_archive_minutes", "5", "one of 60, 1440, 4320, 10080"),
    ("publish", "log_channel_id", "-1", "between 0 and 9223372036854775807"),
    ("publish", "log_channel_id", "18446744073709551616", "between 0 and 9223372036854775807"),
    ("llm", "timeout_seconds", "inf", "between 1 and 1800"),
    ("llm", "max_concurrent_requests", "0", "between 1 and 32"),
    ("llm", "max_input_tokens", "10", "between 100 and 1000000"),
    ("llm", "temperature", "nan", "between 0 and 2"),
    ("llm", "temperature", "2.5", "between 0 and 2"),
    ("discussions", "max_comments", "0", "between 1 and 5000"),
    ("discussions", "max_bytes", "1", "between 1024 and 104857600"),
    ("discussions", "timeout_seconds", "nan", "between 1 and 300"),
]


@pytest.mark.parametrize(("section", "name", "value", "allowed"), OUT_OF_RANGE)
def test_a_number_out_of_its_range_is_refused_with_the_range(
    tmp_path: Path, section: str, name: str, value: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(write(tmp_path, f"[{section}]\n{name} = {value}\n"), environ={})
    message = str(refused.value)
    assert message.startswith(f"{section}.{name} must be {allowed} (got ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[polling]\ninterval_seconds = true\n", "polling.interval_seconds must be an integer"),
        ("[polling]\nmax_age_days = 7.5\n", "polling.max_age_days must be an integer"),
        ("[polling]\ntimeout_seconds = false\n", "polling.timeout_seconds must be a number"),
        ("[llm]\ntemperature = true\n", "llm.temperature must be a number"),
        ("[discord]\nguild_ids = [true]\n", "discord.guild_ids must be a list of integer ids"),
        ("[discord]\nguild_ids = [1, 0]\n", "discord.guild_ids[1] must be between 1 and"),
        ("[[feeds]]\nurl = 'https://x.org/f'\nchannel_id = 0\n", "feeds[0].channel_id must be"),
        (
            "[[feeds]]\nurl = 'https://x.org/f'\nchannel_id = 9223372036854775808\n",
            "feeds[0].channel_id must be between 1 and 9223372036854775807",
        ),
        ("[polling]\nbackfill = " + "9" * 5000 + "\n", "is not valid TOML"),
    ],
)
def test_a_bool_for_a_number_or_an_impossible_id_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(write(tmp_path, text), environ={})


def test_the_defaults_are_within_their_ranges_and_the_edges_are_allowed(tmp_path: Path) -> None:
    defaults = parse_settings({}, base_dir=tmp_path, environ={})
    assert replace(defaults, storage=Settings().storage) == Settings()
    edges = {
        "polling": {"interval_seconds": 604800, "backfill": 0, "timeout_seconds": 300},
        "network": {"per_host_delay_seconds": 0},
        "llm": {"temperature": 2, "timeout_seconds": 1},
        "publish": {"log_channel_id": 2**63 - 1},
    }
    settings = parse_settings(edges, base_dir=tmp_path, environ={})
    assert settings.polling.interval_seconds == 604800
    assert settings.polling.timeout_seconds == 300.0
    assert isinstance(settings.polling.timeout_seconds, float)
    assert settings.llm.temperature == 2.0


def test_a_postgresql_url_is_the_store_and_its_password_is_never_shown(tmp_path: Path) -> None:
    url = "postgresql://bazaar:s3cret@db.example/bazaar?sslmode=require"
    settings = load_settings(write(tmp_path, f'[storage]\nurl = "{url}"\n'), environ={})
    assert settings.storage.location == url
    assert settings.storage.shown == "postgresql://bazaar:***@db.example/bazaar?sslmode=require"
    assert "s3cret" not in repr(settings)
    # Without storage.url, the SQLite file as before.
    plain = load_settings(write(tmp_path, ""), environ={})
    assert plain.storage.location == tmp_path / "bazaar.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('url = "sqlite:///x.db"', "storage.url must be a PostgreSQL URL"),
        ('url = "postgresql://h/db?colour=blue"', "not a valid PostgreSQL URL: invalid URI query"),
        ('url = "postgresql://u:s3cret@[h"', "not a valid PostgreSQL URL"),
        ('url = "postgresql://h/db"\ndatabase = "x.db"', "storage.url and storage.database"),
    ],
)
def test_a_wrong_storage_url_is_refused_in_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as refused:
        load_settings(write(tmp_path, f"[storage]\n{text}\n"), environ={})
    assert "s3cret" not in str(refused.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def python_m_bot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "[polling]\ninterval_seconds = 0\n",
            "polling.interval_seconds must be between 1 and 604800 (got 0)",
        ),
        (
            "[polling]\ninterval_seconds = 9223372036854775807\n",
            "polling.interval_seconds must be between 1 and 604800 (got 9223372036854775807)",
        ),
        (
            "[llm]\ntimeout_seconds = nan\n",
            "llm.timeout_seconds must be between 1 and 1800 (got nan)",
        ),
    ],
)
def test_the_cli_reports_bad_config_in_one_line_without_traceback(
    tmp_path: Path, text: str, error: str
) -> None:
    result = python_m_bot("preview", "--config", str(write(tmp_path, text)))
    assert result.returncode == 2
    assert result.stderr == f"error: {error}\n"


def unusable_database(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A storage.database path of `kind`, and the reason the CLI must give for refusing it."""
    if kind == "a directory":
        (tmp_path / "db").mkdir()
        return tmp_path / "db", "Is a directory"
    if kind == "under a regular file":
        (tmp_path / "file").write_text("")
        return tmp_path / "file" / "sub" / "bazaar.db", "Not a directory"
    if kind == "a read-only folder":
        (tmp_path / "ro").mkdir(mode=0o555)
        return tmp_path / "ro" / "bazaar.db", "Permission denied"
    assert kind == "not a database"
    (tmp_path / "notes.db").write_text("These are my notes, not a database. " * 10)
    return tmp_path / "notes.db", "file is not a database"


@pytest.mark.parametrize(
    "kind",
    [
        "a directory",
        "under a regular file",
        "not a database",
        pytest.param(
            "a read-only folder",
            marks=pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere"),
        ),
    ],
)
def test_preview_refuses_an_unusable_database_in_one_line(tmp_path: Path, kind: str) -> None:
    database, reason = unusable_database(tmp_path, kind)
    config = write(tmp_path, f"[storage]\ndatabase = '{database}'\n")

    result = python_m_bot("preview", "--config", str(config))

    assert result.returncode == 2
    assert result.stderr == f"error: storage.database: cannot open {database}: {reason}\n"


def test_run_refuses_an_unusable_database_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database, reason = unusable_database(tmp_path, "a directory")
    config = write(tmp_path, f"[discord]\ntoken = 'x'\n[storage]\ndatabase = '{database}'\n")

    async def start_without_discord(settings: Settings, **role: object) -> None:
        # What the bot does first once Discord accepts the token (no network here).
        store = await Store.open(settings.storage.database)
        await store.close()

    monkeypatch.setattr(bot.client, "run_until_stopped", start_without_discord)

    assert main(["run", "--config", str(config)]) == 2
    assert capsys.readouterr().err == f"error: storage.database: cannot open {database}: {reason}\n"


def test_run_without_a_token_says_where_to_put_it(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = python_m_bot("run", "--config", str(path), env=env)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
