"""Stable identity for entries and stories: canonical links, entry keys, title keys."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only track where a click came from; the page is the same without them.
_TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
    "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "_hsenc", "_hsmi", "hsctatracking",
    "mkt_tok", "spm", "si", "cmpid", "s_cid", "__s", "trk", "trkcampaign", "sc_channel",
}  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "oly_", "vero_", "pk_", "mtm_", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# " - The Verge", " | TechCrunch", " — Hugging Face": a source name appended to a headline.
_SOURCE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]{2,40}$")
# A word may hold dots ("llama.cpp", "3.1") but not start or end with one.
_WORD = re.compile(r"[\w+#]+(?:\.+[\w+#]+)*")
# Already canonical: lowercase http(s), lowercase host, no port, query, fragment or space.
_PLAIN_URL = re.compile(r"https?://[a-z0-9.-]+(/[^?#;\s]*)?", re.ASCII)


def canonical_url(link: str, base: str | None = None) -> str | None:
    """`link` resolved against `base`, scheme and host lowercased, fragment and trackers dropped."""
    link = link.strip()
    if not link:
        return None
    if plain := _PLAIN_URL.fullmatch(link):  # most links: nothing to change
        return link if plain.group(1) else link + "/"
    if base:
        link = urljoin(base, link)
    parts = urlsplit(link)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def url_key(url: str) -> str:
    """What two links to the same page have in common: no scheme, no www., no trailing slash."""
    if _PLAIN_URL.fullmatch(url):  # most links (canonical ones): no parsing needed
        host, _, path = url.partition("://")[2].partition("/")
        return host.removeprefix("www.") + (("/" + path).rstrip("/") or "/")
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return host + path + (f"?{parts.query}" if parts.query else "")


def entry_key(*, guid: str | None, link: str | None, title: str, published: str | None) -> str:
    """Identify an entry: its guid, else its canonical link, else a hash of title and date."""
    if guid and guid.strip():
        return "guid:" + guid.strip()
    if link:
        return "link:" + url_key(link)
    digest = hashlib.sha256(f"{title}\x00{published or ''}".encode()).hexdigest()
    return "hash:" + digest[:32]


def title_key(title: str) -> str:
    """A headline reduced to its words, lowercased, with any trailing " - Source" removed."""
    text = title if title.isascii() else unicodedata.normalize("NFKC", title)
    return " ".join(_WORD.findall(_SOURCE_SUFFIX.sub("", text.lower())))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)
