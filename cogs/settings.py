"""Admin commands: /bazaar settings show | set (Manage Server permission required, checked on
every interaction; answers are ephemeral)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BazaarBot, reply_privately
from bot.decide.server_settings import KEYS, shown_settings
from bot.server_settings import SettingError
from cogs.utils.display import fit_message
from cogs.utils.paginator import reply_in_pages


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class BazaarSettings(
    commands.GroupCog, group_name="bazaar", group_description="Bazaar's settings for this server"
):
    settings = app_commands.Group(name="settings", description="This server's settings")

    def __init__(self, bot: BazaarBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # default_permissions only hides the command; this is the check that counts.
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @settings.command(name="show", description="Every setting of this server and its value")
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        current = await self.bot.server_settings.get(interaction.guild_id)
        await reply_in_pages(interaction, shown_settings(current))

    @settings.command(name="set", description="Change one setting of this server")
    @app_commands.describe(
        key="The setting (pick from the list as you type)",
        value="Its new value (see /bazaar settings show), or default",
    )
    async def set(
        self,
        interaction: discord.Interaction,
        key: app_commands.Range[str, 1, 40],
        value: app_commands.Range[str, 1, 200],
    ) -> None:
        assert interaction.guild_id is not None
        try:
            after = await self.bot.server_settings.set(interaction.guild_id, key, value)
        except SettingError as exc:
            # Our own words (a typed value is quoted in them, cut short; nothing can ping).
            await reply_privately(interaction, fit_message(f"Not changed: {exc}."))
            return
        found = KEYS[key.strip().lower()]
        if found.name == "digest":
            await self.bot.scheduled_digests.schedule_set(interaction.guild_id)
            self.bot.digests_wake.set()
        await reply_privately(
            interaction, fit_message(f"`{found.name}` is now {found.show(after)}.")
        )

    @set.autocomplete("key")
    async def _key_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.lower().strip()
        return [
            app_commands.Choice(name=f"{key.name}: {key.help}"[:100], value=key.name)
            for key in KEYS.values()
            if typed in key.name
        ][:25]


async def setup(bot: BazaarBot) -> None:
    await bot.add_cog(BazaarSettings(bot))
