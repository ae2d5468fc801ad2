"""feedparser output → our `ParsedFeed`. CPU-bound: callers run it off the event loop."""

from __future__ import annotations

import asyncio
import calendar
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.content.identity import canonical_url, entry_key, title_key, url_key
from bot.content.text import collapse_whitespace, html_to_text
from bot.decide.schedule import feed_interval_hint
from bot.feeds.discover import advertised_feeds
from bot.models import Entry, ParsedFeed


class NotAFeedError(ValueError):
    """The document is not RSS or Atom that feedparser can read."""


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS/Atom document fetched from `url`. Raises `NotAFeedError` if it is not one.

    Malformed XML that feedparser can still read ("bozo" feeds) is accepted.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    if not parsed.get("version") and not parsed.entries:
        raise NotAFeedError(_not_a_feed_reason(parsed, body, url))
    feed_info = parsed.get("feed", {})
    entries = tuple(_entry(raw, url) for raw in parsed.entries)
    return ParsedFeed(
        title=collapse_whitespace(html_to_text(feed_info.get("title", ""))) or url,
        link=feed_info.get("link"),
        entries=entries,
        interval_hint=feed_interval_hint(
            feed_info.get("ttl"),
            feed_info.get("sy_updateperiod"),
            feed_info.get("sy_updatefrequency"),
        ),
    )


async def parse_feed_async(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """`parse_feed` in a worker thread, so the gateway heartbeat stays on time."""
    return await asyncio.to_thread(parse_feed, body, url=url, content_type=content_type)


def _entry(raw: Any, feed_url: str) -> Entry:
    title = collapse_whitespace(html_to_text(raw.get("title", "")))
    link = canonical_url(raw.get("link") or "", base=feed_url)
    guid = (raw.get("id") or "").strip() or None
    published_struct = raw.get("published_parsed") or raw.get("updated_parsed")
    published_at = _to_datetime(published_struct)
    return Entry(
        key=entry_key(
            guid=guid, link=link, title=title, published=raw.get("published") or raw.get("updated")
        ),
        title=title or "(untitled)",
        link=link,
        guid=guid,
        text=html_to_text(_richest_html(raw)),
        published_at=published_at,
        author=raw.get("author") or None,
        url_key=url_key(link) if link else None,
        comments_url=canonical_url(raw.get("comments") or "", base=feed_url),
        title_key=title_key(title),
    )


def _richest_html(raw: Any) -> str:
    """The longest of the entry's content blocks and its summary: feeds differ on which is full."""
    candidates = [block.get("value", "") for block in raw.get("content", []) or []]
    candidates.append(raw.get("summary", "") or "")
    return max(candidates, key=len)


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
