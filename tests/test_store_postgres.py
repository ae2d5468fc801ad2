"""The PostgreSQL adapter (bot/store/postgres.py): sqlite3's API over psycopg, against a real
server (the `postgres_url` fixture: a schema of the test's own)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from bot.models import Entry, NewItem, SubscriptionSource
from bot.search import parse_query
from bot.store import Store, StoreOpenError
from bot.store.dialect import tsquery
from bot.store.postgres import Connection, PostgresDatabase, translate
from bot.store.results import FeedState, PollResult
from bot.store.schema import MIGRATIONS
from bot.store.schema_pg import MIGRATIONS as PG_MIGRATIONS
from bot.store.urls import redacted

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(postgres_url: str) -> Iterator[Connection]:
    connection = Connection(postgres_url)
    connection.open()
    try:
        yield connection
    finally:
        connection.close()


# Placeholders, without a server ----------------------------------------------------------


def test_question_marks_become_psycopgs_and_percent_signs_are_doubled() -> None:
    assert translate("SELECT ? + ? WHERE a LIKE '%x'", (1, 2)) == (
        "SELECT %s + %s WHERE a LIKE '%%x'",
        (1, 2),
    )


def test_a_question_mark_in_a_literal_a_quoted_name_or_a_comment_stays_one() -> None:
    sql = """SELECT '?', 'it''s ?', "col?" -- why?
             , ? /* ?, ? */"""
    query, values = translate(sql, ("v",))
    assert (
        query
        == """SELECT '?', 'it''s ?', "col?" -- why?
             , %s /* ?, ? */"""
    )
    assert values == ("v",)


def test_numbered_placeholders_become_named_ones_and_may_repeat() -> None:
    query, values = translate("SELECT ?2, ?1 WHERE ?2 IS NULL OR x = ?2", ("a", "b"))
    assert query == "SELECT %(p2)s, %(p1)s WHERE %(p2)s IS NULL OR x = %(p2)s"
    assert values == {"p1": "a", "p2": "b"}


def test_a_bare_question_mark_after_numbered_ones_is_the_next_number_as_in_sqlite() -> None:
    query, values = translate("SELECT ?3, ?", ("a", "b", "c", "d"))
    assert query == "SELECT %(p3)s, %(p4)s"
    assert values == {"p3": "c", "p4": "d"}


def test_too_few_values_for_the_numbered_placeholders_is_sqlites_error() -> None:
    with pytest.raises(sqlite3.ProgrammingError, match="Incorrect number of bindings"):
        translate("SELECT ?1, ?2", ("only one",))


def test_a_members_search_becomes_a_tsquery_of_the_same_terms() -> None:
    def query(typed: str) -> str:
        return tsquery(parse_query(typed).match)

    assert query("qwen licence") == "'qwen' & 'licence'"
    assert query('"open weights" quant*') == "('open' <-> 'weights') & 'quant':*"
    # Punctuation splits words, as in the search column: "llama.cpp" is two words in a row.
    assert query("llama.cpp gpt-4o*") == "('llama' <-> 'cpp') & ('gpt' <-> '4o':*)"
    # No quote is left to break out of a lexeme's literal.
    assert tsquery('"o\'brien ""x"""') == "('o' <-> 'brien' <-> 'x')"


def test_a_url_shown_in_an_error_has_no_password() -> None:
    assert redacted("postgresql://bot:s3cret@db.example/bazaar") == (
        "postgresql://bot:***@db.example/bazaar"
    )
    assert (
        redacted("postgresql://bot@/bazaar?host=/run/pg") == "postgresql://bot@/bazaar?host=/run/pg"
    )


# Statements and rows ---------------------------------------------------------------------


def test_values_are_bound_as_sqlite_binds_them(db: Connection) -> None:
    row = db.execute(
        "SELECT ?1 IS NULL AS none, ?2 AS text, ?3 AS yes, ?4 AS blob, ?5 AS big, '%' || ?2",
        (None, "50% off? 'quoted'", True, b"\x00\xff", 1 << 62),
    ).fetchone()
    assert tuple(row) == (True, "50% off? 'quoted'", 1, b"\x00\xff", 1 << 62, "%50% off? 'quoted'")


def test_a_row_is_read_by_position_and_by_the_first_column_of_a_name(db: Connection) -> None:
    row = db.execute("SELECT 1 AS id, 'a' AS name, 2 AS id").fetchone()
    assert row is not None
    assert (row[0], row["id"], row["name"], row["NAME"], row[2]) == (1, 1, "a", "a", 2)
    assert row.keys() == ["id", "name", "id"]
    assert tuple(row) == (1, "a", 2) and len(row) == 3
    one, name, two = row
    assert (one, name, two) == (1, "a", 2)
    assert dict(zip(row.keys()[:2], row, strict=False)) == {"id": 1, "name": "a"}
    with pytest.raises(IndexError):
        row["missing"]


