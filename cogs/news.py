"""Member commands: /news latest."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BazaarBot
from bot.news import MAX_LATEST
from bot.render import fit_embeds, render_post
from cogs.utils.display import within_embed_limits


@app_commands.guild_only()
class News(commands.GroupCog, group_name="news", group_description="Open-source AI news"):
    def __init__(self, bot: BazaarBot) -> None:
        self.bot = bot

    @app_commands.command(name="latest", description="The newest items from this server's feeds")
    @app_commands.describe(count=f"How many (1 to {MAX_LATEST}, default 5)")
    async def latest(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, MAX_LATEST] = 5,
    ) -> None:
        assert interaction.guild_id is not None
        posts = await self.bot.news.latest(interaction.guild_id, count)
        if not posts:
            await interaction.response.send_message(
                "No news yet: this server's feeds have not brought any items so far.",
                ephemeral=True,
            )
            return
        # fit_embeds keeps whole posts within the message's 6,000 characters; the first fits.
        embeds = fit_embeds([within_embed_limits(render_post(post)) for post in posts])
        await interaction.response.send_message(
            embeds=embeds, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: BazaarBot) -> None:
    await bot.add_cog(News(bot))
