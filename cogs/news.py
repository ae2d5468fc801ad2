"""Member commands: /news latest, /news search."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import AlertError
from bot.client import BazaarBot
from bot.content.text import escape_within
from bot.digest import Period
from bot.models import TAGS
from bot.news import MAX_LATEST
from bot.on_demand import Refusal
from bot.render import (
    fit_embeds,
    render_digest,
    render_post,
    render_search_page,
    search_nothing_found,
)
from bot.search import QueryError, SearchPage, SearchQuery, SearchService, Since, parse_query
from cogs.utils.display import source_line, within_embed_limits
from cogs.utils.paginator import OwnedView, reply_in_pages

NO_PINGS = discord.AllowedMentions.none()
TAG_CHOICES = [app_commands.Choice(name=tag, value=tag) for tag in TAGS]
PERIOD_CHOICES = [app_commands.Choice(name=p.value, value=p.value) for p in Period]
SINCE_CHOICES = [app_commands.Choice(name=since.value, value=since.value) for since in Since]


@app_commands.guild_only()
class News(commands.GroupCog, group_name="news", group_description="Open-source AI news"):
    alerts = app_commands.Group(name="alerts", description="A DM when a story has your keyword")

    def __init__(self, bot: BazaarBot) -> None:
        self.bot = bot

    @alerts.command(name="add", description="Get a DM when a new story has this word or phrase")
    @app_commands.describe(keyword="A word or a phrase, e.g. qwen or open weights")
    async def alerts_add(
        self, interaction: discord.Interaction, keyword: app_commands.Range[str, 1, 100]
    ) -> None:
        assert interaction.guild_id is not None
        try:
            added = await self.bot.alerts.add(interaction.guild_id, interaction.user.id, keyword)
        except AlertError as refused:
            await interaction.response.send_message(str(refused), ephemeral=True)
            return
        await interaction.response.send_message(
            f"You will get a DM when a new story here mentions “{escape_within(added, 60)}”.",
            ephemeral=True,
        )

    @alerts.command(name="list", description="Your keywords in this server")
    async def alerts_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        keywords = await self.bot.alerts.keywords(interaction.guild_id, interaction.user.id)
        text = (
            "Your keywords: " + ", ".join(f"“{escape_within(k, 60)}”" for k in keywords)
            if keywords
            else "You follow no keywords here; add one with /news alerts add."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @alerts.command(name="remove", description="Stop the DMs for one of your keywords")
    async def alerts_remove(self, interaction: discord.Interaction, keyword: str) -> None:
        assert interaction.guild_id is not None
        try:
            removed = await self.bot.alerts.remove(
                interaction.guild_id, interaction.user.id, keyword
            )
        except AlertError as refused:
            await interaction.response.send_message(str(refused), ephemeral=True)
            return
        await interaction.response.send_message(
            f"No more DMs for “{escape_within(removed, 60)}”.", ephemeral=True
        )

    @alerts_remove.autocomplete("keyword")
    async def _own_keywords(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        keywords = await self.bot.alerts.keywords(interaction.guild_id, interaction.user.id)
        return [app_commands.Choice(name=k, value=k) for k in keywords if typed.lower() in k][:25]

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: object
    ) -> None:
        # A member whose alert DMs could not be delivered is told once, privately, the next
        # time they use a command.
        notice = await self.bot.alerts.pause_notice(interaction.user.id)
        if notice is not None:
            await interaction.followup.send(notice, ephemeral=True)

    @app_commands.command(name="latest", description="The newest items from this server's feeds")
    @app_commands.describe(
        count=f"How many (1 to {MAX_LATEST}, default 5)",
        tag="Only stories with this tag",
        source="Only from this feed",
    )
    @app_commands.choices(tag=TAG_CHOICES)
    async def latest(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, MAX_LATEST] = 5,
        tag: app_commands.Choice[str] | None = None,
        source: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        feed_id = await self._feed_of(interaction.guild_id, source) if source else None
        if source and feed_id is None:
            await interaction.response.send_message(
                "This server follows no feed by that name; pick one from the list.",
                ephemeral=True,
            )
            return
        posts = await self.bot.news.latest(
            interaction.guild_id, count, tag=tag.value if tag else None, feed_id=feed_id
        )
        if not posts:
            await interaction.response.send_message(
                "No news yet: this server's feeds have not brought any items so far."
                if not (tag or source)
                else "Nothing from this server's feeds matches that yet.",
                ephemeral=True,
            )
            return
        # fit_embeds keeps whole posts within the message's 6,000 characters; the first fits.
        embeds = fit_embeds([within_embed_limits(render_post(post)) for post in posts])
        await interaction.response.send_message(embeds=embeds, allowed_mentions=NO_PINGS)

    @latest.autocomplete("source")
    async def _source_choices(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        views = await self.bot.subscriptions.list(interaction.guild_id)
        names = {str(v.feed.id): v.name or v.feed.url for v in views}
        found = [(fid, name) for fid, name in names.items() if typed.lower() in name.lower()]
        # Discord shows at most 25 choices, each name at most 100 characters.
        return [app_commands.Choice(name=name[:100], value=fid) for fid, name in found[:25]]

    async def _feed_of(self, guild_id: int, source: str) -> int | None:
        """The id of the guild's feed `source` names (a chosen id, or a typed name)."""
        views = await self.bot.subscriptions.list(guild_id)
        for view in views:
            name = view.name or view.feed.url
            if source == str(view.feed.id) or source.lower() == name.lower():
                return view.feed.id
        return None

    @app_commands.command(name="digest", description="The top stories of the day or the week")
    @app_commands.describe(period="day (default) or week")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def digest(
        self, interaction: discord.Interaction, period: app_commands.Choice[str] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        chosen = Period(period.value) if period else Period.DAY
        digest = await self.bot.digests.digest(interaction.guild_id, chosen)
        messages = render_digest(digest)
        quiet = (
            f"A quiet {chosen.value}: few stories in this server's feeds." if digest.quiet else None
        )
        if not messages:
            await interaction.response.send_message(quiet or "", allowed_mentions=NO_PINGS)
            return
        await interaction.response.send_message(
            quiet, embeds=messages[0], allowed_mentions=NO_PINGS
        )
        for embeds in messages[1:]:
            await interaction.followup.send(embeds=embeds, allowed_mentions=NO_PINGS)

    @app_commands.command(name="sources", description="The feeds this server follows")
    async def sources(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        views = await self.bot.subscriptions.list(interaction.guild_id)
        if not views:
            await interaction.response.send_message(
                "This server follows no feeds yet; an admin can add one with /feeds add.",
                ephemeral=True,
            )
            return
        now = self.bot.clock()
        lines = [source_line(view, now) for view in views]
        heading = f"**{len(views)} feed{'s' if len(views) != 1 else ''}**"
        await reply_in_pages(interaction, [heading, *lines], private=False)

    @app_commands.command(name="summarize", description="Summarize any public web page")
    @app_commands.describe(url="The article's address (http:// or https://)")
    async def summarize(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        try:
            self.bot.on_demand.check(interaction.user.id, url)
        except Refusal as refused:  # answered at once, to the member alone
            await interaction.response.send_message(str(refused), ephemeral=True)
            return
        # Reading a page can take longer than the 3 seconds Discord waits for an answer.
        await interaction.response.defer(thinking=True)
        try:
            found = await self.bot.on_demand.summarize(interaction.user.id, url)
        except Refusal as refused:
            await interaction.followup.send(str(refused), allowed_mentions=NO_PINGS)
            return
        await interaction.followup.send(
            embed=within_embed_limits(render_post(found.post)), allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="search", description="Search everything this server's feeds brought"
    )
    @app_commands.describe(
        query='Words, a "phrase in quotes", or the start of a word with a star: quant*',
        since="How far back (default: all)",
        tag="Only stories with this tag",
    )
    @app_commands.choices(since=SINCE_CHOICES, tag=TAG_CHOICES)
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 200],
        since: app_commands.Choice[str] | None = None,
        tag: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        try:
            parsed = parse_query(query)
        except QueryError as hint:
            await interaction.response.send_message(str(hint), ephemeral=True)
            return
        view = SearchView(
            self.bot.search,
            guild_id=interaction.guild_id,
            owner_id=interaction.user.id,
            query=parsed,
            since=Since(since.value) if since else Since.ALL,
            tag=tag.value if tag else None,
        )
        page = await view.load(0)
        if not page.hits:
            await interaction.response.send_message(search_nothing_found(page), ephemeral=True)
            return
        await interaction.response.send_message(
            embed=render_search_page(page), view=view, allowed_mentions=NO_PINGS
        )
        view.message = await interaction.original_response()


class SearchView(OwnedView):
    """Previous / Next through a search's results, a page fetched when turned to; only the
    member who searched may turn them."""

    def __init__(
        self,
        search: SearchService,
        *,
        guild_id: int,
        owner_id: int,
        query: SearchQuery,
        since: Since,
        tag: str | None,
        timeout: float | None = 600,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=timeout)
        self._search = search
        self._guild_id = guild_id
        self._query, self._since, self._tag = query, since, tag
        self.page: SearchPage | None = None

    async def load(self, number: int) -> SearchPage:
        self.page = await self._search.page(
            self._guild_id, self._query, number=number, since=self._since, tag=self._tag
        )
        self.show_previous.disabled = self.page.number == 0
        self.show_next.disabled = not self.page.has_next
        return self.page

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def show_previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def show_next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, +1)

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        assert self.page is not None
        page = await self.load(max(self.page.number + step, 0))
        if not page.hits:  # the archive changed under the pages: stay where we were
            page = await self.load(max(page.number - 1, 0))
        await interaction.response.edit_message(
            embed=render_search_page(page), view=self, allowed_mentions=NO_PINGS
        )


async def setup(bot: BazaarBot) -> None:
    await bot.add_cog(News(bot))