def test_cursors_answer_as_sqlite3s_do(db: Connection) -> None:
    db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT)")
    inserted = db.executemany("INSERT INTO t (id, name) VALUES (?, ?)", [(1, "a"), (2, "b")])
    assert inserted.rowcount == 2
    assert db.executemany("INSERT INTO t (id, name) VALUES (?, ?)", []).rowcount in (0, -1)
    updated = db.execute("UPDATE t SET name = 'c' WHERE id = ?", (1,))
    assert updated.rowcount == 1
    assert updated.fetchone() is None and updated.fetchall() == []  # no rows, no error
    assert db.execute("SELECT id FROM t WHERE id > ?", (5,)).fetchone() is None
    assert [tuple(row) for row in db.execute("SELECT id, name FROM t ORDER BY id")] == [
        (1, "c"),
        (2, "b"),
    ]


def test_a_script_runs_as_written_percent_signs_and_all(db: Connection) -> None:
    db.executescript("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('100%'), ('?')")
    assert [row[0] for row in db.execute("SELECT a FROM t ORDER BY a")] == ["100%", "?"]


# Transactions ----------------------------------------------------------------------------


def test_begin_immediate_opens_a_transaction_that_commit_keeps_and_rollback_undoes(
    db: Connection, postgres_url: str
) -> None:
    db.execute("CREATE TABLE t (a INTEGER)")
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (1)")
    other = Connection(postgres_url)
    other.open()
    try:
        assert other.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0  # not committed
        db.commit()
        assert other.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1
    finally:
        other.close()
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (2)")
    db.rollback()
    assert [row[0] for row in db.execute("SELECT a FROM t")] == [1]
    db.commit()  # none open: nothing to do, as in sqlite3
    db.rollback()


def test_a_transaction_in_which_a_statement_failed_cannot_be_committed(db: Connection) -> None:
    db.execute("CREATE TABLE t (a INTEGER PRIMARY KEY)")
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match="rolled back"):
        db.commit()
    assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


def test_one_writer_at_a_time_and_readers_never_wait(db: Connection, postgres_url: str) -> None:
    db.execute("CREATE TABLE t (a INTEGER)")
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (1)")
    other = Connection(postgres_url)
    other.open()
    began = threading.Event()

    def write() -> None:
        other.execute("BEGIN IMMEDIATE")
        began.set()
        other.execute("INSERT INTO t VALUES (2)")
        other.commit()

    writer = threading.Thread(target=write)
    try:
        assert other.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0  # a reader: at once
        writer.start()
        assert not began.wait(0.3)  # the second writer waits for the first...
        db.commit()
        assert began.wait(5)  # ...until it commits
        writer.join(5)
        assert sorted(row[0] for row in db.execute("SELECT a FROM t")) == [1, 2]
    finally:
        writer.join(5)
        other.close()


def test_a_lost_connection_is_opened_again_but_never_inside_a_transaction(
    db: Connection, postgres_url: str
) -> None:
    def kill() -> None:
        pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    kill()
    with pytest.raises(sqlite3.OperationalError):
        db.execute("SELECT 1")  # the call that finds it lost fails...
    assert db.execute("SELECT 1").fetchone()[0] == 1  # ...the next connects again

    db.execute("CREATE TABLE t (a INTEGER)")
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (1)")
    kill()
    for _ in range(2):  # not the rest of the transaction in autocommit on a new connection
        with pytest.raises(sqlite3.OperationalError):
            db.execute("INSERT INTO t VALUES (2)")
    db.rollback()
    assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


# Errors ----------------------------------------------------------------------------------


def test_psycopgs_errors_are_sqlite3s_of_the_same_kind(db: Connection) -> None:
    db.execute("CREATE TABLE t (a INTEGER PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as refused:
        db.execute("INSERT INTO t VALUES (1)")
    assert refused.value.sqlstate == "23505"  # type: ignore[attr-defined]
    assert isinstance(refused.value.__cause__, psycopg.errors.UniqueViolation)
    with pytest.raises(sqlite3.Error):
        db.execute("SELECT * FROM no_such_table")


async def test_a_server_that_cannot_be_reached_is_a_store_open_error(tmp_path: object) -> None:
    url = f"postgresql://bazaar:s3cret@/bazaar?host={tmp_path}&connect_timeout=2"
    with pytest.raises(StoreOpenError) as refused:
        await Store.open(url)
    assert "s3cret" not in str(refused.value) and "***" in str(refused.value)


# The store on PostgreSQL -----------------------------------------------------------------


async def test_the_schema_has_as_many_migrations_as_sqlites_and_runs_once(
    postgres_url: str,
) -> None:
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)
    # Two processes starting at once on a new database: one migrates, the other waits.
    first, second = await asyncio.gather(Store.open(postgres_url), Store.open(postgres_url))
    try:
        assert await first.schema_version() == await second.schema_version() == len(MIGRATIONS)
    finally:
        await first.close()
        await second.close()
        await second.close()  # closing twice does nothing
    with pytest.raises(ValueError):
        await first.schema_version()  # closed, as aiosqlite says


