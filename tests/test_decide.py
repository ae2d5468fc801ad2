from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.decide.entries import Candidate, plan_posts, select_new_entries
from bot.decide.filters import keyword_filter
from bot.models import (
    Entry,
    FeedFilter,
    SkipReason,
    Subscription,
    SubscriptionSource,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def subscription(id: int, channel: int, *, initialized: bool) -> Subscription:
    return Subscription(id, 1, channel, 9, None, SubscriptionSource.COMMAND, initialized)


def hours_ago(key: str, hours: float) -> Candidate:
    return Candidate(key, NOW - timedelta(hours=hours))


def entry(key: str) -> Entry:
    return Entry(key, key, None, None, "", None)


def test_a_new_channel_gets_only_the_newest_backfill_items_oldest_first() -> None:
    new = [hours_ago(f"item-{n}", n) for n in range(200)]
    plan = plan_posts(
        feed_id=1,
        subscriptions=[subscription(5, 100, initialized=False)],
        new=new,
        stored=[],
        now=NOW,
        backfill=3,
        max_age=WEEK,
    )
    assert [p.item_key for p in plan.posts] == ["item-2", "item-1", "item-0"]
    assert plan.initialized_subscription_ids == (5,)


def test_a_following_channel_gets_every_new_item_but_none_older_than_max_age() -> None:
    plan = plan_posts(
        feed_id=1,
        subscriptions=[subscription(5, 100, initialized=True)],
        new=[hours_ago("fresh", 1), hours_ago("stale", 24 * 8), hours_ago("fresh-2", 2)],
        stored=[hours_ago("old", 3)],
        now=NOW,
        backfill=3,
        max_age=WEEK,
    )
    assert [p.item_key for p in plan.posts] == ["fresh-2", "fresh"]
    assert plan.initialized_subscription_ids == ()


def test_a_channel_joining_a_known_feed_is_backfilled_from_stored_items() -> None:
    plan = plan_posts(
        feed_id=1,
        subscriptions=[
            subscription(5, 100, initialized=True),
            subscription(6, 200, initialized=False),
        ],
        new=[],
        stored=[hours_ago("a", 1), hours_ago("b", 2), hours_ago("c", 3), hours_ago("d", 4)],
        now=NOW,
        backfill=2,
        max_age=WEEK,
    )
    assert [(p.channel_id, p.item_key) for p in plan.posts] == [(200, "b"), (200, "a")]


def test_backfill_zero_posts_nothing_old_but_marks_the_channel_started() -> None:
    plan = plan_posts(
        feed_id=1,
        subscriptions=[subscription(5, 100, initialized=False)],
        new=[hours_ago("a", 1)],
        stored=[],
        now=NOW,
        backfill=0,
        max_age=WEEK,
    )
    assert plan.posts == ()
    assert plan.initialized_subscription_ids == (5,)


def test_entries_already_stored_or_repeated_in_the_feed_are_not_new() -> None:
    fresh = select_new_entries([entry("a"), entry("b"), entry("b"), entry("c")], {"a"})
    assert [e.key for e in fresh] == ["b", "c"]


def test_every_item_not_posted_in_a_channel_has_its_reason() -> None:
    new = [
        Candidate("fresh", NOW - timedelta(hours=1), True, "Qwen 4 weights", ""),
        Candidate("rumor", NOW - timedelta(hours=2), True, "Rumor: Qwen 5", ""),
        Candidate("off-topic", NOW - timedelta(hours=3), False, "GPU prices", "", 0.3),
        Candidate("old", NOW - timedelta(days=9), True, "Qwen 1", ""),
    ]
    following = replace(
        subscription(5, 100, initialized=True),
        filter=FeedFilter.RELEVANT,
        rules=keyword_filter(exclude="rumor"),
    )
    paused = replace(subscription(6, 200, initialized=True), paused_at=NOW)
    plan = plan_posts(
        feed_id=1,
        subscriptions=[following, paused],
        new=new,
        stored=[],
        now=NOW,
        backfill=3,
        max_age=WEEK,
    )
    assert [p.item_key for p in plan.posts] == ["fresh"]
    reasons = {(s.item_key, s.channel_id): (s.reason, s.detail) for s in plan.skips}
    assert reasons[("rumor", 100)] == (SkipReason.FILTERED, 'it has the excluded word "rumor"')
    assert reasons[("off-topic", 100)][0] is SkipReason.NOT_RELEVANT
    assert reasons[("old", 100)] == (SkipReason.TOO_OLD, "7")
    assert {reasons[(c.key, 200)][0] for c in new} == {SkipReason.PAUSED}

    # The server's own threshold, lower than the lexicon's, lets the scored item in.
    lower = plan_posts(
        feed_id=1,
        subscriptions=[following],
        new=new,
        stored=[],
        now=NOW,
        backfill=3,
        max_age=WEEK,
        thresholds={5: 0.25},
    )
    assert [p.item_key for p in lower.posts] == ["off-topic", "fresh"]


def test_a_new_channel_is_told_which_items_were_beyond_its_backfill() -> None:
    new = [hours_ago(f"item-{n}", n) for n in range(5)]
    plan = plan_posts(
        feed_id=1,
        subscriptions=[subscription(5, 100, initialized=False)],
        new=new,
        stored=[],
        now=NOW,
        backfill=2,
        max_age=WEEK,
    )
    assert {s.item_key for s in plan.skips if s.reason is SkipReason.BEYOND_BACKFILL} == {
        "item-2",
        "item-3",
        "item-4",
    }
