"""`python -m bot health`: the verdict over a heartbeat (pure), and the command as Docker's
HEALTHCHECK runs it, against a heartbeat file and against the real bot stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.heartbeat import Heartbeat, read_heartbeat, write_heartbeat
from bot.ops.health import DEFAULT_MAX_AGE_SECONDS, POLL_STALL, describe_age, judge
from tests.clock import TestClock
from tests.fake_discord import FakeDiscord
from tests.test_cli import REPO, run_cli


def beat_at(when: datetime, **changes: object) -> Heartbeat:
    fields: dict[str, object] = {
        "written_at": when,
        "started_at": when - timedelta(hours=1),
        "pid": 4321,
        "gateway_connected": True,
        "last_cycle_finished_at": when - timedelta(seconds=40),
        "version": "0.1.0",
        **changes,
    }
    return Heartbeat(**fields)  # type: ignore[arg-type]


# ---- The verdict ------------------------------------------------------------------------------


def test_a_fresh_heartbeat_is_healthy_in_one_line(clock: TestClock) -> None:
    now = clock()
    verdict = judge(beat_at(now - timedelta(seconds=12)), now, max_age=90)
    assert verdict.healthy
    assert verdict.line == (
        "healthy: heartbeat 12 s ago, pid 4321, connected to Discord, "
        "last poll cycle 52 s ago, version 0.1.0"
    )


def test_no_heartbeat_means_not_running(clock: TestClock) -> None:
    verdict = judge(None, clock(), max_age=90)
    assert not verdict.healthy
    assert verdict.line == "the bot is not running or has not started yet"


def test_an_old_heartbeat_says_how_old(clock: TestClock) -> None:
    now = clock()
    verdict = judge(beat_at(now - timedelta(minutes=5)), now, max_age=90)
    assert not verdict.healthy
    assert verdict.line.startswith("last heartbeat 5 min ago (pid 4321, written at ")
    # Exactly at the limit is still fresh; a moment past it is not.
    assert judge(beat_at(now - timedelta(seconds=90)), now, max_age=90).healthy
    assert not judge(beat_at(now - timedelta(seconds=90.5)), now, max_age=90).healthy


def test_the_default_limit_forgives_one_late_beat_not_two() -> None:
    assert DEFAULT_MAX_AGE_SECONDS == 90  # three 30 s beats


def test_being_cut_off_from_discord_is_reported_but_healthy(clock: TestClock) -> None:
    now = clock()
    verdict = judge(beat_at(now, gateway_connected=False), now, max_age=90)
    assert verdict.healthy
    assert "not connected to Discord" in verdict.line


def test_a_bot_whose_polling_stopped_finishing_is_unhealthy(clock: TestClock) -> None:
    now = clock()
    stuck = beat_at(now, last_cycle_finished_at=now - POLL_STALL - timedelta(minutes=1))
    verdict = judge(stuck, now, max_age=90)
    assert not verdict.healthy
    assert verdict.line == "the last poll cycle finished 6 h ago (pid 4321); polling looks stuck"

    never = beat_at(now, started_at=now - timedelta(days=2), last_cycle_finished_at=None)
    assert judge(never, now, max_age=90).line == (
        "no poll cycle in 2 days (pid 4321); polling looks stuck"
    )


def test_a_long_first_cycle_is_still_healthy(clock: TestClock) -> None:
    now = clock()
    starting = beat_at(now, started_at=now - timedelta(hours=1), last_cycle_finished_at=None)
    verdict = judge(starting, now, max_age=90)
    assert verdict.healthy
    assert "first poll cycle still running" in verdict.line


def test_a_process_that_polls_nothing_is_not_judged_by_poll_cycles(clock: TestClock) -> None:
    now = clock()
    publisher = beat_at(
        now, started_at=now - timedelta(days=2), last_cycle_finished_at=None, polls=False
    )
    verdict = judge(publisher, now, max_age=90)
    assert verdict.healthy
    assert verdict.line == (
        "healthy: heartbeat 0 s ago, pid 4321, connected to Discord, "
        "polls no feeds (another process does), version 0.1.0"
    )
    assert Heartbeat.from_json(publisher.to_json()) == publisher


def test_a_heartbeat_from_a_clock_set_back_counts_as_fresh(clock: TestClock) -> None:
    now = clock()
    assert judge(beat_at(now + timedelta(minutes=10)), now, max_age=90).line.startswith(
        "healthy: heartbeat 0 s ago"
    )


def test_ages_read_as_people_say_them() -> None:
    assert [describe_age(s) for s in (0, 45, 119, 300, 7199, 7200, 172_799, 259_200)] == [
        "0 s",
        "45 s",
        "119 s",
        "5 min",
        "120 min",
        "2 h",
        "48 h",
        "3 days",
    ]


# ---- The command ------------------------------------------------------------------------------


def health_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "bazaar.db"\n' + extra)
    return config


async def test_the_command_without_a_running_bot_exits_1_and_says_so(tmp_path: Path) -> None:
    code, out, err = await run_cli("health", "--config", str(health_config(tmp_path)))
    assert code == 1, err
    heartbeat = tmp_path / "bazaar.db.heartbeat"
    assert out == (
        f"unhealthy: the bot is not running or has not started yet (no heartbeat at {heartbeat})\n"
    )


async def test_the_command_reads_fresh_and_stale_heartbeats(tmp_path: Path) -> None:
    config = health_config(tmp_path)
    heartbeat = tmp_path / "bazaar.db.heartbeat"
    # The command runs on the real clock: these beats are dated by it.
    now = datetime.now(UTC)

    write_heartbeat(heartbeat, beat_at(now))
    code, out, err = await run_cli("health", "--config", str(config))
    assert code == 0, err
    assert out.startswith("healthy: heartbeat ") and out.count("\n") == 1

    write_heartbeat(heartbeat, beat_at(now - timedelta(minutes=5)))
    code, out, _ = await run_cli("health", "--config", str(config))
    assert code == 1
    assert out.startswith("unhealthy: last heartbeat 5 min ago")
    code, out, _ = await run_cli("health", "--config", str(config), "--max-age", "600")
    assert code == 0, out


async def test_the_command_names_bad_input(tmp_path: Path) -> None:
    config = health_config(tmp_path)
    (tmp_path / "bazaar.db.heartbeat").write_text("{")
    code, out, _ = await run_cli("health", "--config", str(config))
    assert (code, out.startswith("unhealthy: not a heartbeat")) == (1, True)

    code, _, err = await run_cli("health", "--config", str(config), "--max-age", "-1")
    assert code == 2
    assert err == "error: --max-age must be a positive number of seconds (got -1.0)\n"

    code, _, err = await run_cli("health", "--config", str(tmp_path / "missing.toml"))
    assert code == 2
    assert err.startswith("error: ") and "missing.toml" in err


async def test_each_process_of_several_is_checked_by_its_own_heartbeat(tmp_path: Path) -> None:
    config = health_config(tmp_path)
    now = datetime.now(UTC)
    write_heartbeat(tmp_path / "bazaar.db.poller-1of2.heartbeat", beat_at(now, pid=11))
    write_heartbeat(tmp_path / "bazaar.db.publisher.heartbeat", beat_at(now, pid=12, polls=False))

    code, out, _ = await run_cli("health", "--config", str(config), "--role", "poller")
    assert code == 1 and "no heartbeat at" in out and "bazaar.db.poller.heartbeat" in out
    checks = [("poller", "--shard", "1/2"), ("publisher",)]
    for (role, *shard), pid in zip(checks, (11, 12), strict=True):
        code, out, err = await run_cli("health", "--config", str(config), "--role", role, *shard)
        assert code == 0, out + err
        assert f"pid {pid}," in out
    code, out, _ = await run_cli("health", "--config", str(config))
    assert code == 1 and "bazaar.db.heartbeat" in out  # role all: no such process runs


async def test_a_poller_process_beats_while_it_runs_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = health_config(tmp_path)
    heartbeat = tmp_path / "bazaar.db.poller-0of2.heartbeat"
    poller = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", "poller", "--shard", "0/2",
        "--config", str(config),
        cwd=REPO, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(300):
            if heartbeat.exists():
                break
            await asyncio.sleep(0.1)
        beat = read_heartbeat(heartbeat)
        assert beat is not None and beat.pid == poller.pid and beat.polls
        code, out, err = await run_cli(
            "health", "--config", str(config), "--role", "poller", "--shard", "0/2"
        )
        assert code == 0, out + err
        assert "not connected to Discord" in out
        poller.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(poller.wait(), 30) == 0
    finally:
        if poller.returncode is None:
            poller.kill()
            await poller.wait()
    assert not heartbeat.exists()


async def test_the_running_bot_is_healthy_and_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    config = health_config(tmp_path, f"[discord]\nguild_ids = [{fake.guild_id}]\n")
    heartbeat = tmp_path / "bazaar.db.heartbeat"
    with (tmp_path / "bot.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.run_bot_subprocess",
            "--discord-base",
            fake.base_url,
            "--discord-gateway",
            fake.gateway_url,
            "--",
            "run",
            "--config",
            str(config),
            cwd=REPO,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env={**os.environ, "DISCORD_TOKEN": "fake-token"},
        )
        try:
            await fake.wait_until_ready(timeout=30)
            # The first beat is written as the core starts, before the bot logs in.
            beat = read_heartbeat(heartbeat)
            assert beat is not None and beat.pid == process.pid

            code, out, err = await run_cli("health", "--config", str(config))
            assert code == 0, out + err
            assert out.startswith("healthy: heartbeat ") and f"pid {process.pid}" in out

            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await fake.stop()

    assert not heartbeat.exists()
    code, out, _ = await run_cli("health", "--config", str(config))
    assert code == 1
    assert "the bot is not running" in out
    assert "SIGTERM received: stopping" in (tmp_path / "bot.log").read_text()
