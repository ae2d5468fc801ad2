"""What admins are told when a feed breaks: plain words, once."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content.text import escape_within
from bot.models import Feed
from bot.pages import pack_pages


def pause_notice(feed: Feed, reason: str, failures: int) -> str:
    """The message posted when a feed is paused."""
    # Within Discord's 2,000 characters however long the title, address or reason.
    name = escape_within(feed.title or feed.url, 200)
    address = f"<{feed.url}>" if len(feed.url) <= 500 else "address too long to show"
    why = "it failed permanently" if failures <= 1 else f"it failed {failures} times in a row"
    reason = escape_within(reason, 500)
    return (
        f"⚠️ Stopped polling the feed **{name}** ({address}) because {why}: {reason}.\n"
        "Fix the address or the server, then run `/feeds resume` to try again "
        "(or `/feeds remove` to stop following it)."
    )


def catch_up_pages(stories: Sequence[tuple[str, str | None, str]]) -> list[str]:
    """A channel's backlog too long to post one by one, as messages: a heading, then one
    line per story (title, source, its link unpreviewed), oldest first, each message
    within Discord's 2,000 characters."""
    lines = [
        f"• **{escape_within(title, 300)}** ({escape_within(source, 100)})"
        + (f" <{link}>" if link and len(link) <= 500 else "")
        for title, link, source in stories
    ]
    heading = f"While the posts of this channel waited, {len(stories)} stories came in:"
    return pack_pages([heading, *lines])
