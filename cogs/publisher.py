"""Sends what the outbox says is due: posts (embed + thread), "Also covered by" notes,
discussion recaps and admin notices; reports Discord's answer back to the core.

Every decision (wait, retry, give up, look for an earlier attempt first) is the core's
(`bot.delivery`, `bot.decide.outbox`); this cog renders, sends and reports.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
from discord.ext import commands

from bot.alerts import dm_text
from bot.client import BazaarBot
from bot.decide.forum_tags import forum_tags
from bot.decide.outbox import Outcome, Refused, Sent, TargetGone
from bot.delivery import Job, JobKind
from bot.render import render_also_covered, render_post, thread_name
from bot.waiting import cancelling, wait_for_event
from cogs.utils.buttons import SummaryButton, post_view
from cogs.utils.history import own_message_since

log = logging.getLogger(__name__)

# How often due messages are retried when nothing new wakes the publisher.
RETRY_SECONDS = 30.0
BATCH = 200
# How many of a channel's messages since an interrupted attempt are read to find it.
HISTORY_LIMIT = 1000
THREAD_ALREADY_EXISTS = 160004
# On a stop, how long the message in flight (and its thread) may take to finish.
STOP_GRACE_SECONDS = 10.0
NO_PINGS = discord.AllowedMentions.none()


class Publisher(commands.Cog):
    def __init__(self, bot: BazaarBot) -> None:
        self.bot = bot
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def cog_load(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bazaar-publisher")

    async def cog_unload(self) -> None:
        """Stop after the message in flight, so its outcome is recorded (or, past the grace
        time, cancel: the row stays `sending` and the next run looks for it first)."""
        if self._task is None:
            return
        self._stopping = True
        if not self.bot.is_ready():
            # Nothing is in flight before the bot is connected. Awaiting the cancelled task
            # through wait_for would raise CancelledError here and end close() half-way.
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            return
        self.bot.posts_queued.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE_SECONDS)
        except (TimeoutError, Exception):
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while not self._stopping:
            self.bot.posts_queued.clear()
            try:
                await self.publish_pending()
            except Exception:
                if cancelling():
                    raise  # an error raised while being stopped must not keep the loop alive
                log.exception("publishing failed; retrying in %.0f s", RETRY_SECONDS)
            await wait_for_event(self.bot.posts_queued, RETRY_SECONDS)

    async def publish_pending(self) -> int:
        """Try every due message once (a note becomes due once its post is out); return
        how many went out."""
        sent = 0
        tried: set[tuple[JobKind, int]] = set()
        paused: set[int] = set()  # channels paused by an answer in this round
        while jobs := [
            j for j in await self.bot.delivery.due(BATCH) if (j.kind, j.id) not in tried
        ]:
            for job in jobs:
                if self._stopping:
                    return sent
                tried.add((job.kind, job.id))
                if job.target_id in paused and job.kind is not JobKind.NOTICE:
                    continue  # held in the outbox until /feeds resume
                outcome = await self._deliver(job)
                await self.bot.delivery.finished(job, outcome, tell_in=self._system_channel(job))
                if self.bot.delivery.pauses_channel(job, outcome):
                    paused.add(job.target_id)
                sent += isinstance(outcome, Sent)
                if (item_id := _posted_item(job, outcome)) is not None:
                    await self.bot.alerts.note_post(job.target_id, item_id)
        await self.send_alerts()
        return sent

    async def send_alerts(self) -> int:
        """The keyword alert DMs that are due; a member who accepts no DMs has their alerts
        paused (and is told the next time they use a command)."""
        sent = 0
        for dm in await self.bot.alerts.due():
            if self._stopping:
                break
            try:
                channel = await self.bot.create_dm(discord.Object(id=dm.user_id))
                await channel.send(dm_text(dm), allowed_mentions=NO_PINGS)
            except discord.Forbidden:  # 50007: DMs closed, or the bot blocked
                await self.bot.alerts.undeliverable(dm)
                continue
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
                log.warning("could not send an alert DM (%s); will retry", exc)
                continue
            await self.bot.alerts.sent(dm)
            sent += 1
        return sent

    async def _deliver(self, job: Job) -> Outcome:
        if job.kind is JobKind.POST:
            forum = await self._forum(job.target_id)
            if forum is not None:
                return await self._post_in_forum(forum, job)
        target = await self._channel(job.target_id)
        if target is None:
            return TargetGone("the channel or thread does not exist, or the bot cannot see it")
        content, embed = self._render(job)
        message = None
        if job.look_back_from is not None:
            message = await self._already_sent(target, job, content, embed)
        if message is None:
            await self.bot.delivery.attempting(job)
            try:
                message = await target.send(  # type: ignore[call-overload]
                    content,
                    embed=embed,
                    view=post_view(job.post) if job.kind is JobKind.POST and job.post else None,
                    nonce=job.nonce,
                    allowed_mentions=_mentions(job),
                    # Recap quotes hold links: no previews, or the recap drowns in embeds.
                    suppress_embeds=job.kind is JobKind.RECAP,
                )
            except discord.HTTPException as exc:
                return Refused(exc.status, exc.code, exc.text or str(exc))
            except (aiohttp.ClientError, TimeoutError) as exc:
                return Refused(0, 0, f"Discord could not be reached ({exc.__class__.__name__})")
        if job.kind is JobKind.POST:
            assert job.post is not None
            thread_id, note = await self._open_thread(message, thread_name(job.post), job)
            return Sent(message.id, thread_id, note)
        return Sent(message.id, job.target_id if job.kind is not JobKind.NOTICE else None)

    def _render(self, job: Job) -> tuple[str | None, discord.Embed | None]:
        if job.kind is JobKind.POST:
            assert job.post is not None
            embed = render_post(job.post, job.settings)
            # The only text of a post: the role an admin opted in to mention, if any.
            return (f"<@&{job.ping_role_id}>" if job.ping_role_id else None), embed
        if job.kind is JobKind.NOTE:
            assert job.post is not None
            return render_also_covered(job.post), None
        return job.text, None

    async def _already_sent(
        self,
        target: discord.abc.Messageable,
        job: Job,
        content: str | None,
        embed: discord.Embed | None,
    ) -> discord.Message | None:
        """The message, if an earlier attempt sent it but stopped before recording it.

        The nonce only protects a resend for a few minutes; after a longer outage the
        channel itself says, from the attempt's time on, whether the message went out.
        """
        assert self.bot.user is not None and job.look_back_from is not None
        message = await own_message_since(
            target,
            author_id=self.bot.user.id,
            since=job.look_back_from,
            matches=lambda message: _same(message, content, embed),
            limit=HISTORY_LIMIT,
        )
        if message is not None:
            log.info("found %s %s already sent as message %s", job.kind, job.id, message.id)
        return message

    async def _open_thread(
        self, message: discord.Message, name: str, job: Job
    ) -> tuple[int | None, str | None]:
        server = job.settings or self.bot.server_settings.defaults
        if not server.threads or not isinstance(message.channel, discord.TextChannel):
            return None, None
        try:
            thread = await message.create_thread(
                name=name,
                auto_archive_duration=server.thread_auto_archive_minutes,  # type: ignore[arg-type]
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_EXISTS:
                return message.id, None  # a message's thread has the message's id
            # The post itself is out; a missing thread must not make us post it again.
            log.warning("could not open a thread in channel %s: %s", message.channel.id, exc.text)
            return None, f"thread not created: {exc.text}"
        return thread.id, None

    async def _post_in_forum(self, forum: discord.ForumChannel, job: Job) -> Outcome:
        """A story in a forum channel is a forum post: the title names the post, the embed
        and buttons are its first message, its tags those of the forum named like the
        story's; notes and recaps then go into the post (its thread)."""
        assert job.post is not None
        name = thread_name(job.post)
        if job.look_back_from is not None:
            found = await self._forum_post_since(forum, name, job)
            if found is not None:
                return Sent(found.id, found.id)  # a forum post's first message has its id
        content, embed = self._render(job)
        available = [(tag.id, tag.name) for tag in forum.available_tags]
        server = job.settings or self.bot.server_settings.defaults
        await self.bot.delivery.attempting(job)
        try:
            created = await forum.create_thread(
                name=name,
                content=content,
                embed=embed,
                view=post_view(job.post),
                allowed_mentions=_mentions(job),
                applied_tags=[
                    discord.Object(id=tag) for tag in forum_tags(available, job.post.tags)
                ],  # type: ignore[misc]
                auto_archive_duration=server.thread_auto_archive_minutes,  # type: ignore[arg-type]
            )
        except discord.HTTPException as exc:
            return Refused(exc.status, exc.code, exc.text or str(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Refused(0, 0, f"Discord could not be reached ({exc.__class__.__name__})")
        return Sent(created.message.id, created.thread.id)

    async def _forum_post_since(
        self, forum: discord.ForumChannel, name: str, job: Job
    ) -> discord.Thread | None:
        """The forum post an earlier attempt made, if it stopped before recording it."""
        assert self.bot.user is not None and job.look_back_from is not None
        since = job.look_back_from
        candidates = list(forum.threads)
        try:
            candidates += [t async for t in forum.archived_threads(limit=100)]
        except discord.HTTPException as exc:
            log.warning("cannot read a forum's archived posts: %s", exc.text)
        for thread in candidates:
            created = thread.created_at
            if (
                thread.owner_id == self.bot.user.id
                and thread.name == name
                and (created is None or created >= since)
            ):
                return thread
        return None

    async def _forum(self, channel_id: int) -> discord.ForumChannel | None:
        channel = self.bot.get_channel(channel_id)
        return channel if isinstance(channel, discord.ForumChannel) else None

    def _system_channel(self, job: Job) -> int | None:
        """Where a server's admins are told about a channel the bot cannot post in, when
        the server set no log channel: its system channel."""
        channel = self.bot.get_channel(job.target_id)
        guild = getattr(channel, "guild", None)
        system = guild.system_channel if guild is not None else None
        return system.id if system is not None else None

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a server: stop posting there (its feeds stay, for /feeds resume
        if the bot is invited back)."""
        count = await self.bot.store.pause_guild(
            guild.id, "the bot was removed from this server", self.bot.clock()
        )
        log.info("removed from server %s: paused its %d feed(s)", guild.id, count)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None
        return channel if isinstance(channel, discord.abc.Messageable) else None


def _mentions(job: Job) -> discord.AllowedMentions:
    """Nothing may ping, but the one role an admin opted in for this post."""
    if job.ping_role_id is None:
        return NO_PINGS
    return discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(id=job.ping_role_id)], replied_user=False
    )


def _posted_item(job: Job, outcome: Outcome) -> int | None:
    """The item of a story's post that just went out (keyword alerts look at it)."""
    if job.kind is JobKind.POST and isinstance(outcome, Sent) and job.post is not None:
        return job.post.item_id
    return None


def _same(message: discord.Message, content: str | None, embed: discord.Embed | None) -> bool:
    """Whether `message` is the one we would send: the same embed (link and title) for a
    post, the same text for everything else."""
    if embed is not None:
        return any(e.url == embed.url and e.title == embed.title for e in message.embeds)
    return message.content == content


async def setup(bot: BazaarBot) -> None:
    # Answers the Summary button of every post, sent before a restart or after.
    bot.add_dynamic_items(SummaryButton)
    await bot.add_cog(Publisher(bot))
