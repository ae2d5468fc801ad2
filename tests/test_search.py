"""Search over what a server's feeds brought: fetched over real HTTP, stored by the real
pipeline, searched through SQLite FTS5."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.models import SubscriptionSource
from bot.search import PAGE_SIZE, QueryError, SearchService, Since, parse_query
from bot.store import Store
from bot.store.schema import MIGRATIONS
from tests.clock import TestClock
from tests.feed_server import FeedItem, FeedServer, rss
from tests.polling import pipeline

GUILD, OTHER_GUILD = 7, 8


def item(n: int, title: str, body: str, clock: TestClock, *, hours_ago: int = 0) -> FeedItem:
    return FeedItem(
        title,
        f"https://example.org/{n}",
        f"<p>{body}</p>",
        guid=f"item-{n}",
        published=clock() - timedelta(hours=hours_ago),
    )


async def stored(
    store: Store,
    http: httpx.AsyncClient,
    feed_server: FeedServer,
    feeds: dict[str, tuple[int, list[FeedItem]]],
    *,
    backfill: int = 0,
) -> None:
    """Serve each feed (path → guild, items), follow it from that guild, poll them all
    (posting the newest `backfill` of each: only posted items are scored and tagged)."""
    for path, (guild, items) in feeds.items():
        url = feed_server.serve(path, rss(path.strip("/"), items))
        await store.subscribe(url, 100 + guild, source=SubscriptionSource.COMMAND, guild_id=guild)
    await pipeline(store, http, backfill=backfill).poll_due()


async def titles(
    search: SearchService, guild: int, text: str, *, number: int = 0, **options: object
) -> list[str]:
    page = await search.page(guild, parse_query(text), number=number, **options)  # type: ignore[arg-type]
    return [hit.item.title for hit in page.hits]


async def test_a_server_finds_its_own_items_and_never_another_servers(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    await stored(
        store,
        http,
        feed_server,
        {
            "/ours.xml": (GUILD, [item(1, "Qwen changes its licence", "Apache 2.0 now.", clock)]),
            "/theirs.xml": (OTHER_GUILD, [item(2, "Mistral licence news", "MIT.", clock)]),
        },
    )
    search = SearchService(store, clock=clock)
    assert await titles(search, GUILD, "licence") == ["Qwen changes its licence"]
    assert await titles(search, OTHER_GUILD, "licence") == ["Mistral licence news"]
    assert await titles(search, OTHER_GUILD, "qwen") == []


async def test_the_title_weighs_more_and_phrases_and_prefixes_work(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    items = [
        item(
            1, "A week of releases", "Among them, a new quantization method for llama.cpp.", clock
        ),
        item(2, "Quantization comes to vLLM", "It is faster now.", clock),
        item(3, "Weights, open to all", "The model is released.", clock),
        item(4, "DeepSeek ships open weights", "Under MIT.", clock),
    ]
    await stored(store, http, feed_server, {"/f.xml": (GUILD, items)})
    search = SearchService(store, clock=clock)

    assert await titles(search, GUILD, "quantization") == [
        "Quantization comes to vLLM",
        "A week of releases",
    ]
    assert await titles(search, GUILD, "quant*") == [
        "Quantization comes to vLLM",
        "A week of releases",
    ]
    assert await titles(search, GUILD, '"open weights"') == ["DeepSeek ships open weights"]
    assert sorted(await titles(search, GUILD, "open weights")) == [
        "DeepSeek ships open weights",
        "Weights, open to all",
    ]
    assert await titles(search, GUILD, "llama.cpp") == ["A week of releases"]


@pytest.mark.parametrize(
    "typed",
    ['"unbalanced', "AND OR NOT (", "title:qwen", "qwen NEAR(x y)", "a - b", "'; DROP TABLE items"],
)
async def test_fts_syntax_typed_by_a_member_is_searched_as_text_never_an_error(
    store: Store, clock: TestClock, typed: str
) -> None:
    page = await SearchService(store, clock=clock).page(GUILD, parse_query(typed))
    assert page.hits == ()


@pytest.mark.parametrize("typed", ["", "   ", "***", '""', "!!!"])
def test_a_query_with_nothing_to_search_for_gets_a_hint(typed: str) -> None:
    with pytest.raises(QueryError, match="Type some words"):
        parse_query(typed)


async def test_words_like_of_and_the_need_not_be_found_beside_words_that_say_more(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    items = [item(1, "Qwen release notes", "Qwen shipped.", clock)]
    await stored(store, http, feed_server, {"/f.xml": (GUILD, items)})
    search = SearchService(store, clock=clock)

    assert await titles(search, GUILD, "the release of qwen") == ["Qwen release notes"]
    assert parse_query("the release of qwen").terms == ("release", "qwen")
    # Nothing but such words: they are what the member wants found.
    assert parse_query("to be or not").terms == ("to", "be", "or", "not")
    assert await titles(search, GUILD, '"release of" qwen') == []  # a phrase stays whole


async def test_an_older_match_is_found_behind_many_newer_ones_of_another_server(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    newer = [item(n, f"Llama build {n}", "Llama.", clock, hours_ago=1) for n in range(2, 130)]
    older = [item(1, "Llama retrospective", "Llama, a year on.", clock, hours_ago=5)]
    await stored(store, http, feed_server, {"/mine.xml": (GUILD, older)})
    await stored(store, http, feed_server, {"/theirs.xml": (OTHER_GUILD, newer)})
    search = SearchService(store, clock=clock)

    assert await titles(search, GUILD, "llama") == ["Llama retrospective"]
    assert len(await titles(search, OTHER_GUILD, "llama")) == PAGE_SIZE


async def test_pages_of_five_then_no_next_page(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    items = [item(n, f"Llama news number {n}", "Llama.", clock, hours_ago=n) for n in range(12)]
    await stored(store, http, feed_server, {"/f.xml": (GUILD, items)})
    search = SearchService(store, clock=clock)

    pages = [await search.page(GUILD, parse_query("llama"), number=n) for n in range(3)]
    assert [len(p.hits) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 2]
    assert [p.has_next for p in pages] == [True, True, False]
    found = [hit.item.title for p in pages for hit in p.hits]
    assert sorted(found) == sorted(i.title for i in items)  # each once


async def test_since_and_tag_narrow_the_results(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    items = [
        item(1, "Llama 4 weights released under a new licence", "Meta releases it.", clock),
        item(2, "Llama 3 retrospective", "A look back at the year.", clock, hours_ago=24 * 10),
    ]
    await stored(store, http, feed_server, {"/f.xml": (GUILD, items)}, backfill=1)
    search = SearchService(store, clock=clock)

    assert len(await titles(search, GUILD, "llama")) == 2
    assert await titles(search, GUILD, "llama", since=Since.WEEK) == [items[0].title]
    stored_tags = {
        hit.item.title: hit.item.tags
        for hit in (await search.page(GUILD, parse_query("llama"))).hits
    }
    tag = stored_tags[items[0].title][0]
    assert items[0].title in await titles(search, GUILD, "llama", tag=tag)
    assert await titles(search, GUILD, "llama", tag="no-such-tag") == []


async def test_an_entry_dated_in_the_future_counts_as_seen_when_it_arrived(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    items = [item(1, "Llama 9 announced", "Llama.", clock, hours_ago=-24 * 30)]
    await stored(store, http, feed_server, {"/f.xml": (GUILD, items)})
    search = SearchService(store, clock=clock)

    assert await titles(search, GUILD, "llama", since=Since.DAY) == ["Llama 9 announced"]
    [found] = (await search.page(GUILD, parse_query("llama"))).hits
    assert found.item.sort_time <= clock()
    clock.advance(timedelta(days=2))
    assert await titles(search, GUILD, "llama", since=Since.DAY) == []


async def test_the_same_story_from_two_feeds_is_one_result_with_the_words_marked(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    story = "Gemma 4 arrives with open weights and a permissive licence"
    await stored(
        store,
        http,
        feed_server,
        {
            "/a.xml": (GUILD, [item(1, story, "Google released Gemma 4 today.", clock)]),
            "/b.xml": (GUILD, [item(2, story, "Gemma 4 is out, says Google.", clock)]),
        },
    )
    page = await SearchService(store, clock=clock).page(GUILD, parse_query("gemma"))
    assert [hit.item.title for hit in page.hits] == [story]
    assert "\x02Gemma\x03" in page.hits[0].snippet


def test_a_snippet_marks_words_phrases_and_prefixes_as_fts_matched_them() -> None:
    from bot.search import snippet

    text = ("Intro. " * 60) + "The Open Weights of Qwen are quantized; quantization helps."
    shown = snippet(parse_query('"open weights" quant*'), text)
    assert "\x02Open Weights\x03" in shown
    assert "\x02quantized\x03" in shown and "\x02quantization\x03" in shown
    assert shown.startswith("…") and len(shown) < 260  # a window, not the whole text
    assert snippet(parse_query("absent"), "Short text.") == "Short text."


@pytest.mark.sqlite_only("SQLite's FTS5 index is written after the poll, PostgreSQL's with the row")
async def test_items_are_indexed_after_their_poll_once_each_and_found_by_a_search_before(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    news = [item(1, "Qwen changes its licence", "Apache 2.0 now.", clock)]
    await stored(store, http, feed_server, {"/ours.xml": (GUILD, news)})
    search = SearchService(store, clock=clock)
    # Not indexed by the poll: the search indexes what is waiting before it looks.
    assert await titles(search, GUILD, "licence") == ["Qwen changes its licence"]
    assert await store.index_for_search() == 0  # nothing left waiting, nothing twice

    news.insert(0, item(2, "Mistral licence news", "MIT.", clock))
    feed_server.serve("/ours.xml", rss("ours", news))
    clock.advance(timedelta(hours=1))
    await pipeline(store, http).poll_due()
    assert await store.index_for_search() == 1  # as the poller does after each cycle
    assert await titles(search, GUILD, "licence") == [
        "Mistral licence news",
        "Qwen changes its licence",
    ]


@pytest.mark.sqlite_only("SQLite's FTS5 index is written after the poll, PostgreSQL's with the row")
async def test_an_item_stored_after_the_newest_indexed_one_was_deleted_is_still_found(
    store: Store, http: httpx.AsyncClient, feed_server: FeedServer, clock: TestClock
) -> None:
    await stored(
        store, http, feed_server, {"/a.xml": (GUILD, [item(1, "Gemma weights", "Open.", clock)])}
    )
    assert await store.index_for_search() == 1
    # The newest item goes (pruned by hand, say): its id must not be given again, or the
    # index, which went past it, would never take the next item.
    await store._db.execute("DELETE FROM items")
    await stored(
        store, http, feed_server, {"/b.xml": (GUILD, [item(2, "Gemma licence", "Open.", clock)])}
    )
    assert await titles(SearchService(store, clock=clock), GUILD, "gemma") == ["Gemma licence"]


async def test_a_database_indexed_by_its_polls_before_is_not_indexed_twice(
    tmp_path: Path, clock: TestClock, http: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    # A database of schema 12, whose polls indexed their items as they stored them.
    path = tmp_path / "old.db"
    store = await Store.open(path, clock=clock)
    news = {"/a.xml": (GUILD, [item(1, "Llama licence", "Open.", clock)])}
    await stored(store, http, feed_server, news)
    assert await store.index_for_search() == 1
    for later in ("search_progress", "story_links"):  # what migrations 13 and 14 made
        await store._db.execute(f"DROP TABLE {later}")
    await store._db.execute("PRAGMA user_version = 12")
    await store.close()

    store = await Store.open(path, clock=clock)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert await store.index_for_search() == 0
        assert await titles(SearchService(store, clock=clock), GUILD, "llama") == ["Llama licence"]
    finally:
        await store.close()
