"""A fast reader for the common shapes of RSS 2.0 and Atom 1.0 (lxml, ~50× feedparser).

It gives `bot.feeds.parse` the same fields feedparser would, for the documents it is sure
about, and None for everything else: RSS 1.0/RDF, Atom 0.3, malformed XML, a DOCTYPE,
`xml:base`, a charset that the HTTP header and the document disagree on, XHTML content,
dates it cannot read. Those go to feedparser, which reads the rest of the web's feeds.
"""

from __future__ import annotations

import codecs
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
SY = "{http://purl.org/rss/1.0/modules/syndication/}"

# What a feedparser entry holds, as `bot.feeds.parse` reads it.
RawEntry = dict[str, Any]


class NotSimple(Exception):
    """The document is not one this reader is sure about: feedparser reads it instead."""


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, recover=False, remove_comments=True
)


def read_simple_feed(
    body: bytes, *, url: str, content_type: str | None = None
) -> tuple[dict[str, Any], list[RawEntry]] | None:
    """The feed's fields and its entries as feedparser would give them (`feed` and
    `entries` of its result), or None when this reader is not sure about the document."""
    head = body[:4096]
    if b"<!DOCTYPE" in head.upper() or b"xml:base" in body:
        return None
    try:
        root = etree.fromstring(body, _PARSER)
        _check_charset(root, content_type)
        if root.tag == "rss" and root.get("version") == "2.0":
            return _rss(root, url)
        if root.tag == f"{ATOM}feed":
            return _atom(root, url)
    except (etree.XMLSyntaxError, NotSimple, ValueError, LookupError, OverflowError):
        return None
    return None


def _check_charset(root: etree._Element, content_type: str | None) -> None:
    declared = root.getroottree().docinfo.encoding or "utf-8"
    if not content_type or "charset=" not in content_type.lower():
        return
    said = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip("\"'")
    if codecs.lookup(said).name != codecs.lookup(declared).name:
        raise NotSimple("the HTTP charset and the document disagree")


# --- RSS 2.0 ------------------------------------------------------------------------------


def _rss(root: etree._Element, url: str) -> tuple[dict[str, Any], list[RawEntry]]:
    channel = root.find("channel")
    if channel is None:
        raise NotSimple("no channel")
    feed = {
        "title": _text(channel.find("title")),
        "link": _stripped(channel.find("link")),
        "ttl": _stripped(channel.find("ttl")),
        "sy_updateperiod": _stripped(channel.find(f"{SY}updatePeriod")),
        "sy_updatefrequency": _stripped(channel.find(f"{SY}updateFrequency")),
    }
    return _present(feed), [_present(_rss_item(item, url)) for item in channel.iterfind("item")]


def _rss_item(item: etree._Element, url: str) -> RawEntry:
    # One pass over the children (the first of each tag counts, as with find), not one
    # search per field.
    children = _first_children(item)
    if f"{DC}date" in children and "pubDate" not in children:
        raise NotSimple("a dc:date without pubDate")
    entry: RawEntry = {"title": _text(children.get("title"))}
    link = _stripped(children.get("link"))
    guid_element = children.get("guid")
    guid = _stripped(guid_element)
    if guid is not None and guid_element is not None:
        permalink = guid_element.get("isPermaLink", "true").strip().lower() != "false"
        # feedparser reads a permalink guid as a URI (relative to the feed), and makes
        # it the entry's link when the entry has none.
        guid = _join(url, guid) if permalink else guid
        entry["id"] = guid
        if link is None and permalink:
            link = guid
    if link is not None:
        entry["link"] = _join(url, link)
    published = _stripped(children.get("pubDate"))
    if published is not None:
        entry["published"] = published
        entry["published_parsed"] = _rfc822(published)
    # Both name the author; as in feedparser, the last one in the item counts.
    authors = [_stripped(e) for e in item if e.tag in ("author", f"{DC}creator")]
    if authors and authors[-1] is not None:
        entry["author"] = authors[-1]
    comments = _stripped(children.get("comments"))
    if comments is not None:
        entry["comments"] = _join(url, comments)
    description = children.get("description")
    if description is not None:
        entry["summary"] = _text(description)
    encoded = children.get(f"{CONTENT}encoded")
    if encoded is not None:
        entry["content"] = [{"value": _text(encoded)}]
    return entry


