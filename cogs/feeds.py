"""Admin commands: /feeds add | edit | pause | resume | remove | list | explain | import |
export (Manage Server permission required, checked on every interaction; answers are
ephemeral)."""

from __future__ import annotations

import io
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import BazaarBot, reply_privately
from bot.content.text import shorten
from bot.decide.filters import FilterError, keyword_filter
from bot.explain import explanation_lines
from bot.feeds.opml import MAX_OPML_BYTES, OpmlError
from bot.models import Feed, FeedFilter, KeywordFilter, SubscriptionEdit
from bot.ops.invite import needed_permissions
from bot.render import render_post
from bot.store import SubscriptionView
from bot.subscriptions import SubscriptionError
from cogs.utils.display import (
    ERROR_CHARS,
    TITLE_CHARS,
    fit_message,
    shown_error,
    shown_text,
    shown_title,
    shown_url,
)
from cogs.utils.feed_lists import import_answer
from cogs.utils.paginator import reply_in_pages

REASON_CHARS = 300
EXPORT_FILENAME = "bazaar-feeds.opml"
INCLUDE_HELP = 'Post only items with one of these words or "phrases" (comma-separated)'
EXCLUDE_HELP = "Never post items with one of these words or phrases (comma-separated)"
ROLE_HELP = "Mention this role on each new story's post (nothing else ever pings)"
REGEX_HELP = "Post only items matching this regular expression (title and text, any case)"
FILTER_CHOICES = [
    app_commands.Choice(name="everything", value=FeedFilter.ALL.value),
    app_commands.Choice(name="only open-source AI", value=FeedFilter.RELEVANT.value),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Feeds(commands.GroupCog, group_name="feeds", group_description="Manage the news feeds"):
    def __init__(self, bot: BazaarBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # default_permissions only hides the command; this is the check that counts.
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="add", description="Follow a feed and post its news in a channel")
    @app_commands.describe(
        url="The RSS or Atom feed address",
        channel="Where to post, a text or forum channel (defaults to this channel)",
        name="Display name for this source (defaults to the feed's title)",
        feed_filter="Post everything, or only items about open-source AI (for general tech feeds)",
        include=INCLUDE_HELP,
        exclude=EXCLUDE_HELP,
        regex=REGEX_HELP,
        role=ROLE_HELP,
    )
    @app_commands.rename(feed_filter="filter")
    @app_commands.choices(feed_filter=FILTER_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2048],
        channel: discord.TextChannel | discord.ForumChannel | None = None,
        name: app_commands.Range[str, 1, 100] | None = None,
        feed_filter: str = FeedFilter.ALL.value,
        include: app_commands.Range[str, 1, 1000] | None = None,
        exclude: app_commands.Range[str, 1, 1000] | None = None,
        regex: app_commands.Range[str, 1, 300] | None = None,
        role: discord.Role | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        try:
            rules = keyword_filter(include, exclude, regex)
        except FilterError as exc:
            await reply_privately(interaction, _filter_refused(exc))
            return
        target = await self._posting_channel(interaction, channel)
        if target is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            added = await self.bot.subscriptions.add(
                url,
                channel_id=target.id,
                guild_id=interaction.guild_id,
                name=name,
                feed_filter=FeedFilter(feed_filter),
                rules=rules,
                role_id=role.id if role else None,
            )
        except SubscriptionError as exc:
            await reply_privately(interaction, shown_error(str(exc), *_as_given(url)))
            return
        title = shown_title(added.title, added.url)
        if added.already_followed:
            text = f"{target.mention} already follows {title}."
        else:
            backfill = self.bot.settings.polling.backfill
            which = "about open-source AI " if feed_filter == FeedFilter.RELEVANT else ""
            text = (
                f"Following {title} in {target.mention} "
                f"({added.entry_count} entries in the feed; the newest {backfill} {which}will "
                f"be posted shortly, then every new one {which}as it comes)."
            )
            if rules:
                text += f"\nFilter: {shown_text(rules.describe(), REASON_CHARS)}."
        text += _role_note(role, target)
        await reply_privately(interaction, fit_message(text))

    async def _posting_channel(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | None,
    ) -> discord.TextChannel | discord.ForumChannel | None:
        """Where new feeds post: `channel`, else the server's default channel, else this one;
        None (the admin told why) if that is no channel the bot can post news in."""
        assert interaction.guild_id is not None
        server = await self.bot.server_settings.get(interaction.guild_id)
        default = (
            interaction.guild.get_channel(server.default_channel_id)
            if interaction.guild and server.default_channel_id
            else None
        )
        target = channel or default or interaction.channel
        if not isinstance(target, discord.TextChannel | discord.ForumChannel):
            await reply_privately(
                interaction, "Pick a text or forum channel for the posts with channel:."
            )
            return None
        if refusal := self._cannot_post(target):
            await reply_privately(interaction, refusal)
            return None
        return target

    @app_commands.command(name="import", description="Follow every feed of an OPML file")
    @app_commands.describe(
        file="An OPML file, as feed readers export their subscriptions",
        channel="Where to post, a text or forum channel (defaults to this channel)",
    )
    async def import_list(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        target = await self._posting_channel(interaction, channel)
        if target is None:
            return
        name = shown_text(file.filename, TITLE_CHARS)
        if file.size > MAX_OPML_BYTES:
            # Refused on the size Discord states, before downloading anything.
            await reply_privately(
                interaction,
                f"{name} cannot be imported: it is {file.size:,} bytes, and a feed list may be "
                f"at most {MAX_OPML_BYTES:,}. Split it into smaller files.",
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException:
            await reply_privately(
                interaction, f"I could not download {name} from Discord. Please try again."
            )
            return
        try:
            listed = await self.bot.feed_lists.read(data)
        except OpmlError as exc:
            await reply_privately(
                interaction,
                fit_message(f"{name} cannot be imported: {shown_text(str(exc), ERROR_CHARS)}."),
            )
            return
        report = await self.bot.feed_lists.import_feeds(
            listed, channel_id=target.id, guild_id=interaction.guild_id
        )
        backfill = self.bot.settings.polling.backfill
        await reply_privately(interaction, import_answer(report, target.mention, backfill=backfill))

    @app_commands.command(name="export", description="Get the feeds this server follows as OPML")
    @app_commands.describe(channel="Only the feeds posting in this channel")
    async def export(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild_name = interaction.guild.name if interaction.guild else "Discord server"
        exported = await self.bot.feed_lists.export(
            title=f"{guild_name}: Bazaar feeds",
            guild_id=interaction.guild_id,
            channel_id=channel.id if channel else None,
        )
        where = channel.mention if channel else "This server"
        if not exported.feeds:
            await reply_privately(
                interaction, f"{where} follows no feeds yet. Add one with /feeds add."
            )
            return
        data = exported.opml.encode("utf-8")
        if len(data) > interaction.filesize_limit:
            await reply_privately(
                interaction,
                f"The list is {len(data):,} bytes, more than the {interaction.filesize_limit:,} "
                "Discord takes here; export one channel at a time with channel:, or use "
                "python -m bot feeds export on the bot's machine.",
            )
            return
        count = len(exported.feeds)
        await interaction.response.send_message(
            f"{where} follows {count} feed{'s' if count != 1 else ''}: here they are as OPML, "
            "for any feed reader (or /feeds import elsewhere).",
            file=discord.File(io.BytesIO(data), filename=EXPORT_FILENAME),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    def _cannot_post(self, channel: discord.TextChannel | discord.ForumChannel) -> str | None:
        """Why the bot cannot post news in `channel` and what to do, if it cannot."""
        missing = self._missing_permissions(channel)
        if not missing:
            return None
        return (
            f"I cannot post in {channel.mention}: I am missing {', '.join(missing)} there. "
            "Grant them to my role (channel settings → Permissions), then try again."
        )

    def _missing_permissions(
        self, channel: discord.TextChannel | discord.ForumChannel
    ) -> list[str]:
        """What the bot lacks in `channel` to post news there, named as Discord names them
        (the invite's one list: bot/ops/invite.py)."""
        needed = needed_permissions(
            forum=isinstance(channel, discord.ForumChannel),
            threads=self.bot.settings.publish.threads,
        )
        have = channel.permissions_for(channel.guild.me).value
        return [p.name for p in needed if not have & p.bit]

    @app_commands.command(name="list", description="Show the feeds this server follows")
    async def list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        views = await self.bot.subscriptions.list(interaction.guild_id)
        if not views:
            await reply_privately(
                interaction, "This server follows no feeds yet. Add one with /feeds add."
            )
            return
        await reply_in_pages(interaction, [_describe(view) for view in views])

    @app_commands.command(name="remove", description="Stop following a feed")
    @app_commands.describe(url="The feed address, as shown by /feeds list", channel="Only here")
    async def remove(
        self,
        interaction: discord.Interaction,
        url: str,
        channel: discord.TextChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        try:
            removed = await self.bot.subscriptions.remove(
                url, guild_id=interaction.guild_id, channel_id=channel.id if channel else None
            )
        except SubscriptionError as exc:
            await reply_privately(interaction, shown_error(str(exc), *_as_given(url)))
            return
        title = shown_title(removed.name, removed.feed.url)
        await reply_privately(
            interaction, f"Stopped following {title} in <#{removed.subscription.channel_id}>."
        )

    @app_commands.command(name="resume", description="Post and poll a paused or failing feed again")
    @app_commands.describe(url="The feed (pick from the list as you type) or its address")
    async def resume(self, interaction: discord.Interaction, url: str) -> None:
        assert interaction.guild_id is not None
        try:
            view = await self.bot.subscriptions.resume_channel(url, guild_id=interaction.guild_id)
            self.bot.posts_queued.set()  # what waited there goes out now
        except SubscriptionError as exc:
            await reply_privately(interaction, shown_error(str(exc), *_as_given(url)))
            return
        title = shown_title(view.name, view.feed.url)
        await reply_privately(
            interaction,
            f"Posting {title} in <#{view.subscription.channel_id}> again, and polling it now; "
            "failures are forgotten.",
        )

    @app_commands.command(name="edit", description="Change a feed's channel, name or filters")
    @app_commands.describe(
        feed="The feed (pick from the list as you type)",
        channel="Post in this channel from now on (waiting posts move too)",
        name="Display name for this source",
        feed_filter="Post everything, or only items about open-source AI",
        include=INCLUDE_HELP + " (- to clear)",
        exclude=EXCLUDE_HELP + " (- to clear)",
        regex=REGEX_HELP + " (- to clear)",
        role=ROLE_HELP,
        no_role="Mention no role on its posts any more",
    )
    @app_commands.rename(feed_filter="filter")
    @app_commands.choices(feed_filter=FILTER_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction,
        feed: str,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
        name: app_commands.Range[str, 1, 100] | None = None,
        feed_filter: str | None = None,
        include: app_commands.Range[str, 1, 1000] | None = None,
        exclude: app_commands.Range[str, 1, 1000] | None = None,
        regex: app_commands.Range[str, 1, 300] | None = None,
        role: discord.Role | None = None,
        no_role: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        if channel is not None and (refusal := self._cannot_post(channel)):
            await reply_privately(interaction, refusal)
            return
        try:
            current = await self.bot.subscriptions.find(feed, guild_id=interaction.guild_id)
            rules = _edited_rules(current.subscription.rules, include, exclude, regex)
            edit = SubscriptionEdit(
                channel_id=channel.id if channel else None,
                name=name,
                feed_filter=FeedFilter(feed_filter) if feed_filter else None,
                rules=rules,
                role_id=role.id if role else None,
                clear_role=no_role,
            )
            view = await self.bot.subscriptions.edit(feed, edit, guild_id=interaction.guild_id)
        except FilterError as exc:
            await reply_privately(interaction, _filter_refused(exc))
            return
        except SubscriptionError as exc:
            await reply_privately(interaction, shown_error(str(exc), feed))
            return
        where = channel or (
            interaction.guild and interaction.guild.get_channel(view.subscription.channel_id)
        )
        note = ""
        if isinstance(where, discord.TextChannel | discord.ForumChannel):
            note = _role_note(role, where)
        await reply_privately(interaction, fit_message("Now:\n" + _describe(view) + note))

    @app_commands.command(name="pause", description="Stop posting a feed in its channel")
    @app_commands.describe(feed="The feed (pick from the list as you type)")
    async def pause(self, interaction: discord.Interaction, feed: str) -> None:
        assert interaction.guild_id is not None
        try:
            view = await self.bot.subscriptions.pause(
                feed, guild_id=interaction.guild_id, by=interaction.user.name
            )
        except SubscriptionError as exc:
            await reply_privately(interaction, shown_error(str(exc), feed))
            return
        title = shown_title(view.name, view.feed.url)
        await reply_privately(
            interaction,
            f"Paused {title} in <#{view.subscription.channel_id}>: nothing more is posted there "
            "until /feeds resume (what it brings meanwhile is stored and searchable).",
        )

    @app_commands.command(name="test", description="Show the post a feed's newest entry makes")
    @app_commands.describe(
        url="The RSS or Atom feed address",
        include=INCLUDE_HELP,
        exclude=EXCLUDE_HELP,
        regex=REGEX_HELP,
    )
    async def test(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2048],
        include: app_commands.Range[str, 1, 1000] | None = None,
        exclude: app_commands.Range[str, 1, 1000] | None = None,
        regex: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        try:
            rules = keyword_filter(include, exclude, regex)
        except FilterError as exc:
            await reply_privately(interaction, _filter_refused(exc))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            preview = await self.bot.feed_previews.next_post(url, rules=rules)
        except SubscriptionError as exc:
            await reply_privately(interaction, shown_error(str(exc), *_as_given(url)))
            return
        title = shown_title(preview.feed_title, url.strip())
        if preview.post is None:
            await reply_privately(interaction, f"{title} can be read but has no entries yet.")
            return
        server = await self.bot.server_settings.get(interaction.guild_id)
        notes = [f"{title}: {preview.entry_count} entries; its newest would be posted as:"]
        if preview.filtered:
            notes.append(f"(Your filter would keep it out: {preview.filtered}.)")
        if preview.relevance is not None:
            notes.append(
                f"Relevance {preview.relevance:.2f}"
                + ("" if preview.relevant else ": an “only open-source AI” feed would skip it")
                + ". Nothing was posted."
            )
        embed = render_post(preview.post, server)
        await interaction.followup.send(
            fit_message("\n".join(notes)),
            embed=embed,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="explain", description="Why an item was or was not posted")
    @app_commands.describe(item="The item's title (pick from the list as you type) or its link")
    async def explain(self, interaction: discord.Interaction, item: str) -> None:
        assert interaction.guild_id is not None
        store = self.bot.store
        typed = item.strip()
        item_id = int(typed) if typed.isdigit() else None
        if item_id is None:
            item_id = await store.guild_item_by_link(interaction.guild_id, typed.strip("<>"))
        found = await store.explain_item(interaction.guild_id, item_id) if item_id else None
        if found is None:
            await reply_privately(
                interaction,
                "None of this server's feeds brought that item. Pick it from the list as you "
                "type its title, or paste its link.",
            )
            return
        server = await self.bot.server_settings.get(interaction.guild_id)
        threshold = server.relevance_threshold or self.bot.settings.relevance.threshold
        lines = explanation_lines(
            found,
            guild_id=interaction.guild_id,
            threshold=threshold,
            posts_per_hour=server.posts_per_hour,
        )
        await reply_privately(interaction, fit_message("\n".join(lines)))

    @explain.autocomplete("item")
    async def _item_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await self.bot.store.guild_item_titles(interaction.guild_id, current.strip())
        return [
            app_commands.Choice(name=shorten(title, 100) or str(item_id), value=str(item_id))
            for item_id, title in found
        ]

    @edit.autocomplete("feed")
    @pause.autocomplete("feed")
    async def _feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await self.bot.subscriptions.choices(interaction.guild_id, current)
        return [
            app_commands.Choice(name=shorten(label, 100), value=value) for label, value in found
        ][:25]

    @remove.autocomplete("url")
    @resume.autocomplete("url")
    async def _followed_url_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        urls = await self.bot.subscriptions.followed_urls(interaction.guild_id)
        return [
            app_commands.Choice(name=shorten(u, 100), value=u)
            for u in urls
            if current.lower() in u.lower() and len(u) <= 100
        ][:25]


def _role_note(
    role: discord.Role | None, channel: discord.TextChannel | discord.ForumChannel
) -> str:
    """What an admin should know about a role they chose to mention."""
    if role is None:
        return ""
    if not role.mentionable and not channel.permissions_for(channel.guild.me).mention_everyone:
        return (
            f"\n⚠ {role.mention} is not mentionable and I lack Mention Everyone in "
            f"{channel.mention}: its members would not be notified. Make the role "
            "mentionable (Server Settings → Roles) or grant me that permission."
        )
    return f"\nNew stories will mention {role.mention} (once per story)."


def _filter_refused(error: FilterError) -> str:
    return f"That filter cannot be used: {error}."


def _edited_rules(
    current: KeywordFilter, include: str | None, exclude: str | None, regex: str | None
) -> KeywordFilter | None:
    """The filter after an edit: what is given replaces what was ("-" clears it), the rest
    stays; None if nothing about the filter was given."""
    if include is None and exclude is None and regex is None:
        return None

    def given(new: str | None, old: str) -> str:
        return old if new is None else ("" if new.strip() == "-" else new)

    return keyword_filter(
        given(include, _joined(current.include)),
        given(exclude, _joined(current.exclude)),
        given(regex, current.pattern or ""),
    )


def _joined(words: tuple[str, ...]) -> str:
    return ", ".join(f'"{word}"' for word in words)


def _as_given(url: str) -> tuple[str, str]:
    """The forms of a typed URL that the service's error messages quote."""
    return url.strip(), url.strip().strip("<>")


def _describe(view: SubscriptionView) -> str:
    """One feed's entry in /feeds list: a few lines, each bounded whatever the feed says."""
    feed = view.feed
    title = shown_title(view.name, feed.url)
    return (
        f"• {title} → <#{view.subscription.channel_id}>\n"
        f"  {shown_url(feed.url)}\n"
        f"  {view.item_count} items{_filter_note(view)} · {_health(feed)}"
    )


def _filter_note(view: SubscriptionView) -> str:
    subscription = view.subscription
    notes = ["open-source AI only"] if subscription.filter is FeedFilter.RELEVANT else []
    if subscription.rules:
        notes.append(shown_text(subscription.rules.describe(), REASON_CHARS))
    if subscription.role_id is not None:
        notes.append(f"mentions <@&{subscription.role_id}>")
    if subscription.paused_at is not None:
        notes.append(f"⏸ {shown_text(subscription.pause_reason or 'paused', REASON_CHARS)}")
    return f" ({'; '.join(notes)})" if notes else ""


def _health(feed: Feed) -> str:
    last_ok = f"last success {_when(feed.last_success_at)}" if feed.last_success_at else None
    if feed.paused:
        reason = shown_text(feed.pause_reason or "", REASON_CHARS)
        return f"⏸ paused {_when(feed.paused_at)}: {reason} · /feeds resume to retry"
    if feed.last_error:
        parts = [f"⚠ failing ({feed.failures}×): {shown_text(feed.last_error, REASON_CHARS)}"]
        parts += [last_ok] if last_ok else []
        return " · ".join([*parts, f"next try {_when(feed.next_poll_at)}"])
    if last_ok:
        return f"ok, {last_ok} · next poll {_when(feed.next_poll_at)}"
    return "not fetched yet"


def _when(moment: datetime | None) -> str:
    return discord.utils.format_dt(moment, "R") if moment else "soon"


async def setup(bot: BazaarBot) -> None:
    await bot.add_cog(Feeds(bot))
