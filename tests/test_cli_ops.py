"""What an admin running the bot meets on the command line: logging options anywhere, a
backup that is safe while the bot runs, and honest reports when something falls back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.config import FeedSettings
from bot.store import Store
from tests.clock import TestClock
from tests.llm_server import LLMServer, Reply
from tests.test_cli import ARTICLE, run_cli


async def test_logging_options_work_before_or_after_the_command_as_text_or_json(
    tmp_path: Path,
) -> None:
    page = tmp_path / "article.html"
    page.write_text(ARTICLE)
    log_file = tmp_path / "logs" / "bazaar.log"

    code, out, err = await run_cli(
        "summarize", str(page), "--log-level", "DEBUG", "--log-format", "json",
        "--log-file", str(log_file),
    )  # fmt: skip

    assert code == 0, err
    assert "TL;DR:" in out
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert records and {"time", "level", "logger", "message"} <= records[0].keys()
    assert any(r["level"] == "DEBUG" for r in records)
    # stderr carries the same lines, as JSON too
    assert all(json.loads(line) for line in err.splitlines() if line.strip())

    code, _, err = await run_cli("--log-level", "WARNING", "summarize", str(page))
    assert code == 0 and err == ""


async def test_the_configs_logging_section_is_used_and_the_command_line_wins(
    tmp_path: Path,
) -> None:
    page = tmp_path / "article.html"
    page.write_text(ARTICLE)
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nlevel = "DEBUG"\nformat = "json"\nfile = "bot.log"\n')

    code, _, err = await run_cli("summarize", str(page), "--config", str(config))
    assert code == 0, err
    assert (tmp_path / "bot.log").exists()  # relative to the config file
    assert all(json.loads(line) for line in err.splitlines() if line.strip())

    code, _, err = await run_cli(
        "summarize", str(page), "--config", str(config), "--log-level", "WARNING"
    )
    assert code == 0 and err == ""


async def test_a_bad_logging_section_is_a_clear_config_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nlevel = "LOUD"\n')

    code, _, err = await run_cli("preview", "--config", str(config))

    assert code == 2
    assert "logging.level must be one of DEBUG, INFO, WARNING, ERROR (got 'LOUD')" in err


async def test_a_backup_is_a_checked_copy_and_never_overwrites(
    tmp_path: Path, clock: TestClock
) -> None:
    database = tmp_path / "bazaar.db"
    store = await Store.open(database, clock=clock)
    await store.sync_config_feeds([FeedSettings(url="https://example.org/feed.xml", channel_id=7)])
    await store.close()
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "bazaar.db"\n')
    copy = tmp_path / "backups" / "bazaar-copy.db"

    code, out, err = await run_cli("backup", str(copy), "--config", str(config))

    assert code == 0, err
    assert out.startswith(f"Backed up {database} to {copy} (") and "checked" in out
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT url FROM feeds").fetchall() == [("https://example.org/feed.xml",)]

    code, _, err = await run_cli("backup", str(copy), "--config", str(config))
    assert code == 1 and f"{copy} already exists" in err

    config.write_text('[storage]\ndatabase = "missing.db"\n')
    code, _, err = await run_cli("backup", str(tmp_path / "other.db"), "--config", str(config))
    assert code == 1 and "there is no database at" in err


async def test_summarize_with_the_llm_down_says_the_extractive_summary_was_used(
    tmp_path: Path, llm_server: LLMServer
) -> None:
    llm_server.then(Reply(status=503, body="overloaded"), Reply(status=503, body="overloaded"))
    page = tmp_path / "article.html"
    page.write_text(ARTICLE)
    config = tmp_path / "config.toml"
    config.write_text(f'[llm]\nbase_url = "{llm_server.base_url}"\nmodel = "tiny-test"\n')

    code, out, err = await run_cli("summarize", str(page), "--llm", "--config", str(config))

    assert code == 0, err
    assert "Summarized by: extractive (offline): the LLM tiny-test" in out
    assert "gave no usable summary" in out
    assert "LLM summary failed" in err
