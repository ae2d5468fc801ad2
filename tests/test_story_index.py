"""Stories are found through an index of the recent headlines: the words looked up can never
miss a match, and loading the index reads the database by index, not whole tables."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.decide.stories import (
    MIN_TITLE_WORDS,
    TITLE_SIMILARITY,
    alike_lengths,
    words_to_look_up,
)
from bot.models import Entry, NewItem, SubscriptionSource
from bot.store import FeedState, PollResult, Store
from bot.story_index import RecentStories
from tests.clock import INSTANTS, TestClock

WHEN = INSTANTS["2032-02-29T00:01"]
VOCABULARY = [f"w{n}" for n in range(40)]
COMMAND = SubscriptionSource.COMMAND


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def test_any_headline_similar_enough_has_the_words_looked_up_for_its_length() -> None:
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
        if len(b) < MIN_TITLE_WORDS or jaccard(a, b) < TITLE_SIMILARITY:
            continue
        assert len(b) in alike_lengths(len(a))
        for together in (1, 2, 3):
            # Whichever words are looked up (the rarest: any order of them), b has enough.
            looked_up = rng.sample(sorted(a), words_to_look_up(len(a), len(b), together))
            assert len(b.intersection(looked_up)) >= together, (sorted(a), sorted(b))
        checked += 1
    assert checked > 1_000


def test_the_index_finds_exactly_the_headlines_alike_enough() -> None:
    rng = random.Random(11)
    words = [f"w{n}" for n in range(12)] + VOCABULARY  # a few words in most headlines
    headlines = []
    for _ in range(1_500):
        base = rng.choice(headlines) if headlines and rng.random() < 0.6 else None
        headline = set(base or rng.sample(words, rng.randint(3, 13)))
        for _ in range(rng.randint(0, 2)):
            headline.symmetric_difference_update({rng.choice(words[:20])})
        headlines.append(" ".join(sorted(headline)))
    recent = RecentStories()
    matched = 0
    for story_id, headline in enumerate(headlines):
        expected = {
            other
            for other, seen in enumerate(headlines[:story_id])
            if min(len(headline.split()), len(seen.split())) >= MIN_TITLE_WORDS
            and jaccard(set(headline.split()), set(seen.split())) >= TITLE_SIMILARITY
        }
        assert recent.similar(headline) == expected, headline
        recent.add([(story_id, headline)], WHEN)
        matched += bool(expected)
    assert matched > 300  # most are alike to some earlier one: the index is put to work


def test_headlines_too_short_are_never_matched_by_their_words() -> None:
    recent = RecentStories()
    recent.add([(1, "llama 4 released")], WHEN)
    assert alike_lengths(3) == range(0)
    assert recent.similar("llama 4 released") == set()


def test_recent_stories_find_alike_headlines_and_forget_those_out_of_the_window() -> None:
    recent = RecentStories()
    recent.add([(1, "mistral releases large 3 under apache 2.0")], WHEN - timedelta(hours=50))
    recent.add(
        [(2, "qwen 3.5 released with open weights today"), (3, "open weights for everyone")],
        WHEN - timedelta(hours=1),
    )

    assert recent.similar("qwen 3.5 released with open weights") == {2}
    assert recent.similar("mistral releases large 3 under apache 2.0") == {1}
    recent.forget_before(WHEN - timedelta(hours=48))
    assert recent.similar("mistral releases large 3 under apache 2.0") == set()
    assert len(recent) == 2


async def test_a_pipeline_started_later_knows_the_stories_of_the_window(
    clock: TestClock, store: Store
) -> None:
    feed, _ = await store.subscribe("https://example.org/f.xml", 1, source=COMMAND)
    now = clock()
    new = [NewItem(Entry("k", "T", None, None, "", now, title_key="open model seven a b"))]
    created = await store.apply_poll(
        PollResult(feed.feed_id, now, FeedState(next_poll_at=now), new_items=new)
    )

    assert [title for _, title in created] == ["open model seven a b"]
    [(story_id, title, first_seen)] = await store.recent_story_titles(now - timedelta(hours=48))
    assert (story_id, title) == created[0] and abs(first_seen - now) < timedelta(seconds=1)
    rows = await store._fetchall(
        "EXPLAIN QUERY PLAN SELECT id, title_key, first_seen_at FROM stories "
        "WHERE first_seen_at >= ?",
        (now.isoformat(),),
    )
    assert not any(str(row["detail"]).startswith("SCAN") for row in rows)


def test_an_entry_older_than_every_story_by_more_than_the_window_is_not_compared() -> None:
    recent = RecentStories()
    recent.add([(1, "qwen 3.5 released with open weights today")], WHEN)
    headline = "qwen 3.5 released with open weights today"
    assert recent.similar(headline, WHEN - timedelta(hours=47)) == {1}
    assert recent.similar(headline, WHEN + timedelta(hours=47)) == {1}
    # match_story refuses these anyway (more than 48 hours apart); the index skips them.
    assert recent.similar(headline, WHEN - timedelta(days=5)) == set()
    assert recent.similar(headline, WHEN + timedelta(days=3)) == set()
    assert RecentStories().similar(headline, WHEN) == set()
