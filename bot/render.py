"""Posts → Discord embeds. Feed text is escaped so it shows as written and pings no one."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.content.text import collapse_whitespace, escape_text, escape_within, shorten
from bot.decide.digest import Digest, DigestCandidate
from bot.decide.server_settings import ServerSettings
from bot.models import Item, Post
from bot.pages import pack_pages
from bot.search import PAGE_SIZE, SearchPage
from bot.store.search import HIT_END, HIT_START

__all__ = [
    "escape_text",
    "fit_embeds",
    "link_buttons",
    "render_also_covered",
    "render_digest",
    "render_item_details",
    "render_post",
    "render_search_page",
    "search_nothing_found",
    "thread_name",
]

EMBED_COLOUR = discord.Colour(0xE8A33D)
# Discord's limits, which hold after escaping (a backslash per markdown character).
TITLE_CHARS, DESCRIPTION_CHARS, FIELD_CHARS, FOOTER_CHARS = 256, 4096, 1024, 2048


def render_post(post: Post, server: ServerSettings | None = None) -> discord.Embed:
    """The embed for one post: linked title, summary, source, published time; as `server`
    sets it (its colour, the TL;DR only for a short summary, the feed's picture as a
    thumbnail or large image: Discord fetches it, and shows none it cannot)."""
    short = server is not None and server.summary == "short"
    image = server.images if server else "off"
    summary = post.summary.split("\n• ", 1)[0] if short else post.summary
    embed = discord.Embed(
        title=escape_within(post.title, TITLE_CHARS),
        url=post.url,
        description=escape_within(summary, DESCRIPTION_CHARS) or None,
        colour=discord.Colour(server.colour) if server else EMBED_COLOUR,
        timestamp=post.published_at,
    )
    if post.partial_note:
        embed.add_field(
            name="Partial", value=escape_within(post.partial_note, FIELD_CHARS), inline=False
        )
    footer = " · ".join([post.source_name, *post.tags])
    embed.set_footer(text=shorten(footer, FOOTER_CHARS))
    if post.image_url and image == "thumbnail":
        embed.set_thumbnail(url=post.image_url)
    elif post.image_url and image == "large":
        embed.set_image(url=post.image_url)
    return embed


def render_also_covered(post: Post) -> str:
    """The note added to a story's thread when another source tells the same story."""
    source = escape_within(post.source_name, 200)
    title = escape_within(post.title.replace("[", "(").replace("]", ")"), 300)
    if post.url and len(post.url) <= 1000:
        return f"Also covered by **{source}**: [{title}](<{post.url}>)"
    return f"Also covered by **{source}**: {title}"


def thread_name(post: Post) -> str:
    # Thread names are plain text (no markdown rendering), so only trim.
    return post.thread_name


MESSAGE_EMBED_CHARS = 6000


