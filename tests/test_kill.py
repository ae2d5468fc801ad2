"""Kill test: the real bot as a subprocess, killed at random moments of a busy cycle.

Three channels each follow two feeds that share stories (one post plus an "Also covered by"
note), every channel follows one common story, some items are Hacker News discussions (a recap
in the post's thread). The bot runs as ``python -m bot run --config PATH`` does (through
tests/run_bot_subprocess.py) against the fake Discord of this process, which keeps its state
across restarts, answers writes a little after applying them (so a kill can land after Discord
took a message but before the bot recorded it), limits sends per channel, and forgets nonces
after its window. Between restarts members chat in the channels and threads (60 messages per
channel), the fake's clock sometimes jumps past the nonce window, and new stories appear.

Afterwards every story is posted exactly once per channel, each post has exactly one thread,
each note and recap is there exactly once, and ``PRAGMA integrity_check`` is ok. The SIGKILL
test also runs a poller and two publishers (`run --role`), on SQLite and on PostgreSQL (where
the kill takes a worker's connection mid-transaction). The SIGTERM variant also wants exit
code 0 within a few seconds every time.

Short form (the normal ``python -m pytest -q``): 4 SIGKILLs and 2 SIGTERMs, seed 1. Full form:

    BAZAAR_KILL_ROUNDS=25 BAZAAR_TERM_ROUNDS=10 python -m pytest -q -s tests/test_kill.py

``BAZAAR_KILL_SEED`` picks another seed (printed with the figures; ``-s`` shows them).
``BAZAAR_KILL_ROUNDS=0 BAZAAR_TERM_ROUNDS=0`` runs the same world without any kill: a check
of the harness itself, which must pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.comments_server import CommentsServer
from tests.fake_discord import FakeDiscord, SteppedClock
from tests.feed_server import FeedServer
from tests.kill_harness import (
    BotProcess,
    NewsWorld,
    PostgresState,
    SqliteState,
    StateDatabase,
    WorkerGroup,
    discord_problems,
    message_totals,
    wait_until_drained,
)
from tests.postgres_server import throwaway_schema

KILL_ROUNDS = int(os.environ.get("BAZAAR_KILL_ROUNDS", "4"))
TERM_ROUNDS = int(os.environ.get("BAZAAR_TERM_ROUNDS", "2"))
SEED = int(os.environ.get("BAZAAR_KILL_SEED", "1"))
FULL = max(KILL_ROUNDS, TERM_ROUNDS) >= 10

CHANNELS = 3
NONCE_WINDOW = 300.0
WRITE_LATENCY = 0.05
SEND_RATE_LIMIT = (5, 1.0)
CHATTER_PER_CHANNEL = 60
TERM_GRACE = 5.0
THREAD_MESSAGE = re.compile(r"/channels/(\d+)/messages")
CONNECT_TIMEOUT = 30.0


@dataclass
class KillRun:
    fake: FakeDiscord
    clock: SteppedClock
    feeds: FeedServer
    world: NewsWorld
    bot: BotProcess | WorkerGroup
    state: StateDatabase
    log_path: Path
    rng: random.Random
    figures: Counter[str]
    rounds: list[str]

    async def until(
        self,
        predicate: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 (like FakeDiscord.wait_for)
        what: str,
    ) -> None:
        """`FakeDiscord.wait_for`, failing with the tail of the bots' log."""
        try:
            await self.fake.wait_for(predicate, timeout, what=what)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\nbot log: {self.log_path}\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 25) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


# One poller and two publishers, each sending to half the channels (`run --role`).
WORKERS = (
    ("--role", "poller"),
    ("--role", "publisher", "--shard", "0/2"),
    ("--role", "publisher", "--shard", "1/2"),
)


