"""The outbox's rules as pure functions: wait, send, look first, retry or give up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.decide.outbox import (
    CLOCK_SKEW,
    MAX_ATTEMPTS,
    GiveUp,
    MarkFailed,
    MarkPosted,
    Queued,
    Refused,
    Retry,
    Send,
    Sent,
    StoryPost,
    TargetGone,
    Wait,
    after_attempt,
    channel_unusable,
    next_step,
    over_flood_limit,
)
from bot.models import OutboxKind, OutboxStatus

NOW = datetime(2032, 2, 29, 0, 1, tzinfo=UTC)
CHANNEL, THREAD = 100, 555


def note(story_post: StoryPost | None, **fields: object) -> Queued:
    return Queued(OutboxKind.NOTE, CHANNEL, 0, story_post=story_post, **fields)  # type: ignore[arg-type]


def test_a_fresh_post_is_sent_to_its_channel_without_looking_back() -> None:
    assert next_step(Queued(OutboxKind.POST, CHANNEL, 0)) == Send(CHANNEL, None)


def test_a_post_attempted_before_is_first_looked_for_since_that_attempt() -> None:
    first = NOW - timedelta(hours=5)  # far past Discord's nonce window
    step = next_step(Queued(OutboxKind.POST, CHANNEL, 1, first_attempt_at=first))
    assert step == Send(CHANNEL, first - CLOCK_SKEW)


@pytest.mark.parametrize("status", [None, OutboxStatus.PENDING, OutboxStatus.SENDING])
def test_a_note_waits_until_its_story_is_posted(status: OutboxStatus | None) -> None:
    story_post = StoryPost(status, None) if status else None
    assert isinstance(next_step(note(story_post)), Wait)


def test_a_note_goes_into_the_thread_of_its_story_post() -> None:
    assert next_step(note(StoryPost(OutboxStatus.POSTED, THREAD))) == Send(THREAD, None)


@pytest.mark.parametrize(
    "story_post",
    [StoryPost(OutboxStatus.FAILED, None), StoryPost(OutboxStatus.POSTED, None)],
    ids=["post failed", "post has no thread"],
)
def test_a_note_whose_post_has_no_thread_is_given_up(story_post: StoryPost) -> None:
    step = next_step(note(story_post))
    assert isinstance(step, GiveUp) and "thread" in step.reason


def test_a_recap_not_written_yet_waits() -> None:
    recap = Queued(
        OutboxKind.RECAP, CHANNEL, 0, story_post=StoryPost(OutboxStatus.POSTED, 5), ready=False
    )
    assert isinstance(next_step(recap), Wait)


def test_what_discord_accepted_is_marked_posted_with_its_thread() -> None:
    row = Queued(OutboxKind.POST, CHANNEL, 1)
    assert after_attempt(row, Sent(42, 42), NOW) == MarkPosted(42, 42, None)


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [
        (Refused(403, 50013, "Missing Permissions"), "missing permission"),
        (Refused(403, 50001, "Missing Access"), "cannot see this channel"),
        (Refused(404, 10003, "Unknown Channel"), "deleted"),
        (Refused(400, 50035, "Invalid Form Body"), "refused the message"),
        (TargetGone("no such channel"), "no such channel"),
    ],
)
def test_what_no_retry_can_fix_is_given_up_at_once(refusal: object, reason: str) -> None:
    transition = after_attempt(Queued(OutboxKind.POST, CHANNEL, 1), refusal, NOW)  # type: ignore[arg-type]
    assert isinstance(transition, MarkFailed) and reason in transition.reason


def test_a_server_error_is_retried_with_growing_delays_then_given_up() -> None:
    error = Refused(503, 0, "Service Unavailable")
    delays = []
    for attempts in range(1, MAX_ATTEMPTS):
        transition = after_attempt(Queued(OutboxKind.POST, CHANNEL, attempts), error, NOW)
        assert isinstance(transition, Retry)
        delays.append(transition.at - NOW)
    assert delays == sorted(delays) and delays[0] >= timedelta(seconds=30)
    last = after_attempt(Queued(OutboxKind.POST, CHANNEL, MAX_ATTEMPTS), error, NOW)
    assert isinstance(last, MarkFailed) and f"after {MAX_ATTEMPTS} tries" in last.reason


def test_no_answer_at_all_is_retried() -> None:
    transition = after_attempt(
        Queued(OutboxKind.NOTE, CHANNEL, 1), Refused(0, 0, "Discord could not be reached"), NOW
    )
    assert isinstance(transition, Retry) and transition.error == "Discord could not be reached"


def test_a_channel_gets_at_most_its_hourly_allowance_the_rest_wait_in_order() -> None:
    due = [(1, 100), (2, 100), (3, 200), (4, 100), (5, 100)]
    held = over_flood_limit(due, sent_recently={100: 1}, limit_of={100: 3, 200: 1})
    assert held == {4, 5}  # channel 100 had 1, gets 2 more; channel 200 is not held back
    assert over_flood_limit(due, sent_recently={200: 1}, limit_of={200: 1}) == {3}


@pytest.mark.parametrize(
    ("status", "code", "says"),
    [
        (403, 50013, "missing permission to post here"),
        (403, 50001, "the bot cannot see this channel"),
        (404, 10003, "the channel was deleted"),
    ],
)
def test_a_refusal_for_the_whole_channel_pauses_it_and_others_do_not(
    status: int, code: int, says: str
) -> None:
    refused = Refused(status, code, "Discord's words")
    assert says in (channel_unusable(OutboxKind.POST, refused) or "")
    # A note's thread gone, or one message's content refused, is not the channel's fault.
    assert channel_unusable(OutboxKind.NOTE, refused) is None
    assert channel_unusable(OutboxKind.POST, Refused(400, 50035, "Invalid Form Body")) is None
    assert channel_unusable(OutboxKind.POST, Refused(503, 0, "unavailable")) is None
    assert channel_unusable(OutboxKind.POST, TargetGone("gone")) == "gone"