async def test_a_database_from_a_newer_bazaar_is_refused(postgres_url: str) -> None:
    store = await Store.open(postgres_url)
    await store._write("UPDATE schema_version SET version = ?", (99,))
    await store.close()
    with pytest.raises(RuntimeError, match="newer than this Bazaar"):
        await Store.open(postgres_url)


async def test_ids_come_from_sequences_and_are_never_given_twice(postgres_url: str) -> None:
    store = await Store.open(postgres_url)
    try:
        feed, _ = await store.subscribe("https://a.example/f", 1, source=SubscriptionSource.COMMAND)

        async def poll(key: str) -> int:
            entry = Entry(key, f"Title {key}", None, None, "Text.", NOW, title_key=key)
            result = PollResult(
                feed.feed_id, NOW, FeedState(next_poll_at=NOW), new_items=[NewItem(entry)]
            )
            [created] = await store.apply_poll(result)
            return created.id

        first = await poll("a")
        await store._write("DELETE FROM items", ())
        await store._write("DELETE FROM stories", ())
        assert await poll("b") > first  # not the id of the one deleted
    finally:
        await store.close()


async def test_refreshed_statistics_give_the_planner_the_tables_real_sizes(
    postgres_url: str,
) -> None:
    store = await Store.open(postgres_url)
    try:
        await store._write(
            """INSERT INTO stories (url_key, title_key, first_seen_at)
               SELECT 'u' || n, 't' || n, ? FROM generate_series(1, 5000) AS n""",
            ("2026-11-24T12:00:00.000000Z",),
        )

        async def planned_rows() -> float:
            [(plan,)] = await store._fetchall("EXPLAIN (FORMAT JSON) SELECT * FROM stories")
            return float(plan[0]["Plan"]["Plan Rows"])

        await store.refresh_statistics()
        assert await planned_rows() == 5000
    finally:
        await store.close()


async def test_search_splits_words_at_punctuation_and_reads_html_without_its_tags(
    postgres_url: str,
) -> None:
    store = await Store.open(postgres_url)
    try:
        feed, _ = await store.subscribe(
            "https://a.example/f", 1, source=SubscriptionSource.COMMAND, guild_id=7
        )
        entries = [
            Entry("1", "GGUF builds for llama.cpp", None, None, "Quantized.", NOW),
            Entry("2", "Stored only", None, None, "", NOW, html=("<p>Open <b>weights</b></p>",)),
        ]
        await store.apply_poll(
            PollResult(
                feed.feed_id,
                NOW,
                FeedState(next_poll_at=NOW),
                new_items=[NewItem(entry) for entry in entries],
            )
        )

        async def found(typed: str) -> list[str]:
            hits = await store.search_candidates(7, parse_query(typed).match)
            return [hit.item.title for hit in hits]

        assert await found("cpp") == ["GGUF builds for llama.cpp"]
        assert await found('"llama cpp"') == ["GGUF builds for llama.cpp"]
        assert await found("quant*") == ["GGUF builds for llama.cpp"]
        assert await found('"open weights"') == ["Stored only"]
        assert await found("p") == []  # a tag is not a word
        assert await store.index_for_search() == 0  # nothing ever waits to be indexed
    finally:
        await store.close()


async def test_a_call_queued_before_its_caller_is_cancelled_still_runs(postgres_url: str) -> None:
    database = await PostgresDatabase.connect(postgres_url)
    try:
        await database.run(lambda db: db.execute("CREATE TABLE t (a INTEGER)"))
        gate = threading.Event()
        blocked = asyncio.ensure_future(database.run(lambda db: gate.wait(5)))
        queued = asyncio.ensure_future(
            database.run(lambda db: db.execute("INSERT INTO t VALUES (1)"))
        )
        await asyncio.sleep(0.05)
        queued.cancel()
        gate.set()
        await blocked
        rows = await database.run(lambda db: db.execute("SELECT a FROM t").fetchall())
        assert [row[0] for row in rows] == [1]
    finally:
        await database.close()