@contextlib.asynccontextmanager
async def kill_run(
    tmp_path: Path,
    seed: int,
    workers: Sequence[Sequence[str]] = (),
    state: StateDatabase | None = None,
) -> AsyncIterator[KillRun]:
    """The world, the fake and the bot: one process doing everything, or `workers` (the
    `run` arguments of each process of a multi-worker Bazaar), on `state` (a SQLite file in
    `tmp_path` unless told)."""
    state = state or SqliteState(tmp_path / "bazaar.db")
    clock = SteppedClock()
    fake = FakeDiscord(
        clock=clock,
        nonce_window_seconds=NONCE_WINDOW,
        write_latency_seconds=WRITE_LATENCY,
        send_rate_limit=SEND_RATE_LIMIT,
    )
    channel_ids = [fake.add_text_channel(f"wire-{c}") for c in range(CHANNELS)]
    world = NewsWorld(
        channel_ids,
        items_per_feed=12 if FULL else 6,
        shared=3 if FULL else 2,
        recaps=2 if FULL else 1,
    )
    feeds, comments = FeedServer(), CommentsServer()
    await fake.start()
    await feeds.start()
    await comments.start()
    world.serve(feeds)
    await world.set_up_server(state, fake.guild_id)
    config = tmp_path / "config.toml"
    config.write_text(
        world.config(feeds, hn_api=comments.hn_api, guild_id=fake.guild_id, state=state)
    )
    log_path = tmp_path / "bot.log"
    with log_path.open("ab") as log:
        bot: BotProcess | WorkerGroup = (
            WorkerGroup([BotProcess(fake, config, log, args) for args in workers])
            if workers
            else BotProcess(fake, config, log)
        )
        run = KillRun(
            fake, clock, feeds, world, bot, state, log_path,
            random.Random(seed), Counter(), [],
        )  # fmt: skip
        try:
            yield run
        finally:
            if bot.running:
                await bot.kill()
            await comments.stop()
            await feeds.stop()
            await fake.stop()


async def random_busy_moment(run: KillRun, *, during_startup: bool) -> str:
    """Wait for a random moment of the bot's work; returns which kind of moment it was.

    "in flight": Discord has applied the bot's k-th write of this run but not answered it yet;
    "thread message in flight": the same for a message in a thread (a note or a recap), or the
    first write of any kind after 3 s without one; "random": a random time after the bot
    connected; "startup": a random time after it logged in (store opening, command sync, the
    first poll cycle).
    """
    fake, rng = run.fake, run.rng
    requests_before, connections_before = len(fake.requests), fake.connections
    kinds, weights = ["in flight", "thread message in flight", "random"], [4, 2, 3]
    if during_startup:
        kinds, weights = [*kinds, "startup"], [*weights, 2]
    kind = rng.choices(kinds, weights)[0]
    if kind == "startup":
        await run.until(
            lambda: any(path == "/users/@me" for _, path, _ in fake.requests[requests_before:]),
            CONNECT_TIMEOUT,
            "the bot to log in",
        )
        await asyncio.sleep(rng.uniform(0, 0.5))
        return kind
    await run.until(
        lambda: fake.connections > connections_before and fake.live_connections > 0,
        CONNECT_TIMEOUT,
        "the bot to connect to the gateway",
    )
    if kind == "random":
        await asyncio.sleep(rng.uniform(0, 2.0))
        return kind
    if kind == "thread message in flight":
        with contextlib.suppress(TimeoutError):
            await fake.wait_for(thread_message_in_flight(fake), timeout=3)
            return kind
    writes, start = rng.randint(1, 8), len(fake.requests)
    if kind != "in flight":
        writes = 1

    def kth_write_in_flight() -> bool:
        posts = sum(1 for method, _, _ in fake.requests[start:] if method == "POST")
        return fake.writes_awaiting_answer > 0 and posts >= writes

    try:
        await fake.wait_for(kth_write_in_flight, timeout=3)
    except TimeoutError:
        return "idle"  # nothing left to send
    return "in flight"


def thread_message_in_flight(fake: FakeDiscord) -> Callable[[], bool]:
    def check() -> bool:
        return any(
            method == "POST" and (match := THREAD_MESSAGE.fullmatch(path)) is not None
            and fake.is_thread(int(match[1]))
            for method, path in fake.unanswered_writes
        )  # fmt: skip

    return check


async def between_restarts(run: KillRun, round_number: int, stop: str) -> None:
    """Members chat, time passes beyond the nonce window, new stories appear (by the seed)."""
    fake, rng = run.fake, run.rng
    done = [stop]
    await run.until(lambda: fake.live_connections == 0, 10, "the gateway to see the bot gone")
    # The first two restarts are one inside and one after the window; later ones by the seed.
    after_window = round_number % 2 == 1 if round_number < 2 else rng.random() < 0.5
    if after_window:
        run.clock.advance(NONCE_WINDOW + 1)
        run.figures["restarts after the nonce window"] += 1
        done.append("past the nonce window")
    else:
        run.figures["restarts within the nonce window"] += 1
    if round_number == 0 or rng.random() < 0.5:
        for channel_id in run.world.channel_ids:
            for n in range(CHATTER_PER_CHANNEL):
                await fake.post_as_member(channel_id, f"chat {n}", user_name=f"member{n % 4}")
        for thread in rng.sample(fake.threads, min(3, len(fake.threads))):
            for n in range(5):
                await fake.post_as_member(int(thread["id"]), f"reply {n}", user_name="member0")
        run.figures["chatter rounds"] += 1
        done.append(f"{CHATTER_PER_CHANNEL} member messages per channel")
    if rng.random() < 0.7:
        fresh = run.world.add_fresh_stories(rng, run.feeds)
        run.figures["fresh stories"] += fresh
        done.append(f"{fresh} fresh stor{'y' if fresh == 1 else 'ies'}")
    posts = message_totals(fake)["bot posts"]
    run.rounds.append(f"{round_number + 1}: {', '.join(done)} ({posts} bot posts so far)")


