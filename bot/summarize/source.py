"""What is known about a text besides its words: where it was found and what its HTML links
and quotes. It tells a release note from an essay, and a roundup's news from its intro."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Entry, Link


@dataclass(frozen=True)
class SourceContext:
    link: str | None = None  # the item's own address
    feed_url: str | None = None  # the feed it came from
    feed_title: str | None = None
    links: tuple[Link, ...] = ()  # the links its HTML makes, in order
    quoted: tuple[str, ...] = ()  # paragraphs it quotes: someone else's words


NO_CONTEXT = SourceContext()


def entry_context(
    entry: Entry, *, feed_url: str | None = None, feed_title: str | None = None
) -> SourceContext:
    """The context of a feed entry (cleaned: its links and quotes read from its HTML)."""
    return SourceContext(
        link=entry.link,
        feed_url=feed_url,
        feed_title=feed_title,
        links=entry.links,
        quoted=entry.quoted,
    )
