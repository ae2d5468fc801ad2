"""Why an item was or was not posted: the answer of /feeds explain, from what the store
recorded when each decision was made (a lookup, never a guess)."""

from __future__ import annotations

from bot.models import OutboxKind, OutboxStatus, SkipReason
from bot.store import ChannelVerdict, ItemExplanation


def explanation_lines(
    explanation: ItemExplanation, *, guild_id: int, threshold: float, posts_per_hour: int = 20
) -> list[str]:
    """One line for the item, then one per channel of the server following its feed."""
    item = explanation.item
    head = f"**{item.title}** from {explanation.source_name}"
    if item.relevance is not None:
        head += f" (relevance {item.relevance:.2f}, threshold {threshold:.2f})"
    return [
        head,
        *(
            _verdict_line(v, guild_id, item.relevance, threshold, posts_per_hour)
            for v in explanation.verdicts
        ),
    ]


def _verdict_line(
    verdict: ChannelVerdict,
    guild_id: int,
    relevance: float | None,
    threshold: float,
    posts_per_hour: int,
) -> str:
    where = f"<#{verdict.channel_id}>"
    if verdict.kind is not None:
        return f"{where}: {_outbox_text(verdict, guild_id, posts_per_hour)}"
    if verdict.skip is not None:
        return f"{where}: not posted, {_skip_text(verdict, relevance, threshold)}."
    return (
        f"{where}: not posted; it was stored before this channel followed the feed "
        "(or before Bazaar recorded its decisions)."
    )


def _outbox_text(verdict: ChannelVerdict, guild_id: int, posts_per_hour: int) -> str:
    # A note is a message in the story's thread; a post, in the channel.
    if verdict.kind is OutboxKind.NOTE:
        link = _jump(guild_id, verdict.thread_id or verdict.channel_id, verdict.message_id)
    else:
        link = _jump(guild_id, verdict.channel_id, verdict.message_id)
    if verdict.status == OutboxStatus.POSTED:
        if verdict.kind is OutboxKind.NOTE:
            story = f' "{verdict.story_title}"' if verdict.story_title else ""
            return f"merged into the story{story} as an “Also covered by” note: {link}"
        return f"posted: {link}"
    if verdict.status == OutboxStatus.FAILED:
        return f"failed to send: {verdict.last_error or 'Discord refused it'}"
    if verdict.status == OutboxStatus.SKIPPED:
        if (verdict.last_error or "").startswith("in a catch-up list"):
            return f"not posted on its own: it came {verdict.last_error} (catch_up_above)"
        return f"not sent: {verdict.last_error or 'there was nothing to say'}"
    if verdict.kind is OutboxKind.NOTE:
        return "waiting to be added to its story's thread (after the story's post)"
    return (
        "waiting to be posted: the queue sends in order, at most "
        f"{posts_per_hour} posts an hour in a channel (setting posts_per_hour), or the feed "
        "is paused there (see /feeds list)"
    )


def _skip_text(verdict: ChannelVerdict, relevance: float | None, threshold: float) -> str:
    reason = verdict.skip
    if reason is SkipReason.FILTERED:
        return f"filtered out: {verdict.detail}"
    if reason is SkipReason.NOT_RELEVANT:
        limit = float(verdict.detail) if verdict.detail else threshold  # the server's, then
        score = f" ({relevance:.2f} < {limit:.2f})" if relevance is not None else ""
        return f"below the relevance threshold{score}: this channel gets only open-source AI"
    if reason is SkipReason.TOO_OLD:
        return f"older than max_age ({verdict.detail} days) when it arrived"
    if reason is SkipReason.BEYOND_BACKFILL:
        return (
            f"beyond the backfill: a channel that starts following gets the newest "
            f"{verdict.detail} items only"
        )
    return "the feed was paused in this channel (/feeds resume)"


def _jump(guild_id: int, channel_id: int, message_id: int | None) -> str:
    if message_id is None:
        return f"<#{channel_id}>"
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"