def fit_embeds(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """As many embeds, in order, as fit in one message's 6000-character embed budget."""
    fitted: list[discord.Embed] = []
    total = 0
    for embed in embeds:
        total += len(embed)
        if total > MESSAGE_EMBED_CHARS:
            break
        fitted.append(embed)
    return fitted


def render_search_page(page: SearchPage) -> discord.Embed:
    """One page of search results: each hit's linked title, source and date, and the words
    found in bold within a short snippet; all feed text escaped."""
    lines = []
    for number, hit in enumerate(page.hits, start=page.number * PAGE_SIZE + 1):
        title = escape_within(hit.item.title.replace("[", "(").replace("]", ")"), 200)
        linked = f"[{title}](<{hit.item.link}>)" if _linkable(hit.item.link) else title
        when = (hit.item.published_at or hit.item.seen_at).strftime("%Y-%m-%d")
        source = escape_within(hit.source_name, 80)
        lines.append(f"**{number}. {linked}**\n{source} · {when}\n{_snippet(hit.snippet)}")
    embed = discord.Embed(
        title=escape_within(f"Search: {page.query.text}", TITLE_CHARS),
        description="\n\n".join(lines),
        colour=EMBED_COLOUR,
    )
    more = " · more on the next page" if page.has_next else ""
    embed.set_footer(text=f"Page {page.number + 1}{more}")
    return embed


def search_nothing_found(page: SearchPage) -> str:
    terms = ", ".join(page.query.terms)
    if page.number:
        return "No more results."
    return escape_within(
        f"Nothing found for {terms}. Try fewer or other words, or a longer time span.", 1900
    )


def _snippet(snippet: str) -> str:
    """The snippet escaped, then its found words in bold (the marks cannot be in feed text)."""
    text = escape_within(" ".join(snippet.split()), 400)
    return "> " + text.replace(HIT_START, "**").replace(HIT_END, "**") if text else ""


def _linkable(url: str | None) -> bool:
    return bool(url) and url.startswith(("http://", "https://")) and len(url) <= 1000


def render_item_details(item: Item, source_name: str) -> discord.Embed:
    """A post's item in full, for the member who pressed Summary: the whole summary (TL;DR,
    every key point, why it matters), tags and relevance."""
    embed = discord.Embed(
        title=escape_within(collapse_whitespace(item.title) or "(untitled)", TITLE_CHARS),
        url=item.link if _linkable(item.link) else None,
        description=escape_within(item.summary or "(no summary)", DESCRIPTION_CHARS),
        colour=EMBED_COLOUR,
        timestamp=item.published_at,
    )
    if item.tags:
        embed.add_field(name="Tags", value=escape_within(", ".join(item.tags), FIELD_CHARS))
    if item.relevance is not None:
        verdict = "about open-source AI" if item.relevant else "not about open-source AI"
        embed.add_field(name="Relevance", value=f"{item.relevance:.2f} ({verdict})")
    if item.partial_reason:
        embed.add_field(
            name="Partial",
            value=escape_within(f"Only part could be read: {item.partial_reason}", FIELD_CHARS),
            inline=False,
        )
    embed.set_footer(text=shorten(source_name, FOOTER_CHARS))
    return embed


LINK_URL_CHARS = 512  # Discord refuses a link button with a longer URL


def link_buttons(post: Post) -> list[discord.ui.Button[discord.ui.View]]:
    """Source (the article) and Discussion (its HN or Reddit thread), where there are."""
    buttons = []
    for label, url in (("Source", post.url), ("Discussion", post.discussion_url)):
        if url and _linkable(url) and len(url) <= LINK_URL_CHARS:
            buttons.append(discord.ui.Button(label=label, url=url))
    return buttons


def render_digest(digest: Digest) -> list[list[discord.Embed]]:
    """The digest as messages of embeds: one embed per tag, one line per story; split
    across embeds and messages at Discord's limits, never cut."""
    span = "day" if digest.period <= timedelta(days=1) else "week"
    if digest.quiet and not digest.groups:
        return []
    embeds: list[discord.Embed] = []
    for group in digest.groups:
        lines = [_digest_line(story) for story in group.stories]
        for part, text in enumerate(pack_pages(lines, DESCRIPTION_CHARS)):
            name = group.tag.replace("-", " ").capitalize() + (" (cont.)" if part else "")
            embeds.append(discord.Embed(title=name, description=text, colour=EMBED_COLOUR))
    embeds[0].set_author(name=f"Top stories of the {span}")
    messages: list[list[discord.Embed]] = []
    while embeds:
        fitted = fit_embeds(embeds[:MAX_EMBEDS])
        messages.append(fitted)
        embeds = embeds[len(fitted) :]
    return messages


MAX_EMBEDS = 10


def _digest_line(story: DigestCandidate) -> str:
    title = escape_within(story.title.replace("[", "(").replace("]", ")"), 200)
    linked = f"[{title}](<{story.link}>)" if _linkable(story.link) else title
    tldr = f" — {escape_within(story.tldr, 220)}" if story.tldr else ""
    sources = f" · {story.sources} sources" if story.sources > 1 else ""
    return f"• **{linked}**{tldr}{sources}"
