"""OPML feed lists, the file every feed reader imports and exports: read one, write one.

Reading is defensive because the file comes from anyone: at most `MAX_OPML_BYTES`, no
DOCTYPE with an internal subset (entity declarations are how XML bombs and external-entity
tricks work, and OPML never needs them), at most `MAX_OUTLINES` outlines, and every refusal
an `OpmlError` that names the problem. Parsing is expat's, with those refusals hooked in.

Both directions are pure: bytes in, a frozen `FeedList` out; feeds in, OPML 2.0 text out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit, urlunsplit
from xml.parsers import expat

MAX_OPML_BYTES = 2 * 1024 * 1024
"""A reader's export of a thousand feeds is a few hundred kilobytes."""

MAX_OUTLINES = 10_000
"""Outlines (feeds and folders) in one file; a list longer than this is not a feed list."""

FEED_ROOTS = {"rss", "feed", "rdf:rdf", "rdf"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What XML 1.0 cannot carry at all, not even escaped: left out of what is written.
_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OpmlError(ValueError):
    """The file cannot be read as a feed list. The message completes "FILE cannot be
    imported: …" and says what to do."""


@dataclass(frozen=True)
class ListedFeed:
    """One feed of a list: its address, and what the list calls it."""

    url: str
    title: str | None = None
    html_url: str | None = None  # the site the feed belongs to, when the list says
    folder: tuple[str, ...] = ()  # the folders it sat in, outermost first


@dataclass(frozen=True)
class FeedList:
    """What an OPML file lists: each feed once, in file order."""

    title: str | None
    feeds: tuple[ListedFeed, ...]
    duplicates: int = 0  # outlines naming a feed listed earlier in the file (left out)
    not_feeds: int = 0  # outlines with no feed address that are not folders (links, notes)


def feed_key(url: str) -> str:
    """The form two addresses of one feed share: scheme and host in lower case, no default
    port. The rest is kept as written (paths and queries are case-sensitive)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return url.strip()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def parse_opml(data: bytes, *, max_bytes: int = MAX_OPML_BYTES) -> FeedList:
    """The feeds an OPML 1.0 or 2.0 file lists, however deep in folders.

    A feed is an `<outline>` with an `xmlUrl` (any case: `xmlurl`, `XMLURL`…); its name is
    its `title`, else its `text`. Outlines without one are folders or links and are skipped.
    A feed listed twice (by `feed_key`) is kept once. `OpmlError` if the file is too big,
    empty, not XML, declares entities, or is not OPML (a feed, a web page…).
    """
    if len(data) > max_bytes:
        raise OpmlError(
            f"it is {len(data):,} bytes, and a feed list may be at most {max_bytes:,}; "
            "split it into smaller files"
        )
    if not data.strip():
        raise OpmlError("it is empty")
    reader = _OutlineReader()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    # Nothing outside the file is ever read, and no entity is ever declared.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = reader.doctype
    parser.EntityDeclHandler = reader.entity
    parser.ExternalEntityRefHandler = reader.external_entity
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise OpmlError(
            f"it is not valid XML: {reason} at line {exc.lineno}, column {exc.offset + 1}"
        ) from None
    if reader.root is None:
        raise OpmlError("it has no XML element at all")
    return reader.feed_list()


class _OutlineReader:
    """expat's handlers: checks the root, keeps the feeds and the head's title."""

    def __init__(self) -> None:
        self.root: str | None = None
        self._path: list[str] = []  # element names from the root down
        self._folders: list[str | None] = []  # per open outline: its name if a folder
        self._title: list[str] = []
        self._feeds: dict[str, ListedFeed] = {}
        self._outlines = 0
        self._duplicates = 0
        self._not_feeds = 0
        self._childless: list[bool] = []  # per open outline: no outline inside it yet

    def doctype(
        self, name: str, system_id: str | None, public_id: str | None, internal_subset: bool
    ) -> None:
        # A bare <!DOCTYPE opml> is harmless, and an external DTD is never read; an
        # internal subset is where entities are declared, so it is refused before it is read.
        if internal_subset:
            raise OpmlError(
                "it has a DOCTYPE declaration with its own definitions, which OPML never needs "
                "and which can make a small file expand without end (an XML bomb); remove the "
                "<!DOCTYPE …> part"
            )

    def entity(self, name: str, *_: object) -> None:
        raise OpmlError(
            f"it declares an XML entity ({name}), which OPML never needs and which can make a "
            "small file expand without end (an XML bomb); remove the declaration"
        )

    def external_entity(self, *_: object) -> int:
        raise OpmlError("it refers to an external entity; OPML never needs one")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
            _check_root(name)
        self._path.append(name)
        if name.lower() != "outline":
            return
        self._outlines += 1
        if self._outlines > MAX_OUTLINES:
            raise OpmlError(
                f"it has more than {MAX_OUTLINES:,} outlines; split it into smaller files"
            )
        if self._childless:
            self._childless[-1] = False
        values = {key.lower(): value for key, value in attributes.items()}
        title = _clean(values.get("title")) or _clean(values.get("text"))
        url = (values.get("xmlurl") or "").strip()
        self._childless.append(True)
        if not url:
            self._folders.append(title or "")
            return
        self._folders.append(None)
        folder = tuple(f for f in self._folders[:-1] if f is not None)
        feed = ListedFeed(url, title, (values.get("htmlurl") or "").strip() or None, folder)
        key = feed_key(url)
        if key in self._feeds:
            self._duplicates += 1
        else:
            self._feeds[key] = feed

    def end(self, name: str) -> None:
        self._path.pop()
        if name.lower() == "outline":
            folder = self._folders.pop()
            childless = self._childless.pop()
            if folder is not None and childless:
                self._not_feeds += 1

    def text(self, data: str) -> None:
        if [part.lower() for part in self._path] == ["opml", "head", "title"]:
            self._title.append(data)

    def feed_list(self) -> FeedList:
        return FeedList(
            title=_clean("".join(self._title)),
            feeds=tuple(self._feeds.values()),
            duplicates=self._duplicates,
            not_feeds=self._not_feeds,
        )


def _check_root(name: str) -> None:
    root = name.lower()
    if root == "opml":
        return
    if root in FEED_ROOTS:
        raise OpmlError(
            f"it is a feed (its root element is <{name}>), not an OPML list of feeds; "
            "follow a single feed with /feeds add"
        )
    if root == "html":
        raise OpmlError(
            "it is a web page, not an OPML file; export the feed list from your feed reader "
            "(usually under Settings, Import/Export, OPML)"
        )
    raise OpmlError(f"its root element is <{name[:40]}>, not <opml>: it is not an OPML file")


def _clean(text: str | None) -> str | None:
    """One line, trimmed; None when nothing is left."""
    cleaned = " ".join((text or "").split())
    return cleaned or None


def render_opml(feeds: Sequence[ListedFeed], *, title: str, created: datetime) -> str:
    """An OPML 2.0 document listing `feeds` in order, one `<outline type="rss">` each, with
    `text` and `title` (the feed's name, else its URL), `xmlUrl`, and `htmlUrl` when known.
    Folders are not written: the list is flat. `created` must be timezone-aware."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = _xml_text(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(created.astimezone(UTC), usegmt=True)
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        name = _xml_text(feed.title or feed.url)
        attributes = {"text": name, "title": name, "type": "rss", "xmlUrl": _xml_text(feed.url)}
        if feed.html_url:
            attributes["htmlUrl"] = _xml_text(feed.html_url)
        ET.SubElement(body, "outline", attributes)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, "unicode") + "\n"


def _xml_text(text: str) -> str:
    return _NOT_XML_CHARS.sub("", text)