def _first_children(element: etree._Element) -> dict[Any, etree._Element]:
    children: dict[Any, etree._Element] = {}
    for child in element:
        children.setdefault(child.tag, child)
    return children


# --- Atom 1.0 -----------------------------------------------------------------------------


def _atom(root: etree._Element, url: str) -> tuple[dict[str, Any], list[RawEntry]]:
    identity = _atom_id(root.find(f"{ATOM}id"), url)
    feed = {
        "title": _atom_text(root.find(f"{ATOM}title")),
        "link": _alternate(root, url) or identity,
    }
    entries = [_present(_atom_entry(entry, url)) for entry in root.iterfind(f"{ATOM}entry")]
    return _present(feed), entries


def _atom_entry(element: etree._Element, url: str) -> RawEntry:
    children = _first_children(element)
    entry: RawEntry = {"title": _atom_text(children.get(f"{ATOM}title"))}
    identity = _atom_id(children.get(f"{ATOM}id"), url)
    if identity is not None:
        entry["id"] = identity
    # As in feedparser: with no alternate link, the id (a URI) is the link.
    link = _alternate(element, url) or identity
    if link is not None:
        entry["link"] = link
    for name in ("published", "updated"):
        value = _stripped(children.get(f"{ATOM}{name}"))
        if value is not None:
            entry[name] = value
            entry[f"{name}_parsed"] = _w3c(value)
    author_element = children.get(f"{ATOM}author")
    author = _stripped(author_element.find(f"{ATOM}name")) if author_element is not None else None
    if author is not None:
        entry["author"] = author
    summary = children.get(f"{ATOM}summary")
    if summary is not None:
        entry["summary"] = _atom_text(summary)
    content = children.get(f"{ATOM}content")
    if content is not None:
        if content.get("src") is not None:
            raise NotSimple("out-of-line content")
        entry["content"] = [{"value": _atom_text(content)}]
    return entry


def _atom_id(element: etree._Element | None, url: str) -> str | None:
    """The id (an `atom:id` element), read as feedparser does: a URI, relative to the feed."""
    identity = _stripped(element)
    return _join(url, identity) if identity is not None else None


def _alternate(element: etree._Element, url: str) -> str | None:
    alternates = [
        link
        for link in element.iterfind(f"{ATOM}link")
        if link.get("rel", "alternate") == "alternate" and link.get("href")
    ]
    if len(alternates) > 1:
        raise NotSimple("several alternate links")
    return _join(url, alternates[0].get("href", "").strip()) if alternates else None


def _atom_text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    if element.get("type", "text") not in ("text", "html"):
        raise NotSimple("XHTML or another content type")
    return _text(element)


# --- values -------------------------------------------------------------------------------


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    if len(element):
        raise NotSimple("markup inside a text element")
    return (element.text or "").strip()


def _stripped(element: etree._Element | None) -> str | None:
    value = _text(element)
    return value or None


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _join(base: str, link: str) -> str:
    """`urljoin(base, link)`, without parsing both when `link` is already absolute (almost
    always) and urljoin would give it back unchanged."""
    if _ABSOLUTE.fullmatch(link):
        return link
    return urljoin(base, link)


# What urljoin gives back as it is: an absolute http(s) link with no empty query, fragment
# or parameters for it to drop.
_ABSOLUTE = re.compile(r"https?://[^\s/?#;]+(?:/[^\s?#;]*)?(?:\?[^\s#;]+)?", re.ASCII)
_RFC822 = re.compile(
    r"(?:[A-Z][a-z]{2}, )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) (GMT|UTC|[+-]\d{4})",
    re.ASCII,
)
_MONTHS = {
    month: number
    for number, month in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _rfc822(value: str) -> time.struct_time:
    if (simple := _RFC822.fullmatch(value)) and simple.group(2) in _MONTHS:
        day, month, year, hour, minute, second, zone = simple.groups()
        offset = 0 if zone in ("GMT", "UTC") else int(zone[1:3]) * 60 + int(zone[3:])
        when = datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
        return (when - timedelta(minutes=offset if zone[0] != "-" else -offset)).timetuple()
    when = parsedate_to_datetime(value)
    if when is None:
        raise NotSimple("an unreadable date")
    return _utc_struct(when)


def _w3c(value: str) -> time.struct_time:
    return _utc_struct(datetime.fromisoformat(value))


def _utc_struct(when: datetime) -> time.struct_time:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).timetuple()
