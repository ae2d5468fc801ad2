"""The throwaway PostgreSQL the store's tests run against really is one, and isolates them."""

from __future__ import annotations

import asyncpg
import pytest

from tests import postgres_server
from tests.postgres_server import (
    NOT_INSTALLED,
    PostgresNotInstalled,
    throwaway_schema,
    throwaway_server,
    with_search_path,
)


async def test_asyncpg_connects_through_the_url_to_an_empty_schema_of_the_tests_own(
    postgres_url: str,
) -> None:
    connection = await asyncpg.connect(postgres_url)
    try:
        schema = await connection.fetchval("SELECT current_schema()")
        tables = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1", schema
        )
    finally:
        await connection.close()
    assert schema.startswith("test_")
    assert tables == 0


@pytest.mark.parametrize("run", ["first", "second"])
async def test_each_test_creates_the_same_table_afresh(postgres_url: str, run: str) -> None:
    # Had a test's schema outlived it or been shared, the second run's CREATE TABLE would fail.
    connection = await asyncpg.connect(postgres_url)
    try:
        await connection.execute("CREATE TABLE story (title text)")
        await connection.execute("INSERT INTO story VALUES ($1)", run)
        titles = [row["title"] for row in await connection.fetch("SELECT title FROM story")]
    finally:
        await connection.close()
    assert titles == [run]


async def test_a_table_in_one_namespace_is_not_visible_in_another(postgres_server: str) -> None:
    async with throwaway_schema(postgres_server) as one, throwaway_schema(postgres_server) as two:
        first = await asyncpg.connect(one)
        second = await asyncpg.connect(two)
        try:
            await first.execute("CREATE TABLE feed (url text)")
            await first.execute("INSERT INTO feed VALUES ('https://a.example/feed')")
            with pytest.raises(asyncpg.UndefinedTableError):
                await second.fetch("SELECT url FROM feed")
            assert await first.fetchval("SELECT count(*) FROM feed") == 1
        finally:
            await first.close()
            await second.close()


async def test_the_namespace_is_dropped_at_the_end(postgres_server: str) -> None:
    async with throwaway_schema(postgres_server) as url:
        connection = await asyncpg.connect(url)
        try:
            schema = await connection.fetchval("SELECT current_schema()")
            await connection.execute("CREATE TABLE item (id int)")
        finally:
            await connection.close()
    admin = await asyncpg.connect(postgres_server)
    try:
        left = await admin.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema)
    finally:
        await admin.close()
    assert left == 0


async def test_a_pool_keeps_the_namespace_across_releases(postgres_url: str) -> None:
    # A pool resets each connection it gets back (RESET ALL): the search path must survive it.
    async with asyncpg.create_pool(postgres_url, min_size=1, max_size=1) as pool:
        async with pool.acquire() as connection:
            await connection.execute("CREATE TABLE seen (id int)")
            schema = await connection.fetchval("SELECT current_schema()")
        async with pool.acquire() as connection:
            assert await connection.fetchval("SELECT current_schema()") == schema
            assert await connection.fetchval("SELECT count(*) FROM seen") == 0


async def test_full_text_search_stems_english_and_folds_every_letters_case(
    postgres_url: str,
) -> None:
    connection = await asyncpg.connect(postgres_url)
    try:
        matches = await connection.fetchval(
            "SELECT to_tsvector('english', $1) @@ websearch_to_tsquery('english', $2)",
            "Qwen releases new open-weight models",
            "release model",
        )
        lexemes = await connection.fetchval(
            "SELECT tsvector_to_array(to_tsvector('english', $1))", "Über Café"
        )
    finally:
        await connection.close()
    assert matches is True
    # As on a production server's UTF-8 locale; the C locale would keep "Über" and "Café".
    assert sorted(lexemes) == ["café", "über"]


def test_the_url_names_the_schema_the_way_libpq_does() -> None:
    url = with_search_path("postgresql://bazaar@/bazaar?host=/tmp/pg/socket", "test_1")
    assert url == "postgresql://bazaar@/bazaar?host=/tmp/pg/socket&options=-csearch_path%3Dtest_1"


def test_the_url_keeps_options_the_dsn_already_had() -> None:
    url = with_search_path("postgresql://u@h/db?options=-cwork_mem%3D64MB", "test_1")
    assert url == "postgresql://u@h/db?options=-csearch_path%3Dtest_1%20-cwork_mem%3D64MB"


def test_a_dsn_in_the_environment_is_used_as_it_is() -> None:
    dsn = "postgresql://bazaar@/bazaar?host=/tmp/elsewhere"
    with throwaway_server({"BAZAAR_TEST_POSTGRES": dsn}) as given:
        assert given == dsn


def test_without_a_dsn_or_binaries_it_says_how_to_get_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres_server, "find_bin_dir", lambda: None)
    with pytest.raises(PostgresNotInstalled) as missing, throwaway_server({}):
        pass
    assert str(missing.value) == NOT_INSTALLED
    assert "apt-get install postgresql" in NOT_INSTALLED
    assert "BAZAAR_TEST_POSTGRES" in NOT_INSTALLED
