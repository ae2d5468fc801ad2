"""Stories are found through an index: the words looked up can never miss a match, and the
queries a cycle runs to find them read indexes, not whole tables."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.decide.stories import MIN_TITLE_WORDS, TITLE_SIMILARITY, lookup_words
from bot.models import Entry, NewItem, SubscriptionSource
from bot.store import FeedState, PollResult, Store
from tests.clock import TestClock

VOCABULARY = [f"w{n}" for n in range(40)]
COMMAND = SubscriptionSource.COMMAND


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def test_any_headline_similar_enough_shares_one_of_the_words_looked_up() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(20_000):
        a = set(rng.sample(VOCABULARY, rng.randint(MIN_TITLE_WORDS, 14)))
        b = set(a)
        for _ in range(rng.randint(0, 3)):  # a few words dropped or added
            if rng.random() < 0.5 and len(b) > 1:
                b.discard(rng.choice(sorted(b)))
            else:
                b.add(rng.choice(VOCABULARY))
        if jaccard(a, b) < TITLE_SIMILARITY:
            continue
        counts = {word: rng.randint(0, 500) for word in VOCABULARY}
        assert lookup_words(" ".join(sorted(a)), counts) & b, (sorted(a), sorted(b))
        checked += 1
    assert checked > 1_000


def test_the_rarest_words_are_looked_up_and_short_headlines_not_at_all() -> None:
    counts = {"the": 900, "model": 400, "open": 300, "qwen": 3, "weights": 40}
    assert lookup_words("the open model qwen weights", counts) == {"qwen", "weights"}
    assert lookup_words("llama 4 released", counts) == frozenset()


async def test_finding_candidate_stories_reads_indexes_only(clock: TestClock, store: Store) -> None:
    feed, _ = await store.subscribe("https://example.org/f.xml", 1, source=COMMAND)
    now = clock()
    new = [
        NewItem(Entry(f"k{n}", f"Story {n}", None, None, "", now, title_key=f"open model {n} a b"))
        for n in range(50)
    ]
    await store.apply_poll(
        PollResult(feed.feed_id, now, FeedState(next_poll_at=now), new_items=new)
    )
    plans: list[str] = []

    async def plan(sql: str, params: tuple[object, ...]) -> None:
        rows = await store._fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
        plans.extend(str(row["detail"]) for row in rows)

    since = now - timedelta(hours=48)
    await plan("SELECT id FROM stories WHERE url_key IN (?)", ("x",))
    await plan(
        """SELECT DISTINCT w.story_id FROM story_words w JOIN stories s ON s.id = w.story_id
           WHERE w.word IN (?, ?) AND s.first_seen_at >= ?""",
        ("open", "model", since.isoformat()),
    )
    await plan("SELECT word, stories FROM word_counts WHERE word IN (?)", ("open",))
    scans = [detail for detail in plans if detail.startswith("SCAN")]
    assert scans == [], plans
    found = await store.story_titles(since=since, words={"7"})
    assert [title for _, title in found] == ["open model 7 a b"]
