"""Carries out the outbox's rules for the publisher: what to send next, and recording what
Discord answered. The publisher cog renders and sends; every decision is `bot.decide.outbox`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.clock import Clock, system_clock
from bot.decide.outbox import (
    FLOOD_WINDOW,
    GiveUp,
    Outcome,
    Queued,
    Send,
    StoryPost,
    Transition,
    Wait,
    after_attempt,
    backlog_to_fold,
    channel_unusable,
    next_step,
    over_flood_limit,
)
from bot.decide.pings import ping_role
from bot.decide.server_settings import ServerSettings
from bot.item_summaries import ItemSummaries
from bot.models import Notice, OutboxKind, OutboxRow, Post
from bot.notices import catch_up_pages
from bot.posts import post_for_item
from bot.roles import EVERY_CHANNEL, Shard
from bot.server_settings import ServerSettingsService
from bot.store import Store

log = logging.getLogger(__name__)

# How long a publisher goes on trusting its last count of the channels' backlogs when
# nothing new was queued.
RECOUNT_BACKLOGS = timedelta(minutes=5)


class JobKind(StrEnum):
    POST = "post"  # an embed in the channel, with a thread
    NOTE = "note"  # "Also covered by …" in the story's thread
    RECAP = "recap"  # a discussion recap in the story's thread
    NOTICE = "notice"  # plain words for the admins


@dataclass(frozen=True)
class Job:
    """One message the publisher is to send now.

    When `look_back_from` is set, an earlier attempt may have reached Discord: the
    publisher first looks for the bot's own identical message in the target since then.
    """

    kind: JobKind
    id: int
    target_id: int
    attempts: int
    look_back_from: datetime | None = None
    post: Post | None = None  # posts and notes
    text: str | None = None  # recaps and notices
    ping_role_id: int | None = None  # the one role the post may mention (opted in)
    settings: ServerSettings | None = None  # of the target's server: how the post looks

    @property
    def nonce(self) -> str:
        # Discord returns the first message again for a nonce it saw in the last minutes.
        prefix = "bazaar-notice-" if self.kind is JobKind.NOTICE else "bazaar-"
        return f"{prefix}{self.id}"


class DeliveryService:
    """Hands out the jobs that are due and writes each attempt's outcome."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = system_clock,
        server_settings: ServerSettingsService | None = None,
        shard: Shard = EVERY_CHANNEL,
    ) -> None:
        self._store = store
        self._now = clock
        self._servers = server_settings
        self._shard = shard  # the channels this publisher sends to
        self._summaries = ItemSummaries(store)
        # (the newest outbox row, when) at the last count of the channels' backlogs
        self._folds_checked: tuple[int, datetime] = (-1, datetime.min.replace(tzinfo=UTC))

    async def due(self, limit: int = 200) -> list[Job]:
        """Posts before notes and recaps, then notices; rows that must wait are left for
        later, rows that can never be sent are given up (with the reason)."""
        now = self._now()
        jobs: list[Job] = []
        await self._fold_backlogs(now)
        rows = await self._store.pending_posts(limit, now=now, shard=self._shard)
        held = await self._over_flood_limit(rows, now)
        for row in rows:
            if row.id in held:
                continue  # waits for its channel's hourly allowance
            step = next_step(_queued(row))
            if isinstance(step, Send):
                jobs.append(await self._job(row, step))
            elif isinstance(step, GiveUp):
                log.error(
                    "cannot post %r to channel %s: %s", row.item.title, row.channel_id, step.reason
                )
                await self._store.mark_failed(row.id, step.reason)
            else:
                assert isinstance(step, Wait)
        for notice in await self._store.pending_notices(now=now, shard=self._shard):
            step = next_step(_queued_notice(notice))
            assert isinstance(step, Send)  # a notice waits for nothing
            jobs.append(
                Job(
                    JobKind.NOTICE,
                    notice.id,
                    step.target_id,
                    notice.attempts,
                    step.look_back_from,
                    text=notice.text,
                )
            )
        return jobs

    async def _fold_backlogs(self, now: datetime) -> None:
        """A channel with more posts waiting than its server's `catch_up_above` (after
        downtime, or a feed that brought hundreds at once) gets them as one catch-up list,
        oldest first, instead of one post each over many hours."""
        if self._servers is None or not await self._backlogs_may_have_grown(now):
            return
        waiting_by_channel = await self._store.waiting_posts_by_channel(self._shard)
        for channel, (guild, waiting) in waiting_by_channel.items():
            server = await self._servers.get(guild)
            if not backlog_to_fold(waiting, server.catch_up_above):
                continue
            posts = await self._store.waiting_posts_of(channel)
            pages = catch_up_pages([(title, link, source) for _, title, link, source in posts])
            await self._store.fold_into_catch_up(channel, [p[0] for p in posts], pages, now)
            log.info("channel %s: %d waiting posts sent as a catch-up list", channel, len(posts))

    async def _backlogs_may_have_grown(self, now: datetime) -> bool:
        """Whether backlogs are worth counting again: a row was queued since the last count
        (or a while has passed: a channel resumed, a setting lowered). Counting reads every
        waiting post, too much for each batch of a long backlog."""
        newest = await self._store.last_outbox_id()
        if newest == self._folds_checked[0] and now - self._folds_checked[1] < RECOUNT_BACKLOGS:
            return False
        self._folds_checked = (newest, now)
        return True

    async def _over_flood_limit(self, rows: Sequence[OutboxRow], now: datetime) -> set[int]:
        posts = [(row.id, row.channel_id) for row in rows if row.kind is OutboxKind.POST]
        if not posts or self._servers is None:
            return set()
        channels = sorted({channel for _, channel in posts})
        limit_of = {}
        for row in rows:
            if row.kind is OutboxKind.POST and row.channel_id not in limit_of:
                limit_of[row.channel_id] = (await self._servers.get(row.guild_id)).posts_per_hour
        sent = await self._store.posts_sent_since(channels, now - FLOOD_WINDOW)
        return over_flood_limit(posts, sent_recently=sent, limit_of=limit_of)

    async def attempting(self, job: Job) -> None:
        """Record that a send starts now (before it starts: a crash mid-send then leaves a
        row that the next run looks for before sending again)."""
        if job.kind is JobKind.NOTICE:
            await self._store.mark_notice_sending(job.id)
        else:
            await self._store.mark_sending(job.id)

    async def finished(
        self, job: Job, outcome: Outcome, *, tell_in: int | None = None
    ) -> Transition:
        """Write what the rules make of Discord's answer, and return it. A post refused for
        a reason that holds for the whole channel pauses its feeds there, and admins are
        told once: in the server's log channel, else in `tell_in` (its system channel)."""
        kind = _OUTBOX_KIND.get(job.kind, OutboxKind.POST)
        queued = Queued(kind, job.target_id, job.attempts + 1)
        now = self._now()
        transition = after_attempt(queued, outcome, now)
        if job.kind is JobKind.NOTICE:
            await self._store.apply_notice_outcome(job.id, transition)
            return transition
        await self._store.apply_outcome(job.id, transition)
        if (reason := _channel_fault(job, outcome)) is not None:
            await self._pause_channel(job, reason, tell_in, now)
        return transition

    @staticmethod
    def pauses_channel(job: Job, outcome: Outcome) -> bool:
        """Whether this answer paused the job's channel: its other jobs must not be tried."""
        return _channel_fault(job, outcome) is not None

    async def _pause_channel(
        self, job: Job, reason: str, tell_in: int | None, now: datetime
    ) -> None:
        paused = await self._store.pause_channel(job.target_id, reason, now)
        if not paused:
            return
        server = job.settings
        where = (server.log_channel_id if server else None) or tell_in
        names = ", ".join(f"**{name}**" for _, name in paused)
        log.warning("paused posting in channel %s: %s", job.target_id, reason)
        if where is not None and where != job.target_id:
            await self._store.add_notice(
                where,
                f"Paused {names} in <#{job.target_id}>: {reason}. Fix it, then "
                "/feeds resume (posts waiting there are kept and go out then).",
                now,
            )

    async def _job(self, row: OutboxRow, step: Send) -> Job:
        kind = JobKind(row.kind.value)
        # A post's summary is made now, if the poll left it to be (a post folded into a
        # catch-up list never needs one).
        item = await self._summaries.sent_with(row)
        post = post_for_item(item, row.source_name) if kind is not JobKind.RECAP else None
        server = await self._servers.get(row.guild_id) if self._servers else None
        return Job(
            kind,
            row.id,
            step.target_id,
            row.attempts,
            step.look_back_from,
            post=post,
            text=row.body if kind is JobKind.RECAP else None,
            ping_role_id=ping_role(
                row.kind,
                feed_role=row.role_id,
                tag_roles=server.tag_roles if server else {},
                tags=item.tags,
            ),
            settings=server,
        )


_OUTBOX_KIND = {
    JobKind.POST: OutboxKind.POST,
    JobKind.NOTE: OutboxKind.NOTE,
    JobKind.RECAP: OutboxKind.RECAP,
}


def _channel_fault(job: Job, outcome: Outcome) -> str | None:
    """Why the job's channel can take no post, if this answer says so (never for a notice)."""
    kind = _OUTBOX_KIND.get(job.kind)
    return channel_unusable(kind, outcome) if kind is not None else None


def _queued(row: OutboxRow) -> Queued:
    story_post = (
        StoryPost(row.story_post_status, row.story_thread_id) if row.story_post_status else None
    )
    return Queued(
        kind=row.kind,
        channel_id=row.channel_id,
        attempts=row.attempts,
        first_attempt_at=row.first_attempt_at,
        story_post=story_post,
        ready=row.kind is not OutboxKind.RECAP or row.body is not None,
    )


def _queued_notice(notice: Notice) -> Queued:
    return Queued(OutboxKind.POST, notice.channel_id, notice.attempts, notice.first_attempt_at)