async def final_run(run: KillRun) -> dict[str, int] | None:
    """Start once more and let the bot finish everything (time-bounded)."""
    await run.bot.start()
    await run.until(lambda: run.fake.live_connections > 0, CONNECT_TIMEOUT, "the final start")
    rows = run.world.expected_rows()
    return await wait_until_drained(run.state, run.fake, rows, within=60 + rows * 0.5)


def report(run: KillRun, seed: int, begun: float, counts: dict[str, int] | None) -> str:
    expected = run.world.expected()
    figures = {
        "seed": seed,
        **run.figures,
        "expected posts": sum(len(posts) for posts in expected.values()),
        "expected outbox rows": run.world.expected_rows(),
        "outbox at the end": counts,
        **message_totals(run.fake),
        "429s": len(run.fake.rate_limited),
        "seconds": round(time.monotonic() - begun, 1),
        "bot log": str(run.log_path),
    }
    text = "\n".join(f"  {key}: {value}" for key, value in figures.items())
    text += "\n  rounds:\n" + "\n".join(f"    {line}" for line in run.rounds)
    print(f"\nkill test figures:\n{text}")
    return text


def end_state_problems(run: KillRun) -> list[str]:
    return discord_problems(run.fake, run.world) + run.state.problems()


@pytest.fixture
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateDatabase]:
    """Where the bots keep their state: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "postgresql":
        async with throwaway_schema(request.getfixturevalue("postgres_server")) as url:
            yield PostgresState(url)
    else:
        yield SqliteState(tmp_path / "bazaar.db")


@pytest.mark.timeout(120 + 15 * KILL_ROUNDS)
@pytest.mark.parametrize(
    ("workers", "state"),
    [((), "sqlite"), (WORKERS, "sqlite"), (WORKERS, "postgresql")],
    ids=[
        "one process",
        "a poller and two publishers",
        "a poller and two publishers on PostgreSQL",
    ],
    indirect=["state"],
)
async def test_sigkill_at_random_moments_posts_everything_exactly_once(
    tmp_path: Path, workers: Sequence[Sequence[str]], state: StateDatabase
) -> None:
    begun = time.monotonic()
    async with kill_run(tmp_path, SEED, workers, state) as run:
        for round_number in range(KILL_ROUNDS):
            await run.bot.start()
            moment = await random_busy_moment(run, during_startup=True)
            await run.bot.kill()
            run.figures[f"SIGKILL {moment}"] += 1
            await between_restarts(run, round_number, f"SIGKILL {moment}")
        counts = await final_run(run)
        await run.bot.kill()

        problems = end_state_problems(run)
        figures = report(run, SEED, begun, counts)
    assert not problems, f"after {KILL_ROUNDS} SIGKILLs:\n{figures}\n" + "\n".join(problems)


@pytest.mark.timeout(120 + 15 * TERM_ROUNDS)
async def test_sigterm_at_random_moments_exits_0_and_posts_everything_once(
    tmp_path: Path,
) -> None:
    begun = time.monotonic()
    seed = SEED + 1
    async with kill_run(tmp_path, seed) as run:
        problems: list[str] = []

        async def terminate(label: str) -> None:
            run.bot.signal(signal.SIGTERM)
            stopping = time.monotonic()
            code = await run.bot.wait(TERM_GRACE)
            run.figures["slowest stop (s)"] = max(
                run.figures["slowest stop (s)"], round(time.monotonic() - stopping, 2)
            )
            if code is None:
                problems.append(f"{label}: still running {TERM_GRACE:.0f} s after SIGTERM")
                await run.bot.kill()
            elif code != 0:
                problems.append(f"{label}: SIGTERM ended the bot with exit code {code}, not 0")

        for round_number in range(TERM_ROUNDS):
            await run.bot.start()
            moment = await random_busy_moment(run, during_startup=False)
            await terminate(f"SIGTERM {round_number + 1} ({moment})")
            run.figures[f"SIGTERM {moment}"] += 1
            await between_restarts(run, round_number, f"SIGTERM {moment}")
        counts = await final_run(run)
        await terminate("the final SIGTERM (outbox drained)")

        problems += end_state_problems(run)
        figures = report(run, seed, begun, counts)
    assert not problems, f"after {TERM_ROUNDS} SIGTERMs:\n{figures}\n" + "\n".join(problems)
