"""The buttons under every post: Summary (the item in full, for the member who pressed it),
Source and Discussion (links).

Summary is a dynamic item: its custom_id carries the item's id, and any message's button
with that pattern is answered, so posts sent before a restart keep working without the bot
remembering a view per post.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.client import BazaarBot
from bot.models import Post
from bot.render import link_buttons, render_item_details

log = logging.getLogger(__name__)

GONE = "This item is no longer in this server's archive (its feed was removed)."


class SummaryButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"bazaar:summary:(?P<item_id>[0-9]+)",
):
    def __init__(self, item_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Summary",
                style=discord.ButtonStyle.secondary,
                custom_id=f"bazaar:summary:{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SummaryButton:
        return cls(int(match["item_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = interaction.client
        assert isinstance(bot, BazaarBot)
        if interaction.guild_id is None:
            return
        found = await bot.news.details(interaction.guild_id, self.item_id)
        if found is None:
            await interaction.response.send_message(GONE, ephemeral=True)
            return
        await interaction.response.send_message(
            embed=render_item_details(*found),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


def post_view(post: Post) -> discord.ui.View | None:
    """Summary, Source and Discussion for a post (those it has)."""
    items: list[discord.ui.Item[discord.ui.View]] = []
    if post.item_id is not None:
        items.append(SummaryButton(post.item_id))
    items += link_buttons(post)
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    # Stopped before it is sent: discord.py then keeps no view per post in memory; the
    # Summary button is answered through its dynamic item instead.
    view.stop()
    return view
