"""Drains the outbox: posts (embed + thread), "Also covered by" notes, discussion recaps,
and admin notices."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from bot.client import BazaarBot
from bot.feeds.fetch import FetchError
from bot.models import OutboxKind, OutboxRow, OutboxStatus
from bot.posts import post_for_item
from bot.render import render_also_covered, render_post, thread_name
from bot.waiting import cancelling, wait_for_event

log = logging.getLogger(__name__)

# How often pending posts are retried when nothing new wakes the publisher.
RETRY_SECONDS = 30.0
# After this many failed tries a post is given up (it stays recorded with the reason).
MAX_ATTEMPTS = 5
BATCH = 200
# How far back to look for a post an interrupted run may have sent.
HISTORY_LOOKBACK = 50
THREAD_ALREADY_EXISTS = 160004
NO_PINGS = discord.AllowedMentions.none()


class Publisher(commands.Cog):
    def __init__(self, bot: BazaarBot) -> None:
        self.bot = bot
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bazaar-publisher")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            self.bot.posts_queued.clear()
            try:
                await self.publish_pending()
                await self.send_notices()
            except Exception:
                if cancelling():
                    raise  # an error raised while being stopped must not keep the loop alive
                log.exception("publishing failed; retrying in %.0f s", RETRY_SECONDS)
            await wait_for_event(self.bot.posts_queued, RETRY_SECONDS)

    async def publish_pending(self) -> int:
        """Try every pending post and note once; return how many went out."""
        sent = 0
        tried: set[int] = set()
        while rows := [r for r in await self.bot.store.pending_posts(BATCH) if r.id not in tried]:
            for row in rows:
                tried.add(row.id)
                publish = {
                    OutboxKind.POST: self._publish_post,
                    OutboxKind.NOTE: self._publish_note,
                    OutboxKind.RECAP: self._publish_recap,
                }[row.kind]
                sent += await publish(row)
        return sent

    async def _publish_post(self, row: OutboxRow) -> bool:
        channel = await self._channel(row.channel_id)
        if channel is None:
            await self._give_up(row, "the channel does not exist or the bot cannot see it")
            return False
        post = post_for_item(row.item, row.source_name)
        embed = render_post(post)
        message = None
        if row.status is OutboxStatus.SENDING:
            message = await self._already_sent(channel, embed)
        if message is None:
            message = await self._send(row, channel, embed=embed, allowed_mentions=NO_PINGS)
        if message is None:
            return False
        thread_id, note = await self._open_thread(message, thread_name(post))
        # Marked only now: Discord has accepted the message, so a restart will not repost it.
        await self.bot.store.mark_posted(
            row.id, message_id=message.id, thread_id=thread_id, note=note
        )
        log.info("posted %r to channel %s", post.title, row.channel_id)
        return True

    async def _publish_note(self, row: OutboxRow) -> bool:
        thread = await self._story_thread(row)
        if thread is None:
            return False
        post = post_for_item(row.item, row.source_name)
        message = await self._send(
            row, thread, content=render_also_covered(post), allowed_mentions=NO_PINGS
        )
        if message is None:
            return False
        await self.bot.store.mark_posted(row.id, message_id=message.id, thread_id=thread.id)
        return True

    async def _publish_recap(self, row: OutboxRow) -> bool:
        thread = await self._story_thread(row)
        if thread is None:
            return False
        try:
            text = await self.bot.discussions.recap_text(row.item)
        except FetchError as exc:
            await self._retry_later(row, f"could not read the discussion: {exc}")
            return False
        if text is None:
            await self.bot.store.mark_skipped(row.id, "too few comments to recap")
            return False
        # Quotes may hold links: no previews, or the recap drowns in embeds.
        message = await self._send(
            row, thread, content=text, allowed_mentions=NO_PINGS, suppress_embeds=True
        )
        if message is None:
            return False
        await self.bot.store.mark_posted(row.id, message_id=message.id, thread_id=thread.id)
        return True

    async def _story_thread(self, row: OutboxRow) -> discord.Thread | None:
        """The thread of the story's post in the row's channel; None if there is none (yet).

        A row whose post is still pending waits; one whose post failed or has no thread
        is given up.
        """
        assert row.item.story_id is not None
        story_post = await self.bot.store.story_post(row.item.story_id, row.channel_id)
        if story_post is None or story_post[0] in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            return None  # the story's post goes first; this row waits for its thread
        status, thread_id = story_post
        if status is not OutboxStatus.POSTED or thread_id is None:
            await self._give_up(row, "the story's post has no thread to add this to")
            return None
        thread = await self._channel(thread_id)
        if not isinstance(thread, discord.Thread):
            await self._give_up(row, "the story's thread was deleted")
            return None
        return thread

    async def _send(
        self, row: OutboxRow, channel: discord.abc.Messageable, **message: object
    ) -> discord.Message | None:
        """Send with a nonce, recording the outcome; None when it did not go out."""
        await self.bot.store.mark_sending(row.id)
        try:
            return await channel.send(nonce=f"bazaar-{row.id}", **message)  # type: ignore[call-overload]
        except discord.Forbidden as exc:
            await self._give_up(row, f"missing permission to post here ({exc.text})")
        except discord.NotFound:
            await self._give_up(row, "the channel was deleted")
        except discord.HTTPException as exc:
            await self._retry_later(row, f"Discord error {exc.status}: {exc.text}")
        return None

    async def _already_sent(
        self, channel: discord.abc.Messageable, embed: discord.Embed
    ) -> discord.Message | None:
        """The post, if an earlier run sent it but stopped before recording it.

        The nonce only protects a re-send for a few minutes; after a longer outage the
        channel itself says whether the post went out.
        """
        assert self.bot.user is not None
        try:
            async for message in channel.history(limit=HISTORY_LOOKBACK):
                if message.author.id == self.bot.user.id and any(
                    sent.url == embed.url and sent.title == embed.title for sent in message.embeds
                ):
                    return message
        except discord.HTTPException as exc:
            log.warning("cannot read channel history to check for a sent post: %s", exc.text)
        return None

    async def _open_thread(
        self, message: discord.Message, name: str
    ) -> tuple[int | None, str | None]:
        publish = self.bot.settings.publish
        if not publish.threads or not isinstance(message.channel, discord.TextChannel):
            return None, None
        try:
            thread = await message.create_thread(
                name=name,
                auto_archive_duration=publish.thread_auto_archive_minutes,  # type: ignore[arg-type]
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_EXISTS:
                return message.id, None  # a message's thread has the message's id
            # The post itself is out; a missing thread must not make us post it again.
            log.warning("could not open a thread in channel %s: %s", message.channel.id, exc.text)
            return None, f"thread not created: {exc.text}"
        return thread.id, None

    async def send_notices(self) -> None:
        """Tell admins about paused feeds, once each."""
        for notice in await self.bot.store.pending_notices():
            channel = await self._channel(notice.channel_id)
            if channel is None:
                await self.bot.store.mark_notice(notice.id, sent=False, error="no such channel")
                continue
            try:
                await channel.send(notice.text, allowed_mentions=NO_PINGS)
            except discord.HTTPException as exc:
                log.error("could not tell admins in %s: %s", notice.channel_id, exc.text)
                await self.bot.store.mark_notice(notice.id, sent=False, error=exc.text)
            else:
                await self.bot.store.mark_notice(notice.id, sent=True)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None
        return channel if isinstance(channel, discord.abc.Messageable) else None

    async def _retry_later(self, row: OutboxRow, error: str) -> None:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            await self._give_up(row, f"{error} (gave up after {MAX_ATTEMPTS} tries)")
            return
        log.warning("post %s to channel %s failed, will retry: %s", row.id, row.channel_id, error)
        await self.bot.store.mark_retry(row.id, error)

    async def _give_up(self, row: OutboxRow, reason: str) -> None:
        log.error("cannot post %r to channel %s: %s", row.item.title, row.channel_id, reason)
        await self.bot.store.mark_failed(row.id, reason)


async def setup(bot: BazaarBot) -> None:
    await bot.add_cog(Publisher(bot))
