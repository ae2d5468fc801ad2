"""The outbox's rules: what to do with a queued message, and with Discord's answer.

A row is sent at most once per attempt, marked posted only after Discord accepted it, and
never sent again blindly: a row that was ever attempted is first looked for in its channel
(or thread) since its first attempt, because Discord's nonce only guards a resend for a few
minutes. Notes and recaps wait for their story's post and its thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import OutboxKind, OutboxStatus

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(minutes=30)
# Discord's clock (which dates message ids) and ours may disagree by a little.
CLOCK_SKEW = timedelta(minutes=2)
# Discord's JSON error codes that no retry can fix.
UNKNOWN_CHANNEL, MISSING_ACCESS, CANNOT_DM, MISSING_PERMISSIONS = 10003, 50001, 50007, 50013
INVALID_FORM_BODY = 50035


@dataclass(frozen=True)
class StoryPost:
    """The post of a note's or recap's story in the same channel."""

    status: OutboxStatus
    thread_id: int | None


@dataclass(frozen=True)
class Queued:
    """A queued message, reduced to what the rules look at."""

    kind: OutboxKind
    channel_id: int
    attempts: int
    first_attempt_at: datetime | None = None
    story_post: StoryPost | None = None  # for notes and recaps
    ready: bool = True  # false while a recap is not written yet


# What to do next -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Send to `target_id`; when `look_back_from` is set, first look there for the message
    an earlier attempt may have sent (since that time) and send only if it is not found."""

    target_id: int
    look_back_from: datetime | None = None


@dataclass(frozen=True)
class Wait:
    reason: str


@dataclass(frozen=True)
class GiveUp:
    reason: str


Step = Send | Wait | GiveUp


def next_step(row: Queued) -> Step:
    """Send now, wait (for the story's post, or for the recap to be written), or give up."""
    if not row.ready:
        return Wait("the recap is not written yet")
    target = row.channel_id
    if row.kind is not OutboxKind.POST:
        post = row.story_post
        if post is None or post.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            return Wait("the story's post goes first")
        if post.status is not OutboxStatus.POSTED or post.thread_id is None:
            return GiveUp("the story's post has no thread to add this to")
        target = post.thread_id
    look_back = row.first_attempt_at - CLOCK_SKEW if row.first_attempt_at else None
    return Send(target, look_back)


# What Discord answered -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """Discord has the message (just sent, or found from an earlier attempt)."""

    message_id: int
    thread_id: int | None = None
    note: str | None = None  # e.g. why the post has no thread


@dataclass(frozen=True)
class Refused:
    """Discord (or the way to it) said no: an HTTP status and Discord's error code (0 when
    there was no answer at all, e.g. a network failure)."""

    status: int
    code: int
    text: str


@dataclass(frozen=True)
class TargetGone:
    """The channel or thread no longer exists, or the bot cannot see it."""

    reason: str


Outcome = Sent | Refused | TargetGone


@dataclass(frozen=True)
class MarkPosted:
    message_id: int
    thread_id: int | None
    note: str | None


@dataclass(frozen=True)
class Retry:
    error: str
    at: datetime


@dataclass(frozen=True)
class MarkFailed:
    reason: str


Transition = MarkPosted | Retry | MarkFailed


def after_attempt(row: Queued, outcome: Outcome, now: datetime) -> Transition:
    """Record a success; give up on what no retry can fix; otherwise retry with backoff,
    until `MAX_ATTEMPTS` tries have failed. `row.attempts` counts this attempt."""
    match outcome:
        case Sent(message_id, thread_id, note):
            return MarkPosted(message_id, thread_id, note)
        case TargetGone(reason):
            return MarkFailed(reason)
        case Refused(status, code, text) if permanent(status, code):
            return MarkFailed(refusal_reason(status, code, text))
        case Refused(status, code, text):
            error = f"Discord error {status}: {text}" if status else text
            if row.attempts >= MAX_ATTEMPTS:
                return MarkFailed(f"{error} (gave up after {MAX_ATTEMPTS} tries)")
            return Retry(error, now + retry_delay(row.attempts))
    raise AssertionError(f"unknown outcome {outcome!r}")


def permanent(status: int, code: int) -> bool:
    """Whether trying again cannot help: missing permissions or access, an unknown channel,
    a message Discord finds invalid."""
    return status in (403, 404) or code in (UNKNOWN_CHANNEL, INVALID_FORM_BODY)


def refusal_reason(status: int, code: int, text: str) -> str:
    if code == MISSING_PERMISSIONS or (status == 403 and code != MISSING_ACCESS):
        return f"missing permission to post here ({text})"
    if code == MISSING_ACCESS:
        return f"the bot cannot see this channel ({text})"
    if status == 404 or code == UNKNOWN_CHANNEL:
        return "the channel was deleted"
    return f"Discord refused the message: {text}"


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most 30 minutes."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def channel_unusable(kind: OutboxKind, outcome: Outcome) -> str | None:
    """Why a channel cannot take any post, when a story's post was refused for a reason
    that holds for every post there (permissions, access, the channel gone): its feeds
    there are then paused, and the admins told once, instead of each waiting post being
    tried and refused in turn. None for anything else (a note's thread gone is that
    thread's problem; a refusal of one message's content is that message's)."""
    if kind is not OutboxKind.POST:
        return None
    match outcome:
        case TargetGone(reason):
            return reason
        case Refused(status, code, text) if status in (403, 404) or code == UNKNOWN_CHANNEL:
            return refusal_reason(status, code, text)
    return None


FLOOD_WINDOW = timedelta(hours=1)


def over_flood_limit(
    posts: Sequence[tuple[int, int]],
    *,
    sent_recently: Mapping[int, int],
    limit_of: Mapping[int, int],
) -> set[int]:
    """Of `posts` (row id, channel), due in this order, those that must wait: a channel
    gets at most its limit of posts per `FLOOD_WINDOW`, counting those it got in the last
    one (`sent_recently`). The rest stay queued in order and go out as the window moves,
    so a backlog after downtime is posted oldest first, at that rate."""
    counted = dict(sent_recently)
    held = set()
    for row_id, channel in posts:
        if counted.get(channel, 0) >= limit_of.get(channel, 1 << 30):
            held.add(row_id)
        else:
            counted[channel] = counted.get(channel, 0) + 1
    return held


def backlog_to_fold(pending_posts: int, fold_above: int) -> bool:
    """Whether a channel's waiting posts are too many to post one by one at its hourly
    rate (`fold_above` 0: never): they then go out as one catch-up list instead."""
    return fold_above > 0 and pending_posts > fold_above
