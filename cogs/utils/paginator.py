"""Answers too long for one message, as pages turned with Previous / Next buttons."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import discord

from bot.client import reply_privately
from bot.pages import MESSAGE_CHARS, pack_pages

log = logging.getLogger(__name__)

INDICATOR_CHARS = 20
"""Room kept on each page for "Page 12/34" under the text."""

PAGE_CHARS = MESSAGE_CHARS - INDICATOR_CHARS

NOT_YOURS = "Only the person who ran this command can turn its pages; run it yourself to page."


class OwnedView(discord.ui.View):
    """Buttons only the member with `owner_id` may use (others are told, privately), taken
    away from `message` when they time out."""

    def __init__(self, *, owner_id: int, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return False

    async def on_timeout(self) -> None:
        # Buttons nobody can use any more would only fail when clicked: take them away.
        if self.message is not None:
            try:
                await self.message.edit(view=None)
            except discord.HTTPException:
                log.debug("could not remove the page buttons (message gone?)")


class PageView(OwnedView):
    """Previous / Next through `pages`; only the member with `owner_id` may turn them.

    Each page must leave room for the page indicator (at most `PAGE_CHARS` characters).
    """

    def __init__(self, pages: Sequence[str], *, owner_id: int, timeout: float | None = 600) -> None:
        if not pages or any(len(page) > PAGE_CHARS for page in pages):
            raise ValueError(f"give one or more pages of at most {PAGE_CHARS} characters")
        super().__init__(owner_id=owner_id, timeout=timeout)
        self.pages = list(pages)
        self.index = 0
        self._update_buttons()

    def content(self) -> str:
        """The current page with its indicator, e.g. "Page 2/4"."""
        return f"{self.pages[self.index]}\n\nPage {self.index + 1}/{len(self.pages)}"

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def show_previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn_to(interaction, self.index - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def show_next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn_to(interaction, self.index + 1)

    async def _turn_to(self, interaction: discord.Interaction, index: int) -> None:
        self.index = min(max(index, 0), len(self.pages) - 1)
        self._update_buttons()
        await interaction.response.edit_message(
            content=self.content(), view=self, allowed_mentions=discord.AllowedMentions.none()
        )

    def _update_buttons(self) -> None:
        self.show_previous.disabled = self.index == 0
        self.show_next.disabled = self.index == len(self.pages) - 1


async def reply_in_pages(
    interaction: discord.Interaction, blocks: Iterable[str], *, private: bool = True
) -> None:
    """Answer with `blocks` (kept whole), paged when they are long: only the user who asked
    sees it (unless not `private`), and only they can turn the pages."""
    pages = pack_pages(blocks, PAGE_CHARS)
    if len(pages) == 1 and private:
        await reply_privately(interaction, pages[0])
        return
    if len(pages) == 1:
        await interaction.response.send_message(
            pages[0], allowed_mentions=discord.AllowedMentions.none()
        )
        return
    view = PageView(pages, owner_id=interaction.user.id)
    none = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            view.message = await interaction.followup.send(
                view.content(), view=view, ephemeral=private, allowed_mentions=none, wait=True
            )
        else:
            callback = await interaction.response.send_message(
                view.content(), view=view, ephemeral=private, allowed_mentions=none
            )
            if isinstance(callback.resource, discord.InteractionMessage):
                view.message = callback.resource
    except discord.HTTPException:
        log.warning("could not send a paged answer (interaction expired?)")
        view.stop()
