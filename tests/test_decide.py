from datetime import UTC, datetime, timedelta

from bot.decide.entries import Candidate, plan_posts, select_new_entries
from bot.models import Entry, Subscription, SubscriptionSource

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
