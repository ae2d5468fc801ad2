"""A fast reader for the common shapes of RSS 2.0 and Atom 1.0 (lxml, ~50× feedparser).

It gives `bot.feeds.parse` the same fields feedparser would, for the documents it is sure
about, and None for everything else: RSS 1.0/RDF, Atom 0.3, malformed XML, a DOCTYPE,
`xml:base`, a charset that the HTTP header and the document disagree on, XHTML content,
dates it cannot read. Those go to feedparser, which reads the rest of the web's feeds.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import time
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
SY = "{http://purl.org/rss/1.0/modules/syndication/}"
MEDIA = ("{http://search.yahoo.com/mrss/}", "{http://search.yahoo.com/mrss}")
_ATOM_LINK = f"{ATOM}link"

# What a feedparser entry holds, as `bot.feeds.parse` reads it.
RawEntry = dict[str, Any]


class NotSimple(Exception):
    """The document is not one this reader is sure about: feedparser reads it instead."""


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, recover=False, remove_comments=True
)


# An entry's identity in one document: a digest of its whole element (and the feed's
# address, which its links are relative to). The same identity in the next document is the
# very same entry, already stored: it is not read again.
IDENTITY_SIZE = 8


@dataclass(frozen=True)
class SimpleFeed:
    feed: dict[str, Any]
    entries: list[RawEntry]  # those not in `seen`
    identities: bytes  # of every entry, in order, IDENTITY_SIZE bytes each


def read_simple_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    seen: Container[bytes] = frozenset(),
) -> SimpleFeed | None:
    """The feed's fields and its entries as feedparser would give them (`feed` and
    `entries` of its result), or None when this reader is not sure about the document.
    Entries whose identity is in `seen` (read from the previous document) are left out."""
    head = body[:4096]
    if b"<!DOCTYPE" in head.upper() or b"xml:base" in body:
        return None
    try:
        root = etree.fromstring(body, _PARSER)
        _check_charset(root, content_type)
        if root.tag == "rss" and root.get("version") == "2.0":
            return _rss(root, url, seen)
        if root.tag == f"{ATOM}feed":
            return _atom(root, url, seen)
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


def _identity(element: etree._Element, url: bytes) -> bytes:
    digest = hashlib.sha256(url)
    digest.update(b"\0")
    digest.update(etree.tostring(element, with_tail=False))
    return digest.digest()[:IDENTITY_SIZE]


def _entries(
    elements: Iterable[etree._Element],
    url: str,
    seen: Container[bytes],
    read: Callable[[etree._Element, str], RawEntry],
) -> tuple[list[RawEntry], bytes]:
    """The entries not seen, read; and the identities of all."""
    entries, identities = [], []
    key = url.encode()
    for element in elements:
        identity = _identity(element, key)
        identities.append(identity)
        if identity not in seen:
            entries.append(_present(read(element, url)))
    return entries, b"".join(identities)


def _rss(root: etree._Element, url: str, seen: Container[bytes]) -> SimpleFeed:
    channel = root.find("channel")
    if channel is None or root.find("item") is not None:
        raise NotSimple("no channel, or items outside it")
    children = _children(channel, _RSS_CHANNEL)
    link = _rss_link(children.get("link"))
    feed = {
        "title": _text(children.get("title")),
        "link": _feedparser_link(_join(url, link), entry=False) if link is not None else None,
        "ttl": _stripped(children.get("ttl")),
        "sy_updateperiod": _stripped(children.get(f"{SY}updatePeriod")),
        "sy_updatefrequency": _stripped(children.get(f"{SY}updateFrequency")),
    }
    entries, identities = _entries(channel.iterfind("item"), url, seen, _rss_item)
    return SimpleFeed(_present(feed), entries, identities)


def _rss_item(item: etree._Element, url: str) -> RawEntry:
    # One pass over the children, not one search per field.
    children = _children(item, _RSS_ITEM)
    entry: RawEntry = {"title": _text(children.get("title"))}
    _check_nested(item, entry["title"])
    link = _rss_link(children.get("link"))
    if link is not None:
        link = _feedparser_link(_join(url, link), entry=True)
    guid_element = children.get("guid")
    guid = _stripped(guid_element)
    if guid is not None and guid_element is not None:
        # feedparser lowercases attribute names, not values.
        permalink = _attribute(guid_element, "ispermalink", "true") == "true"
        # feedparser reads a permalink guid as a URI (relative to the feed), and makes
        # it the entry's link when the entry has no <link> (an empty one counts).
        guid = _join(url, guid) if permalink else guid
        entry["id"] = guid
        if "link" not in children and permalink:
            link = guid
    if link is not None:
        entry["link"] = link
    published = _stripped(children.get("pubDate"))
    if published is not None:
        entry["published"] = published
        entry["published_parsed"] = _rfc822(published)
    elif _UPDATED in children:
        raise NotSimple("a date other than pubDate (feedparser's 'updated') without pubDate")
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
    entry.update(_media(item, url))
    return entry


def _media(element: etree._Element, url: str) -> RawEntry:
    """Its images as feedparser gives them: `enclosures` (RSS <enclosure>, Atom
    rel="enclosure" links), `media_content` and `media_thumbnail` (Media RSS)."""
    found: RawEntry = {}
    for child in element:
        tag = child.tag
        if tag == "enclosure" or (tag == _ATOM_LINK and child.get("rel") == "enclosure"):
            href = child.get("url") if tag == "enclosure" else child.get("href")
            if href:
                found.setdefault("enclosures", []).append(
                    {"href": _join(url, href.strip()), "type": child.get("type", "")}
                )
        elif tag in _MEDIA_CONTENT and child.get("url"):
            found.setdefault("media_content", []).append(
                {"url": child.get("url"), "medium": child.get("medium", ""),
                 "type": child.get("type", "")}
            )  # fmt: skip
        elif tag in _MEDIA_THUMBNAIL and child.get("url"):
            found.setdefault("media_thumbnail", []).append({"url": child.get("url")})
    return found


_MEDIA_CONTENT = frozenset(f"{media}content" for media in MEDIA)
_MEDIA_THUMBNAIL = frozenset(f"{media}thumbnail" for media in MEDIA)


def _rss_link(element: etree._Element | None) -> str | None:
    if element is not None and element.get("href") is not None:
        raise NotSimple("an Atom-style link in RSS")  # feedparser reads its href
    return _stripped(element)


def _feedparser_link(link: str, *, entry: bool) -> str:
    """An RSS <link> as feedparser stores it: it "fixes" `&amp;` (in an entry's link) and
    `&name;` left in the text after XML decoding."""
    if "&" not in link:
        return link
    if entry:
        link = link.replace("&amp;", "&")
    return _ENTITY_LIKE.sub(r"&\1", link)


def _attribute(element: etree._Element, name: str, default: str) -> str:
    """An attribute by its name in lowercase, as feedparser reads attributes."""
    value = element.get(name)
    if value is not None:
        return value
    for key, value in element.attrib.items():
        if isinstance(key, str) and key.lower() == name:
            return value
    return default


# --- what feedparser reads, and this reader does not ---------------------------------------

# The namespaces whose elements feedparser maps onto the fields we read, by the prefix it
# gives them ("" for RSS's and Atom's own elements); others it keeps under names of their own.
_PREFIXES = {
    "": "",
    "http://backend.userland.com/rss": "",
    "http://blogs.law.harvard.edu/tech/rss": "",
    "http://purl.org/rss/1.0/": "",
    "http://my.netscape.com/rdf/simple/0.9/": "",
    "http://example.com/newformat#": "",
    "http://example.com/necho": "",
    "http://purl.org/echo/": "",
    "uri/of/echo/namespace#": "",
    "http://purl.org/pie/": "",
    "http://purl.org/atom/ns#": "",
    "http://www.w3.org/2005/atom": "",
    "http://purl.org/rss/1.0/modules/rss091#": "",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://example.com/dtds/podcast-1.0.dtd": "itunes",
    "http://search.yahoo.com/mrss": "media",
    "http://search.yahoo.com/mrss/": "media",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://www.w3.org/1999/xhtml": "xhtml",
}
# Element names (as `_name` gives them) that feedparser reads into a field we use of an
# item or entry (title, link, id, published, updated, author, comments, summary, content),
# and of a feed (title, link, ttl, sy_*: its id too may be its link).
_ENTRY_FIELDS = frozenset(
    {
        "title", "dc:title", "media:title", "link", "guid", "id",
        "published", "issued", "pubdate", "dcterms:issued",
        "updated", "modified", "lastbuilddate", "dc:date", "dcterms:modified",
        "author", "managingeditor", "dc:creator", "dc:author", "itunes:author",
        "summary", "description", "abstract", "dc:description", "itunes:summary",
        "media:description", "content", "content:encoded", "body", "xhtml:body", "fullitem",
        "comments", "item", "entry",
    }
)  # fmt: skip
_FEED_FIELDS = frozenset(
    {
        "title", "dc:title", "media:title", "link", "guid", "id", "ttl",
        "sy:updateperiod", "sy:updatefrequency", "item", "entry",
    }
)  # fmt: skip
# What feedparser reads as an RSS item's "updated": used (for its date) only without pubDate.
_UPDATED = "updated"
_UPDATED_NAMES = frozenset({"updated", "modified", "lastbuilddate", "dc:date", "dcterms:modified"})


class _Read:
    """What this reader reads of the children of one element (a channel, an item, an entry)
    among those feedparser maps onto our fields (`mapped`): each name's one tag, the names
    that may repeat, and those left to the caller (noted under `_UPDATED`)."""

    def __init__(
        self,
        mapped: frozenset[str],
        tags: dict[str, str],
        repeatable: frozenset[str] = frozenset(),
        ignorable: frozenset[str] = frozenset(),
    ) -> None:
        self.mapped = mapped
        self.read = frozenset(tags.values())
        self.single = frozenset(tag for name, tag in tags.items() if name not in repeatable)
        self.ignorable = ignorable
        self.link = tags.get("link")


_RSS_CHANNEL = _Read(
    _FEED_FIELDS,
    {
        "title": "title",
        "link": "link",
        "ttl": "ttl",
        "sy:updateperiod": f"{SY}updatePeriod",
        "sy:updatefrequency": f"{SY}updateFrequency",
        "item": "item",
    },
    repeatable=frozenset({"item"}),
)
_RSS_ITEM = _Read(
    _ENTRY_FIELDS,
    {
        "title": "title",
        "link": "link",
        "guid": "guid",
        "pubdate": "pubDate",
        "author": "author",
        "dc:creator": f"{DC}creator",
        "comments": "comments",
        "description": "description",
        "content:encoded": f"{CONTENT}encoded",
    },
    repeatable=frozenset({"author", "dc:creator"}),
    ignorable=_UPDATED_NAMES,
)
_ATOM_FEED = _Read(
    _FEED_FIELDS,
    {
        "title": f"{ATOM}title",
        "id": f"{ATOM}id",
        "link": f"{ATOM}link",  # read by `_alternate`
        "entry": f"{ATOM}entry",
        "ttl": f"{ATOM}ttl",
        "sy:updateperiod": f"{SY}updatePeriod",
        "sy:updatefrequency": f"{SY}updateFrequency",
    },
    repeatable=frozenset({"link", "entry"}),
)
_ATOM_ENTRY = _Read(
    _ENTRY_FIELDS,
    {
        "title": f"{ATOM}title",
        "id": f"{ATOM}id",
        "link": f"{ATOM}link",
        "published": f"{ATOM}published",
        "updated": f"{ATOM}updated",
        "author": f"{ATOM}author",
        "summary": f"{ATOM}summary",
        "content": f"{ATOM}content",
    },
    repeatable=frozenset({"link", "author"}),
)
# Read by feedparser deep inside an item or entry too.
_NESTED = (*(f"{media}description" for media in MEDIA), "image", f"{ATOM}image")
_NESTED_TITLES = tuple(f"{media}title" for media in MEDIA)
_NAMES: dict[Any, str] = {}


def _name(tag: Any) -> str:
    """An element's name as feedparser's handlers know it: the local name in lowercase,
    after the prefix feedparser gives the namespace (matched in lowercase too)."""
    name = _NAMES.get(tag)
    if name is not None:
        return name
    if not isinstance(tag, str):
        name = "?"
    else:
        namespace, _, local = tag[1:].rpartition("}") if tag[:1] == "{" else ("", "", tag)
        namespace = namespace.lower()
        if "backend.userland.com/rss" in namespace:
            namespace = "http://backend.userland.com/rss"
        prefix = _PREFIXES.get(namespace, "?")
        name = f"{prefix}:{local.lower()}" if prefix else local.lower()
    if len(_NAMES) < 4096:
        _NAMES[tag] = name
    return name


def _children(element: etree._Element, read: _Read) -> dict[Any, etree._Element]:
    """The children read here by tag (the first of each), or NotSimple when feedparser would
    read them otherwise: a child it maps onto one of our fields that is not one read here (a
    dc:title, an itunes:summary, a <Title>: feedparser lowercases names), or one read here
    repeated (feedparser keeps the last, or makes a second description the content). A
    child with an `ignorable` name is noted under `_UPDATED`."""
    children: dict[Any, etree._Element] = {}
    for child in element:
        tag = child.tag
        if tag in read.read:
            if tag in children and tag in read.single:
                raise NotSimple(f"a repeated {tag}")
            children.setdefault(tag, child)
        elif tag == _ATOM_LINK:
            # In RSS, feedparser takes an alternate <atom:link> (not one rel="self" or
            # "hub") for the link of the feed or item.
            if read.link != tag and _atom_alternate(child):
                raise NotSimple("an alternate <atom:link> in RSS")
        elif (name := _name(tag)) in read.mapped:
            if name not in read.ignorable:
                raise NotSimple(f"{tag}, read by feedparser as {name}")
            children.setdefault(_UPDATED, child)
    return children


def _check_nested(element: etree._Element, title: str | None) -> None:
    """feedparser also reads these deep in an item or entry: a media:description as its
    summary or content, a media:title or an image's title as its title (when it has none),
    and an image's id as its link."""
    for nested in element.iter(*_NESTED):
        raise NotSimple(f"a nested {nested.tag}")
    if not title:
        for nested in element.iter(*_NESTED_TITLES):
            raise NotSimple(f"a nested {nested.tag} and no title")


# --- Atom 1.0 -----------------------------------------------------------------------------


def _atom(root: etree._Element, url: str, seen: Container[bytes]) -> SimpleFeed:
    children = _children(root, _ATOM_FEED)
    identity = _atom_id(children.get(f"{ATOM}id"), url)
    feed = {
        "title": _atom_text(children.get(f"{ATOM}title")),
        "link": _alternate(root, url) or identity,
        # feedparser reads these in any feed.
        "ttl": _stripped(children.get(f"{ATOM}ttl")),
        "sy_updateperiod": _stripped(children.get(f"{SY}updatePeriod")),
        "sy_updatefrequency": _stripped(children.get(f"{SY}updateFrequency")),
    }
    entries, identities = _entries(root.iterfind(f"{ATOM}entry"), url, seen, _atom_entry)
    return SimpleFeed(_present(feed), entries, identities)


def _atom_entry(element: etree._Element, url: str) -> RawEntry:
    children = _children(element, _ATOM_ENTRY)
    entry: RawEntry = {"title": _atom_text(children.get(f"{ATOM}title"))}
    _check_nested(element, entry["title"])
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
    # As in feedparser: the last author counts, as "name (email)" when it has both.
    authors = [child for child in element if child.tag == f"{ATOM}author"]
    if authors:
        name = _stripped(authors[-1].find(f"{ATOM}name"))
        email = _stripped(authors[-1].find(f"{ATOM}email"))
        author = f"{name} ({email})" if name and email else name or email
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
    entry.update(_media(element, url))
    return entry


def _atom_id(element: etree._Element | None, url: str) -> str | None:
    """The id (an `atom:id` element), read as feedparser does: a URI, relative to the feed."""
    identity = _stripped(element)
    return _join(url, identity) if identity is not None else None


def _alternate(element: etree._Element, url: str) -> str | None:
    alternates = [link for link in element.iterfind(f"{ATOM}link") if _atom_alternate(link)]
    if len(alternates) > 1:
        raise NotSimple("several alternate links")
    return _join(url, alternates[0].get("href", "").strip()) if alternates else None


def _atom_alternate(link: etree._Element) -> bool:
    """Whether feedparser takes this <atom:link> for the link of its entry or feed: an
    alternate (rel and type in any case) to an HTML page."""
    if not link.get("href"):
        raise NotSimple("a link without href")  # feedparser reads its text, or the base
    if link.get("rel", "alternate").lower() != "alternate":
        return False
    return link.get("type", "text/html").lower() in _HTML_TYPES


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
    text = (element.text or "").strip()
    if not text.isascii() and _repaired_by_feedparser(text):
        raise NotSimple("text that feedparser repairs")
    return text


def _repaired_by_feedparser(text: str) -> bool:
    """Whether feedparser changes this text: it maps C1 controls to what they are in
    windows-1252 (U+0092 → ’), and decodes again what reads as UTF-8 taken for Latin-1."""
    if _C1.search(text):
        return True
    try:
        text.encode("iso-8859-1").decode("utf-8")
    except UnicodeError:
        return False
    return True


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
_ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
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
