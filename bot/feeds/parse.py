"""An RSS/Atom document → our entries (the fast reader, or feedparser), off the event loop.

In two steps when the caller knows some entries already (`read_feed`, then `cleaned` for
the new ones only): an entry already stored is recognized by its key before its text, the
costly part, is cleaned.
"""

from __future__ import annotations

import asyncio
import calendar
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.content.identity import canonical_url, entry_key, title_key, url_key
from bot.content.structure import read_structure
from bot.content.text import collapse_whitespace, html_to_text
from bot.decide.schedule import feed_interval_hint
from bot.feeds.discover import advertised_feeds
from bot.feeds.fastparse import IDENTITY_SIZE, read_simple_feed
from bot.models import Entry, Item, ParsedFeed
from bot.summarize.release import release_title
from bot.summarize.source import SourceContext


class NotAFeedError(ValueError):
    """The document is not RSS or Atom that feedparser can read."""


@dataclass(frozen=True)
class FeedDocument:
    """A feed read as far as recognizing its entries: each `Entry` has its key, title and
    link, and carries its HTML (its content blocks and summary) with an empty text, until
    `cleaned` cleans it: only if it is used (posted, or read by a command)."""

    title: str
    link: str | None
    entries: tuple[Entry, ...]
    url: str = ""  # where it was fetched: what relative links in it are relative to
    interval_hint: timedelta | None = None
    # Every entry's identity in this document (`IDENTITY_SIZE` bytes each; empty when
    # feedparser read it): given back as `seen` with the next document, the entries in both
    # are not read again. `entries` then holds only the others.
    identities: bytes = b""


def identities(packed: bytes | None) -> frozenset[bytes]:
    """The identities packed in `FeedDocument.identities`."""
    if not packed:
        return frozenset()
    return frozenset(packed[i : i + IDENTITY_SIZE] for i in range(0, len(packed), IDENTITY_SIZE))


def read_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    fast: bool = True,
    seen: bytes | None = None,
) -> FeedDocument:
    """Read an RSS/Atom document fetched from `url`, entries' text not cleaned yet.
    Raises `NotAFeedError` if it is not one; malformed XML that feedparser can still read
    ("bozo" feeds) is accepted. The common shapes of RSS 2.0 and Atom 1.0 are read by the
    fast reader (unless not `fast`), everything else by feedparser: the same fields either
    way. With `seen` (the `identities` of the feed's previous document), the fast reader
    leaves out the entries that document had already: they are stored."""
    simple = (
        read_simple_feed(body, url=url, content_type=content_type, seen=identities(seen))
        if fast
        else None
    )
    packed = b""
    if simple is not None:
        feed_info, raw_entries, packed = simple.feed, simple.entries, simple.identities
    else:
        headers = {"content-location": url}
        if content_type:
            headers["content-type"] = content_type
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
        if not parsed.get("version") and not parsed.entries:
            raise NotAFeedError(_not_a_feed_reason(parsed, body, url))
        feed_info, raw_entries = parsed.get("feed", {}), parsed.entries
    title = collapse_whitespace(html_to_text(feed_info.get("title", ""))) or url
    html: dict[str, tuple[str, ...]] = {}  # by key: entries with one key share the first's
    entries = tuple(
        _titled(_entry(raw, url, html), feed_url=url, feed_title=title) for raw in raw_entries
    )
    return FeedDocument(
        title=title,
        link=feed_info.get("link"),
        url=url,
        entries=entries,
        interval_hint=feed_interval_hint(
            feed_info.get("ttl"),
            feed_info.get("sy_updateperiod"),
            feed_info.get("sy_updatefrequency"),
        ),
        identities=packed,
    )


def cleaned(entry: Entry, *, feed_url: str) -> Entry:
    """The entry with its text: the richest of the content blocks and summary it carries
    (feeds differ on which one is full), cleaned from HTML. The HTML stays: a summary
    made later, as the entry is posted, reads its structure (links, quotes) again."""
    if entry.text or not entry.html:
        return entry
    return _with_text(entry, entry.html, feed_url)


def _with_text(entry: Entry, blocks: Sequence[str], feed_url: str) -> Entry:
    """The entry with its text, links and quotes, read from its richest block (links
    relative to the feed, as feedparser resolves them)."""
    markup, text = richest_block(blocks)
    structure = read_structure(markup, base=feed_url)
    return replace(entry, text=text, links=structure.links, quoted=structure.quoted)


def richest_text(blocks: Sequence[str]) -> str:
    """The richest of an entry's content blocks and summary, cleaned from HTML."""
    return richest_block(blocks)[1]


def richest_block(blocks: Sequence[str]) -> tuple[str, str]:
    """The richest of an entry's content blocks and summary: its markup, and its text
    cleaned from HTML."""
    best, best_markup = "", ""
    # Longest markup first: cleaning never lengthens text, so once a block's markup is no
    # longer than the best text so far, no block after it can be richer.
    for block in sorted(blocks, key=len, reverse=True):
        if len(block) <= len(best):
            break
        text = html_to_text(block)
        if len(text) > len(best):
            best, best_markup = text, block
    return best_markup, best


