from datetime import UTC, datetime, timedelta

from bot.decide.schedule import (
    SchedulePolicy,
    ServerHints,
    after_failure,
    feed_interval_hint,
    next_poll_after_success,
    server_hints,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = SchedulePolicy(
    interval=timedelta(minutes=15),
    floor=timedelta(minutes=1),
    backoff_base=timedelta(minutes=5),
    backoff_cap=timedelta(hours=6),
    pause_after_failures=5,
)


def test_the_configured_interval_applies_when_the_server_says_nothing() -> None:
    assert next_poll_after_success(NOW, POLICY, ServerHints()) == NOW + timedelta(minutes=15)


def test_the_longest_hint_wins_but_a_silly_one_is_capped_at_a_day() -> None:
    hints = ServerHints(feed_interval=timedelta(hours=2), cache_lifetime=timedelta(minutes=30))
    assert next_poll_after_success(NOW, POLICY, hints) == NOW + timedelta(hours=2)
    silly = ServerHints(feed_interval=timedelta(days=90))
    assert next_poll_after_success(NOW, POLICY, silly) == NOW + timedelta(days=1)


def test_the_floor_holds_even_if_everything_else_says_sooner() -> None:
    fast = SchedulePolicy(
        timedelta(seconds=5), timedelta(minutes=1), timedelta(seconds=1), timedelta(hours=1), 3
    )
    assert next_poll_after_success(NOW, fast, ServerHints()) == NOW + timedelta(minutes=1)


def test_rss_ttl_and_syndication_period_are_read() -> None:
    assert feed_interval_hint("60", None, None) == timedelta(hours=1)
    assert feed_interval_hint(None, "daily", "2") == timedelta(hours=12)
    assert feed_interval_hint("30", "hourly", None) == timedelta(hours=1)
    assert feed_interval_hint("soon", "sometimes", "x") is None


def test_response_headers_give_retry_after_and_cache_lifetime() -> None:
    hints = server_hints({"retry-after": "120", "cache-control": "public, max-age=3600"}, NOW)
    assert hints.retry_after == timedelta(seconds=120)
    assert hints.cache_lifetime == timedelta(hours=1)
    dated = server_hints(
        {
            "retry-after": "Tue, 24 Nov 2026 12:10:00 GMT",
            "expires": "Tue, 24 Nov 2026 14:00:00 GMT",
        },
        NOW,
    )
    assert dated.retry_after == timedelta(minutes=10)
    assert dated.cache_lifetime == timedelta(hours=2)
    assert server_hints({"cache-control": "no-cache, max-age=60"}, NOW).cache_lifetime is None


def test_failures_back_off_exponentially_up_to_the_cap_then_pause() -> None:
    waits = []
    failures = 0
    for _ in range(5):
        decision = after_failure(
            NOW, POLICY, previous_failures=failures, permanent=False, hints=ServerHints()
        )
        waits.append(decision.next_poll_at - NOW)
        failures = decision.failures
    assert waits[:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert decision.pause and decision.failures == 5
    capped = after_failure(NOW, POLICY, previous_failures=20, permanent=False, hints=ServerHints())
    assert capped.next_poll_at - NOW == timedelta(hours=6)


def test_a_permanent_failure_pauses_at_once_and_retry_after_is_honoured() -> None:
    gone = after_failure(NOW, POLICY, previous_failures=0, permanent=True, hints=ServerHints())
    assert gone.pause
    limited = after_failure(
        NOW,
        POLICY,
        previous_failures=0,
        permanent=False,
        hints=ServerHints(retry_after=timedelta(hours=1)),
    )
    assert limited.next_poll_at == NOW + timedelta(hours=1) and not limited.pause
