from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

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
        ("[polling]\nbackfill = -1\n", "polling.backfill must be 0 or more"),
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


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_the_cli_reports_bad_config_in_one_line_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[polling]\ninterval_seconds = 0\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "preview", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: polling.interval_seconds must be greater than 0 (got 0)"


def test_run_without_a_token_says_where_to_put_it(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    env = {k: v for k, v in __import__("os").environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
