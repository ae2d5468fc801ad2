"""Stories are found through an index of the recent headlines: the words looked up can never
miss a match, and loading the index reads the database by index, not whole tables."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from bot.decide.stories import (
    MIN_TITLE_WORDS,
    TITLE_SIMILARITY,
    StoryRef,
    alike_lengths,
    match_story,
    words_to_look_up,
)
from bot.models import Entry, NewItem, SubscriptionSource
from bot.store import FeedState, PollFacts, PollResult, Store
from bot.story_index import RecentStories
from tests.clock import INSTANTS, TestClock

WHEN = INSTANTS["2032-02-29T00:01"]
VOCABULARY = [f"w{n}" for n in range(40)]
COMMAND = SubscriptionSource.COMMAND


def story(story_id: int, headline: str, first_seen: datetime = WHEN) -> StoryRef:
    return StoryRef(story_id, None, headline, frozenset({1}), first_seen)


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
        recent.add([story(story_id, headline)])
        matched += bool(expected)
    assert matched > 300  # most are alike to some earlier one: the index is put to work


def test_headlines_too_short_are_never_matched_by_their_words() -> None:
    recent = RecentStories()
    recent.add([story(1, "llama 4 released")])
    assert alike_lengths(3) == range(0)
    assert recent.similar("llama 4 released") == set()


def test_recent_stories_find_alike_headlines_and_forget_those_out_of_the_window() -> None:
    recent = RecentStories()
    old = WHEN - timedelta(hours=50)
    recent.add([story(1, "mistral releases large 3 under apache 2.0", old)])
    recent.add(
        [
            story(2, "qwen 3.5 released with open weights today", WHEN - timedelta(hours=1)),
            story(3, "open weights for everyone", WHEN - timedelta(hours=1)),
        ]
    )

    assert recent.similar("qwen 3.5 released with open weights") == {2}
    assert recent.similar("mistral releases large 3 under apache 2.0") == {1}
    recent.forget_before(WHEN - timedelta(hours=48))
    assert recent.similar("mistral releases large 3 under apache 2.0") == set()
    assert len(recent) == 2


def test_stories_with_the_same_headline_are_found_until_each_is_forgotten() -> None:
    recent = RecentStories()
    headline = "llama 4 scout released with open weights"
    recent.add([story(1, headline, WHEN - timedelta(hours=50))])
    recent.add([story(2, headline, WHEN - timedelta(hours=49))])
    recent.add([story(3, headline, WHEN - timedelta(hours=1))])

    assert recent.similar(headline) == {1, 2, 3}
    recent.forget_before(WHEN - timedelta(hours=49, minutes=30))
    assert recent.similar(headline) == {2, 3}
    recent.forget_before(WHEN - timedelta(hours=48))
    assert recent.similar(headline) == {3}
    assert recent.best_match(headline, WHEN, feed_id=2) == 3  # another feed's story
    recent.forget_before(WHEN)
    assert recent.similar(headline) == set()
    assert len(recent) == 0


async def test_a_pipeline_started_later_knows_the_stories_of_the_window(
    clock: TestClock, store: Store
) -> None:
    feed, _ = await store.subscribe("https://example.org/f.xml", 1, source=COMMAND)
    now = clock()
    new = [NewItem(Entry("k", "T", None, None, "", now, title_key="open model seven a b"))]
    created = await store.apply_poll(
        PollResult(feed.feed_id, now, FeedState(next_poll_at=now), new_items=new)
    )

    assert [s.title_key for s in created] == ["open model seven a b"]
    [loaded] = await store.recent_stories(now - timedelta(hours=48))
    assert (loaded.id, loaded.title_key, loaded.feed_ids) == (
        created[0].id,
        "open model seven a b",
        frozenset({feed.feed_id}),
    )
    assert abs(loaded.first_seen_at - now) < timedelta(seconds=1)


@pytest.mark.sqlite_only("reads SQLite's query plan")
async def test_the_stories_of_the_window_are_found_by_index(clock: TestClock, store: Store) -> None:
    now = clock()
    rows = await store._fetchall(
        "EXPLAIN QUERY PLAN SELECT id, title_key, first_seen_at FROM stories "
        "WHERE first_seen_at >= ?",
        (now.isoformat(),),
    )
    assert not any(str(row["detail"]).startswith("SCAN") for row in rows)


def test_an_entry_older_than_every_story_by_more_than_the_window_is_not_compared() -> None:
    recent = RecentStories()
    recent.add([story(1, "qwen 3.5 released with open weights today")])
    headline = "qwen 3.5 released with open weights today"
    assert recent.similar(headline, WHEN - timedelta(hours=47)) == {1}
    assert recent.similar(headline, WHEN + timedelta(hours=47)) == {1}
    # match_story refuses these anyway (more than 48 hours apart); the index skips them.
    assert recent.similar(headline, WHEN - timedelta(days=5)) == set()
    assert recent.similar(headline, WHEN + timedelta(days=3)) == set()
    assert RecentStories().similar(headline, WHEN) == set()


async def test_polls_written_together_see_each_other_and_fail_together(
    clock: TestClock, store: Store
) -> None:
    now = clock()
    feeds = [
        (await store.subscribe(f"https://example.org/{n}.xml", 1, source=COMMAND))[0].feed_id
        for n in range(2)
    ]
    headline = "qwen 3.5 released with open weights"
    seen: list[tuple[int, list[StoryRef]]] = []
    recent = RecentStories()

    def poll(feed_id: int) -> Callable[[PollFacts], PollResult]:
        def decide(facts: PollFacts) -> PollResult:
            found = recent.refs(recent.similar(headline, now))
            told = next((s.id for s in found.values() if feed_id not in s.feed_ids), None)
            entry = Entry(f"k{feed_id}", "Qwen", None, None, "", now, title_key=headline)
            state = FeedState(next_poll_at=now)
            return PollResult(feed_id, now, state, new_items=[NewItem(entry, None, told)])

        return decide

    def written(result: PollResult, created: list[StoryRef]) -> None:
        seen.append((result.feed_id, created))
        recent.add(created)
        for item in result.new_items:
            if item.story_id is not None:
                recent.told_by(item.story_id, result.feed_id)

    # A feed that is gone: its story is written, then its item refused (no such feed).
    with pytest.raises(sqlite3.IntegrityError):
        await store.commit_polls([poll(feeds[0]), poll(10_000)], written=written)
    assert await store._fetchall("SELECT id FROM stories") == []  # nothing at all

    seen.clear()
    recent = RecentStories()
    await store.commit_polls([poll(feeds[0]), poll(feeds[1])], written=written)

    # The first feed's story is found by the second in the same transaction: one story.
    [(first_feed, [story_ref]), (second_feed, [])] = seen
    assert (first_feed, second_feed) == (feeds[0], feeds[1])
    assert recent.refs([story_ref.id])[story_ref.id].feed_ids == set(feeds)
    rows = await store._fetchall("SELECT feed_id, story_id FROM items ORDER BY feed_id")
    assert [tuple(row) for row in rows] == [(feeds[0], story_ref.id), (feeds[1], story_ref.id)]
    [loaded] = await store.recent_stories(now - timedelta(hours=48))
    assert loaded.feed_ids == set(feeds)


def chosen(
    recent: RecentStories, ids: set[int], *, feed_id: int, headline: str, when: datetime
) -> StoryRef | None:
    refs = recent.refs(ids)
    return match_story(
        feed_id=feed_id,
        url_key=None,
        title_key=headline,
        when=when,
        stories=[refs[i] for i in sorted(refs)],
    )


def test_the_best_match_is_the_story_match_story_chooses_among_all_alike() -> None:
    rng = random.Random(5)
    words = [f"w{n}" for n in range(10)] + VOCABULARY[:14]  # few words: many ties
    recent = RecentStories()
    seen_at = sorted(WHEN - timedelta(hours=rng.uniform(0, 60)) for _ in range(1_200))
    for story_id, first_seen in enumerate(seen_at):
        headline = " ".join(rng.sample(words, rng.randint(4, 9)))
        recent.add([StoryRef(story_id, None, headline, frozenset({rng.randrange(6)}), first_seen)])
        if rng.random() < 0.3:
            recent.told_by(story_id, rng.randrange(6))
    matched = 0
    for _ in range(400):
        headline = " ".join(rng.sample(words, rng.randint(4, 9)))
        feed_id, when = rng.randrange(6), WHEN + timedelta(hours=rng.uniform(-50, 50))
        case = {"feed_id": feed_id, "headline": headline, "when": when}
        everything = chosen(recent, recent.similar(headline, when), **case)
        best = recent.best_match(headline, when, feed_id)
        assert chosen(recent, {best} if best is not None else set(), **case) == everything
        assert best == (everything.id if everything else None)
        matched += everything is not None
    assert matched > 50  # most entries join a story: the choice is put to the test


def test_the_best_match_is_the_first_joinable_story_of_the_best_likeness() -> None:
    # News told again word for word (the same headline from many feeds) is the commonest
    # match: of those stories, the first one that may be joined is the match.
    rng = random.Random(8)
    words = VOCABULARY[:16]
    headlines = [" ".join(rng.sample(words, rng.randint(4, 8))) for _ in range(60)]
    recent = RecentStories()
    told: dict[int, tuple[str, set[int], datetime]] = {}
    for story_id in range(900):
        headline, feeds = rng.choice(headlines), {rng.randrange(5)}
        first_seen = WHEN - timedelta(hours=rng.uniform(0, 60))
        recent.add([StoryRef(story_id, None, headline, frozenset(feeds), first_seen)])
        told[story_id] = (headline, feeds, first_seen)
        if rng.random() < 0.3:
            feed = rng.randrange(5)
            recent.told_by(story_id, feed)
            feeds.add(feed)
    exact = 0
    for _ in range(300):
        base = rng.choice(headlines).split()
        if rng.random() < 0.4:
            base = [*base[1:], rng.choice(words)]
        headline, feed_id = " ".join(base), rng.randrange(5)
        when = WHEN + timedelta(hours=rng.uniform(-12, 12))
        alike = {
            story_id: jaccard(set(headline.split()), set(other.split()))
            for story_id, (other, feeds, first_seen) in told.items()
            if feed_id not in feeds and abs(when - first_seen) <= timedelta(hours=48)
        }
        alike = {i: s for i, s in alike.items() if s >= TITLE_SIMILARITY}
        best = max(alike.values(), default=None)
        expected = min((i for i, s in alike.items() if s == best), default=None)
        assert recent.best_match(headline, when, feed_id) == expected, headline
        exact += best == 1.0
    assert exact > 100
