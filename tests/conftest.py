from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings, parse_settings
from bot.http.fetch import make_http_client
from bot.store import Store
from tests.clock import INSTANTS, TestClock
from tests.comments_server import CommentsServer
from tests.fake_discord import FakeDiscord
from tests.feed_server import FeedServer
from tests.harness import Harness
from tests.llm_server import LLMServer
from tests.postgres_server import (
    REQUIRE_ENV,
    PostgresNotInstalled,
    throwaway_schema,
    throwaway_server,
)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def comments_server() -> AsyncIterator[CommentsServer]:
    """A local Hacker News API and Reddit, serving comment threads."""
    server = CommentsServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def llm_server() -> AsyncIterator[LLMServer]:
    """A local OpenAI-compatible server whose answers the test scripts."""
    server = LLMServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(params=list(INSTANTS.values()), ids=list(INSTANTS))
def clock(request: pytest.FixtureRequest) -> TestClock:
    """The one clock of the test: a test that asks for it runs at each of `INSTANTS`."""
    return TestClock(request.param)


# The engines the `store` fixture runs each test on.
STORE_BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the test is about SQLite itself (its files, its pragmas, a"
        " migration of a SQLite file): the `store` fixture gives it SQLite alone",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_backend" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        backends = STORE_BACKENDS[:1] if only_sqlite else STORE_BACKENDS
        metafunc.parametrize("store_backend", backends)


@pytest.fixture
async def store_location(
    store_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Path | str]:
    """Where the `store` fixture's database is, for `Store.open`: a SQLite file in the
    test's directory, or a PostgreSQL URL whose sessions see only a schema of the test's own.
    A test asking for it (or for `store`) runs on each engine, unless marked `sqlite_only`."""
    if store_backend == "postgresql":
        async with throwaway_schema(request.getfixturevalue("postgres_server")) as url:
            yield url
    else:
        yield tmp_path / "bazaar.db"


@pytest.fixture
async def store(store_location: Path | str, clock: TestClock) -> AsyncIterator[Store]:
    """A new, migrated store, on each engine (see `store_location`)."""
    opened = await Store.open(store_location, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The DSN of one PostgreSQL server for the session (tests/postgres_server.py: which).

    Without one, the tests that ask for it are skipped, saying how to get one; with
    BAZAAR_REQUIRE_POSTGRES=1 (CI) they fail instead: nothing is skipped silently there.
    """
    with contextlib.ExitStack() as stack:
        try:
            dsn = stack.enter_context(throwaway_server(os.environ))
        except PostgresNotInstalled as missing:
            if os.environ.get(REQUIRE_ENV) == "1":
                pytest.fail(f"{missing} ({REQUIRE_ENV}=1)", pytrace=False)
            pytest.skip(str(missing))
        yield dsn


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A postgresql:// URL whose sessions see only an empty schema of this test's own, dropped
    at its end: pass it to `asyncpg.connect` or `asyncpg.create_pool`."""
    async with throwaway_schema(postgres_server) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The bot's HTTP client, allowed to reach the test servers on 127.0.0.1."""
    async with make_http_client(timeout=5, allow_private_networks=True) as client:
        yield client


def make_settings(tmp_path: Path, **sections: dict[str, object]) -> Settings:
    """Settings as a config file with `sections` would give, with the database in tmp_path."""
    raw: dict[str, object] = {"storage": {"database": "bazaar.db"}, **sections}
    raw.setdefault("network", {"allow_private_networks": True})
    return parse_settings(raw, base_dir=tmp_path, environ={})


@pytest.fixture
async def harness(
    feed_server: FeedServer, tmp_path: Path, clock: TestClock, request: pytest.FixtureRequest
) -> AsyncIterator[Harness]:
    """The bot against the fake Discord. Discord dates its messages by the bot's clock, so
    history "since a time" works at any date the test runs at; parametrized indirectly with a
    number of seconds, Discord's clock is that far behind the bot's (hosts' clocks differ)."""
    behind = float(getattr(request, "param", 0.0))
    discord = FakeDiscord(clock=lambda: clock.timestamp() - behind)
    await discord.start()
    with discord.patch_discord():
        h = Harness(discord, feed_server, tmp_path, clock)
        try:
            yield h
        finally:
            await h.stop()
            await discord.stop()
