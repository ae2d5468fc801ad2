"""What an admin running the bot meets on the command line: logging options anywhere, a
backup that is safe while the bot runs, and honest reports when something falls back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

from bot.config import FeedSettings
from bot.store import Store
from tests.clock import TestClock
from tests.feed_server import FeedServer, rss
from tests.llm_server import LLMServer, Reply
from tests.polling import items
from tests.test_cli import ARTICLE, REPO, run_cli, write_config


async def stderr_until_stopped(process: asyncio.subprocess.Process, awaited: str) -> str:
    """The process's stderr until a line says `awaited`, then SIGTERM, then the rest."""
    assert process.stderr is not None
    lines: list[str] = []
    while not any(awaited in line for line in lines):
        line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
        assert line, "".join(lines)
        lines.append(line.decode())
    process.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(process.communicate(), timeout=30)
    return "".join(lines) + rest.decode()


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


async def test_commands_made_for_the_sqlite_file_say_what_to_do_on_postgresql(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[storage]\nurl = "postgresql://bazaar:secret@db.invalid/bazaar"\n'
        '[[feeds]]\nurl = "https://example.org/feed.xml"\nchannel_id = 7\n'
    )
    code, _, err = await run_cli("backup", str(tmp_path / "copy.db"), "--config", str(config))
    assert code == 2 and "pg_dump" in err
    code, _, err = await run_cli("preview", "--config", str(config))
    assert code == 2 and "`preview` polls on a scratch copy of a SQLite file" in err
    assert "secret" not in err
    assert not (tmp_path / "bazaar.db").exists()  # no stray SQLite file made instead


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


async def test_the_bot_says_once_it_cannot_reach_discord_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    # A port nothing listens on: Discord "unreachable", without leaving this machine.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "bazaar.db"\n')
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.run_bot_subprocess",
        "--discord-base", f"http://127.0.0.1:{closed}/api/v10",
        "--discord-gateway", f"ws://127.0.0.1:{closed}/gateway",
        "--", "run", "--config", str(config),
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "DISCORD_TOKEN": "MTIz.abc.def"},
    )  # fmt: skip
    err = await stderr_until_stopped(process, "cannot log in to Discord")

    assert process.returncode == 0, err
    assert (
        "Bazaar 0.1.0 starting (role all): database " in err
        and "0 feeds followed in 0 servers" in err
    )
    assert err.count("cannot log in to Discord") == 1  # one line, not one per retry
    assert "Traceback" not in err and "voice will NOT be supported" not in err
    assert "logging in using static token" not in err


async def test_run_refuses_the_example_configs_placeholder_channel_with_the_fix() -> None:
    code, _, err = await run_cli("run", "--config", str(REPO / "config.example.toml"))

    assert code == 2
    assert "still post to the example's placeholder channel 123456789012345678" in err
    assert "Copy Channel ID" in err and "python -m bot init" in err


async def test_a_page_with_no_text_gets_one_plain_error_and_no_library_warning(
    tmp_path: Path,
) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><body></body></html>")

    code, out, err = await run_cli("summarize", str(page))

    assert (code, out, err) == (1, "", f"error: found no readable text in {page}\n")


async def test_a_poller_process_polls_its_shard_without_discord_and_stops_on_sigterm(
    tmp_path: Path, feed_server: FeedServer, clock: TestClock
) -> None:
    url = feed_server.serve("/feed.xml", rss("Feed", items(3, now=clock())))
    config = write_config(tmp_path, url)
    # No token, no Discord: a poller only polls, stores and queues. The feed is the
    # database's first (id 1): shard 1 of 2 polls it.
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", "poller", "--shard", "1/2",
        "--config", str(config),
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    err = await stderr_until_stopped(process, "polled 1 feed(s)")

    assert process.returncode == 0, err
    assert "poller 1/2 starting" in err and "Traceback" not in err
    with sqlite3.connect(tmp_path / "bazaar.db") as db:
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 3


async def test_a_shard_that_does_not_exist_or_without_the_poller_role_is_refused(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    code, _, err = await run_cli(
        "run", "--role", "poller", "--shard", "2/2", "--config", str(config)
    )
    assert code == 2 and "the index from 0 to 1" in err
    code, _, err = await run_cli(
        "run", "--role", "gateway", "--shard", "0/2", "--config", str(config)
    )
    assert code == 2 and "goes with --role poller or --role publisher" in err
