"""Posts → Discord embeds. Feed text is escaped so it shows as written and pings no one."""

from __future__ import annotations

import discord

from bot.content.text import escape_text, escape_within, shorten
from bot.models import Post

__all__ = ["escape_text", "fit_embeds", "render_also_covered", "render_post", "thread_name"]

EMBED_COLOUR = discord.Colour(0xE8A33D)
# Discord's limits, which hold after escaping (a backslash per markdown character).
TITLE_CHARS, DESCRIPTION_CHARS, FIELD_CHARS, FOOTER_CHARS = 256, 4096, 1024, 2048


def render_post(post: Post) -> discord.Embed:
    """The embed for one post: linked title, summary, source and published time."""
    embed = discord.Embed(
        title=escape_within(post.title, TITLE_CHARS),
        url=post.url,
        description=escape_within(post.summary, DESCRIPTION_CHARS) or None,
        colour=EMBED_COLOUR,
        timestamp=post.published_at,
    )
    if post.partial_note:
        embed.add_field(
            name="Partial", value=escape_within(post.partial_note, FIELD_CHARS), inline=False
        )
    footer = " · ".join([post.source_name, *post.tags])
    embed.set_footer(text=shorten(footer, FOOTER_CHARS))
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
