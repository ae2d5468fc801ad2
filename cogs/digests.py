"""Posts each server's scheduled digest at its local time (see bot.scheduled_digests for
when; this cog renders, sends and reports back)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
from discord.ext import commands

from bot.client import BazaarBot
from bot.render import render_digest
from bot.scheduled_digests import DueDigest
from bot.waiting import cancelling, wait_for_event
from cogs.utils.history import own_message_since

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
HISTORY_LIMIT = 200
NO_PINGS = discord.AllowedMentions.none()
_DIGEST_AUTHOR = "Top stories of the "


class Digests(commands.Cog):
    def __init__(self, bot: BazaarBot) -> None:
        self.bot = bot
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bazaar-digests")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            self.bot.digests_wake.clear()
            try:
                for due in await self.bot.scheduled_digests.due():
                    await self._post(due)
            except Exception:
                if cancelling():
                    raise
                log.exception("posting scheduled digests failed; trying again later")
            await wait_for_event(self.bot.digests_wake, CHECK_SECONDS)

    async def _post(self, due: DueDigest) -> None:
        channel = self.bot.get_channel(due.channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning("the digest channel %s of server %s is gone", due.channel_id, due.guild_id)
            await self.bot.scheduled_digests.posted(due, None)  # not again and again
            return
        if due.look_back_from is not None and (found := await self._already_sent(channel, due)):
            await self.bot.scheduled_digests.posted(due, found.id)
            return
        digest = await self.bot.scheduled_digests.started(due)
        messages = render_digest(digest)
        quiet = f"A quiet {due.period.value}: few stories in this server's feeds."
        try:
            first = await channel.send(
                quiet if digest.quiet else None,
                embeds=messages[0] if messages else [],
                nonce=due.nonce,
                allowed_mentions=NO_PINGS,
            )
            for embeds in messages[1:]:
                await channel.send(embeds=embeds, allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            log.warning("could not post the digest in %s: %s", channel.id, exc.text)
            return  # still 'sending': the next check looks for it, then tries again
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not reach Discord to post a digest (%s)", exc.__class__.__name__)
            return
        await self.bot.scheduled_digests.posted(due, first.id)

    async def _already_sent(
        self, channel: discord.TextChannel, due: DueDigest
    ) -> discord.Message | None:
        """The digest, if an earlier attempt posted it but stopped before recording it."""
        assert self.bot.user is not None and due.look_back_from is not None
        return await own_message_since(
            channel,
            author_id=self.bot.user.id,
            since=due.look_back_from,
            matches=_is_digest,
            limit=HISTORY_LIMIT,
        )


def _is_digest(message: discord.Message) -> bool:
    return message.content.startswith("A quiet ") or any(
        (embed.author.name or "").startswith(_DIGEST_AUTHOR) for embed in message.embeds
    )


async def setup(bot: BazaarBot) -> None:
    await bot.add_cog(Digests(bot))
