"""What admins are told when a feed breaks: plain words, once."""

from __future__ import annotations

from bot.content.text import neutralize_markdown
from bot.models import Feed


def pause_notice(feed: Feed, reason: str, failures: int) -> str:
    """The message posted when a feed is paused."""
    name = neutralize_markdown(feed.title or feed.url)
    why = "it failed permanently" if failures <= 1 else f"it failed {failures} times in a row"
    reason = neutralize_markdown(reason)
    return (
        f"⚠️ Stopped polling the feed **{name}** (<{feed.url}>) because {why}: {reason}.\n"
        "Fix the address or the server, then run `/feeds resume` to try again "
        "(or `/feeds remove` to stop following it)."
    )
