"""The bot's processes run on uvloop, and only while they run: the policy is put back."""

from __future__ import annotations

import asyncio

import pytest

from bot.event_loop import LOOP_ENV, fastest_event_loop

uvloop = pytest.importorskip("uvloop")


async def loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_the_bot_runs_on_uvloop_and_leaves_the_policy_as_it_was() -> None:
    before = asyncio.get_event_loop_policy()
    with fastest_event_loop() as name:
        assert asyncio.run(loop_type()) is uvloop.Loop
    assert name == "uvloop"
    assert asyncio.get_event_loop_policy() is before
    assert asyncio.run(loop_type()) is not uvloop.Loop


def test_an_admin_can_rule_uvloop_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOOP_ENV, "asyncio")
    with fastest_event_loop() as name:
        assert asyncio.run(loop_type()) is not uvloop.Loop
    assert name == "asyncio"
