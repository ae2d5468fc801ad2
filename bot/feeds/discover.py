"""Find the feeds an HTML page advertises with <link rel="alternate" type="application/rss+xml">."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
}
# A page's <head> is near its top; never scan a huge page to its end.
SCAN_BYTES = 512 * 1024


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name: (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.hrefs.append(values["href"].strip())


def advertised_feeds(page: bytes, *, base_url: str) -> list[str]:
    """Absolute http(s) URLs of the feeds the page advertises, in page order."""
    collector = _AlternateLinks()
    collector.feed(page[:SCAN_BYTES].decode("utf-8", errors="replace"))
    urls = [urljoin(base_url, href) for href in collector.hrefs]
    return list(dict.fromkeys(u for u in urls if u.startswith(("http://", "https://"))))
