"""Outside text (feed titles, URLs, names, network errors) made safe and short for a message.

Everything that comes from a feed, a server or a user is escaped (no markdown, no live
mentions) and cut at a word boundary, so an answer built from it always fits Discord's 2,000
characters however long that text is.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import discord

from bot.content.text import escape_within, shorten
from bot.pages import MESSAGE_CHARS
from bot.store import SubscriptionView

URL_CHARS = 300
"""URLs longer than this are shown cut short, as text that is not a link."""

TITLE_CHARS = 200
ERROR_CHARS = 800

_WHITESPACE = re.compile(r"\s+")


def shown_text(text: str, limit: int) -> str:
    """`text` on one line, escaped, and cut at a word boundary to at most `limit` characters.

    The limit holds after escaping, which adds a backslash before each markdown character.
    A space at either end is kept, so pieces of a sentence can be shown one by one.
    """
    return escape_within(_WHITESPACE.sub(" ", text), limit)


def shown_url(url: str, limit: int = URL_CHARS) -> str:
    """A URL as `<url>` (a link without a preview) or, when too long or odd, as inline code.

    A URL cut short would link somewhere else, so a long one is shown as code, which
    Discord neither links nor formats.
    """
    url = _WHITESPACE.sub(" ", url.strip())
    if len(url) <= limit and _is_plain_url(url):
        return f"<{url}>"
    # A backtick would end the code span early; the look-alike keeps it readable.
    return "`" + shorten(url.replace("`", "ˋ"), limit) + "`"


def _is_plain_url(url: str) -> bool:
    return url.startswith(("http://", "https://")) and not any(c in url for c in " <>`")


def shown_error(message: str, *urls: str) -> str:
    """A service's error message for an answer: the first of `urls` in it shown as a URL, the
    rest (which may quote a network error) escaped and shortened."""
    found = next((u for u in sorted(urls, key=len, reverse=True) if u and u in message), None)
    for quoted in (repr(found), found) if found else ():
        if quoted in message:
            parts = message.split(quoted)
            budget = max(40, (ERROR_CHARS - (len(parts) - 1) * (URL_CHARS + 2)) // len(parts))
            shown = shown_url(found).join(shown_text(part, budget) for part in parts)
            return fit_message(shown)
    return shown_text(message, ERROR_CHARS)


def shown_title(title: str | None, url: str) -> str:
    """A feed's title (or chosen name) in bold, or its URL in bold when it has none."""
    if title and title.strip():
        return f"**{shown_text(title.strip(), TITLE_CHARS)}**"
    return f"**{shown_url(url)}**"


def fit_message(text: str) -> str:
    """A last guard: the answer within Discord's 2,000 characters."""
    return shorten(text, MESSAGE_CHARS)


EMBED_TITLE_CHARS = 256
EMBED_DESCRIPTION_CHARS = 4096
EMBED_FIELD_VALUE_CHARS = 1024


def within_embed_limits(embed: discord.Embed) -> discord.Embed:
    """`embed` with its title, description and field values cut to Discord's limits.

    Escaping can double feed text that was cut to fit before, so this guards the result.
    """
    if embed.title and len(embed.title) > EMBED_TITLE_CHARS:
        embed.title = shorten(embed.title, EMBED_TITLE_CHARS)
    if embed.description and len(embed.description) > EMBED_DESCRIPTION_CHARS:
        embed.description = shorten(embed.description, EMBED_DESCRIPTION_CHARS)
    for index, field in enumerate(embed.fields):
        if field.value and len(field.value) > EMBED_FIELD_VALUE_CHARS:
            embed.set_field_at(
                index,
                name=field.name,
                value=shorten(field.value, EMBED_FIELD_VALUE_CHARS),
                inline=field.inline,
            )
    return embed


def source_line(view: SubscriptionView, now: datetime) -> str:
    """One feed a server follows, as a member sees it: name, channel, when it last brought
    something, and whether it works (no error details: those are for admins)."""
    name = shown_title(view.name, view.feed.url)
    last = f"last new item {_ago(now - view.last_item_at)}" if view.last_item_at else "nothing yet"
    if view.feed.paused_at is not None:
        health = "paused"
    elif view.feed.failures:
        health = "having trouble, retrying"
    else:
        health = "ok"
    return f"• {name} in <#{view.subscription.channel_id}> · {last} · {health}"


def _ago(span: timedelta) -> str:
    seconds = max(int(span.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