def parse_feed(
    body: bytes, *, url: str, content_type: str | None = None, fast: bool = True
) -> ParsedFeed:
    """Parse an RSS/Atom document fetched from `url`, every entry's text cleaned (and its
    HTML, read, left out)."""
    document = read_feed(body, url=url, content_type=content_type, fast=fast)
    return ParsedFeed(
        title=document.title,
        link=document.link,
        entries=tuple(replace(cleaned(e, feed_url=url), html=()) for e in document.entries),
        interval_hint=document.interval_hint,
    )


async def parse_feed_async(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """`parse_feed` in a worker thread, so the gateway heartbeat stays on time."""
    return await asyncio.to_thread(parse_feed, body, url=url, content_type=content_type)


def _titled(entry: Entry, *, feed_url: str, feed_title: str) -> Entry:
    """The entry under the title a reader needs: a release tagged only "b7214" in
    llama.cpp's feed is "llama.cpp b7214" (its key stays the one the feed's title gave)."""
    context = SourceContext(link=entry.link, feed_url=feed_url, feed_title=feed_title)
    title = release_title(entry.title, context)
    if title == entry.title:
        return entry
    return replace(entry, title=title, title_key=title_key(title))


def _entry(raw: Any, feed_url: str, html: dict[str, tuple[str, ...]]) -> Entry:
    """The entry, carrying the HTML of the first entry with its key (kept in `html`)."""
    title = collapse_whitespace(html_to_text(raw.get("title", "")))
    link = canonical_url(raw.get("link") or "", base=feed_url)
    guid = (raw.get("id") or "").strip() or None
    published_struct = raw.get("published_parsed") or raw.get("updated_parsed")
    published_at = _to_datetime(published_struct)
    key = entry_key(
        guid=guid, link=link, title=title, published=raw.get("published") or raw.get("updated")
    )
    if key not in html:
        html[key] = _html_blocks(raw)
    return Entry(
        key=key,
        title=title or "(untitled)",
        link=link,
        guid=guid,
        text="",
        published_at=published_at,
        author=raw.get("author") or None,
        url_key=url_key(link) if link else None,
        comments_url=canonical_url(raw.get("comments") or "", base=feed_url),
        title_key=title_key(title),
        image_url=entry_image(raw, feed_url),
        html=html[key],
    )


_MAX_IMAGE_URL = 2048


def entry_image(raw: Any, feed_url: str) -> str | None:
    """The entry's own picture, if the feed gives one: a Media RSS thumbnail, else an image
    media:content, else an image enclosure; only an absolute http(s) address (Discord
    fetches it, never us)."""
    candidates = [item.get("url") for item in raw.get("media_thumbnail") or []]
    candidates += [
        item.get("url")
        for item in raw.get("media_content") or []
        if item.get("medium") == "image" or (item.get("type") or "").startswith("image/")
    ]
    candidates += [
        item.get("href")
        for item in raw.get("enclosures") or []
        if (item.get("type") or "").startswith("image/")
    ]
    for candidate in candidates:
        if not isinstance(candidate, str):
            continue
        absolute = urljoin(feed_url, candidate.strip())
        if absolute.startswith(("https://", "http://")) and len(absolute) <= _MAX_IMAGE_URL:
            return absolute
    return None


def _html_blocks(raw: Any) -> tuple[str, ...]:
    blocks = [block.get("value", "") for block in raw.get("content", []) or []]
    blocks.append(raw.get("summary", "") or "")
    # Each once: feedparser copies an entry's content to its summary when it has none.
    return tuple(dict.fromkeys(block for block in blocks if block))


def _to_datetime(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _not_a_feed_reason(parsed: Any, body: bytes, url: str) -> str:
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        reason = "this is an HTML page, not an RSS or Atom feed"
        offered = advertised_feeds(body, base_url=url)
        if offered:
            reason += f"; the page points to a feed at {offered[0]}, try that address"
        return reason
    if not body.strip():
        return "the response was empty"
    error = parsed.get("bozo_exception")
    detail = f" ({error})" if error else ""
    return f"this is not an RSS or Atom feed{detail}"


def item_source(
    item: Item, *, feed_url: str | None = None, feed_title: str | None = None
) -> tuple[str, SourceContext]:
    """A stored item's text (cleaned now from its HTML if it was only stored until now) and
    what that HTML says besides (its links and quotes), to summarize it."""
    markup, text = richest_block(item.html) if item.html else ("", "")
    structure = read_structure(markup, base=feed_url or item.link)
    context = SourceContext(
        link=item.link,
        feed_url=feed_url,
        feed_title=feed_title,
        links=structure.links,
        quoted=structure.quoted,
    )
    return item.text or text, context
