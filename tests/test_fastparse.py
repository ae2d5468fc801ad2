"""The fast reader gives exactly what feedparser gives, for every document it takes, and
leaves the rest to feedparser."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bot.feeds.fastparse import IDENTITY_SIZE, read_simple_feed
from bot.feeds.parse import identities, parse_feed, read_feed
from tests.feed_server import FeedItem, atom, rss

URL = "https://example.org/feeds/main.xml"
FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
WHEN = datetime(2032, 2, 29, 0, 1, tzinfo=UTC)

TITLES = [
    "Qwen3.5 released under Apache 2.0",
    "Vec&lt;String&gt; &amp; friends: Rust for ML",
    "&lt;b&gt;Bold&lt;/b&gt; claims about Llama 4",
    "Café “ouvert” — DeepSeek V4",
    "  spaced   out   title  ",
    "",
]
LINKS = ["https://example.org/a?utm_source=rss", "/relative/post", "post-2", None]
GUIDS = [
    ("tag:example.org,2026:1", None),
    ("12345", "false"),
    ("https://example.org/p/9", None),
    ("relative-guid", "true"),
    (None, None),
]
RFC822 = [
    "Tue, 24 Nov 2026 10:00:00 GMT",
    "Tue, 24 Nov 2026 10:00:00 +0200",
    "24 Nov 2026 10:00:00 -0000",
    "Sun, 29 Feb 2032 00:01:00 UTC",
]
W3C = ["2026-11-24T10:00:00Z", "2026-11-24T10:00:00.123+02:00", "2032-02-29T00:01:00-05:00"]
# As RSS carries HTML: escaped, or in a CDATA section.
BODIES = [
    escape("<p>Open weights, <a href='/x'>link</a> &amp; more.</p><p>Second paragraph.</p>"),
    "plain text with &lt;angle&gt; brackets",
    "<![CDATA[<p>Inside <b>CDATA</b></p><script>alert(1)</script>]]>",
    "",
]
# As Atom carries HTML: escaped once (a CDATA section is an XML thing, not HTML).
ATOM_BODIES = [
    "<p>Open weights, <a href='/x'>link</a> &amp; more.</p><p>Second paragraph.</p>",
    "plain text with <angle> brackets, 2 < 3",
    "<div><p>Inside <b>a div</b></p><script>alert(1)</script></div>",
    "",
]


def random_rss(rng: random.Random) -> bytes:
    items = []
    for n in range(rng.randint(1, 6)):
        parts = [f"<title>{rng.choice(TITLES)}</title>"]
        if (link := rng.choice(LINKS)) is not None:
            parts.append(f"<link>{escape(link)}</link>")
        guid, permalink = rng.choice(GUIDS)
        if guid is not None:
            attr = f' isPermaLink="{permalink}"' if permalink else ""
            parts.append(f"<guid{attr}>{guid}-{n}</guid>")
        if rng.random() < 0.8:
            parts.append(f"<pubDate>{rng.choice(RFC822)}</pubDate>")
        authors = ["<author>jane@example.org (Jane Doe)</author>", "<dc:creator>Ann</dc:creator>"]
        parts += rng.sample(authors, rng.randint(0, 2))
        if rng.random() < 0.3:
            parts.append("<comments>https://news.ycombinator.com/item?id=41000000</comments>")
        parts.append(f"<description>{rng.choice(BODIES)}</description>")
        if rng.random() < 0.4:
            parts.append(f"<content:encoded>{rng.choice(BODIES)}</content:encoded>")
        items.append("<item>" + "".join(parts) + "</item>")
    channel = "<title>Open Models &amp; More</title><link>https://example.org/</link>"
    if rng.random() < 0.5:
        channel += "<ttl>120</ttl>"
    if rng.random() < 0.3:
        channel += (
            "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        f"<channel>{channel}{''.join(items)}</channel></rss>"
    ).encode()


def random_atom(rng: random.Random) -> bytes:
    entries = []
    for n in range(rng.randint(1, 6)):
        kind = rng.choice(["", ' type="text"', ' type="html"'])
        parts = [f"<title{kind}>{rng.choice(TITLES)}</title>", f"<id>urn:entry:{n}</id>"]
        if (link := rng.choice(LINKS)) is not None:
            rel = rng.choice(["", ' rel="alternate"'])
            parts.append(f'<link{rel} href="{escape(link)}"/>')
        if rng.random() < 0.3:
            parts.append('<link rel="replies" href="https://example.org/c"/>')
        for name in ("published", "updated"):
            if rng.random() < 0.7:
                parts.append(f"<{name}>{rng.choice(W3C)}</{name}>")
        if rng.random() < 0.5:
            parts.append("<author><name>Jane</name></author>")
        if rng.random() < 0.7:
            parts.append(f'<summary type="html">{escape(rng.choice(ATOM_BODIES))}</summary>')
        if rng.random() < 0.5:
            ctype = rng.choice(["", ' type="html"', ' type="text"'])
            parts.append(f"<content{ctype}>{escape(rng.choice(ATOM_BODIES))}</content>")
        entries.append("<entry>" + "".join(parts) + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        '<title>Releases</title><id>urn:feed</id><link href="https://example.org/"/>'
        f"<updated>2026-11-24T10:00:00Z</updated>{''.join(entries)}</feed>"
    ).encode()


def the_same(body: bytes, content_type: str | None = None) -> None:
    fast = parse_feed(body, url=URL, content_type=content_type)
    slow = parse_feed(body, url=URL, content_type=content_type, fast=False)
    assert fast == slow


@pytest.mark.parametrize("make", [random_rss, random_atom], ids=["rss", "atom"])
def test_random_feeds_read_fast_are_read_as_feedparser_reads_them(make: object) -> None:
    rng = random.Random(2032)
    for _ in range(150):
        body = make(rng)  # type: ignore[operator]
        assert read_simple_feed(body, url=URL) is not None, body  # the fast path, taken
        the_same(body)


def test_the_feeds_the_tests_serve_are_read_fast_and_the_same() -> None:
    items = [
        FeedItem(f"Story {n}", f"https://example.org/s/{n}", f"<p>Story {n} text.</p>",
                 guid=f"story-{n}", published=WHEN - timedelta(hours=n),
                 comments="https://news.ycombinator.com/item?id=1" if n % 2 else None)
        for n in range(5)
    ]  # fmt: skip
    for body in (rss("Weekly", items), atom("Releases", items)):
        assert read_simple_feed(body.encode(), url=URL) is not None
        the_same(body.encode())


def test_the_double_escaped_hacker_news_fixture_is_the_same() -> None:
    for path in FIXTURES.glob("*.xml"):
        the_same(path.read_bytes())


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel>'
        b"<item><title>A</title><link>https://e.org/a</link></item></rdf:RDF>",
        b'<rss version="0.91"><channel><title>T</title><item><title>A</title></item>'
        b"</channel></rss>",
        b'<feed xmlns="http://purl.org/atom/ns#"><title>Atom 0.3</title></feed>',
        b'<rss version="2.0"><channel><title>T &nbsp; bad entity</title></channel></rss>',
        b'<rss version="2.0" xml:base="https://other.example/"><channel><title>T</title>'
        b"<item><link>rel</link></item></channel></rss>",
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title type="xhtml"><div '
        b'xmlns="http://www.w3.org/1999/xhtml">X</div></title></feed>',
        b'<rss version="2.0"><channel><item><title>A</title><pubDate>yesterday</pubDate>'
        b"</item></channel></rss>",
    ],
    ids=["rdf", "rss 0.91", "atom 0.3", "html entity", "xml:base", "xhtml", "odd date"],
)
def test_what_the_fast_reader_is_not_sure_about_goes_to_feedparser(body: bytes) -> None:
    assert read_simple_feed(body, url=URL) is None
    the_same(body)


def test_a_charset_header_that_disagrees_with_the_document_goes_to_feedparser() -> None:
    body = rss("Café IA", [FeedItem("Modèle “ouvert” publié", "https://example.org/m")])
    latin = "application/rss+xml; charset=iso-8859-1"
    assert read_simple_feed(body.encode(), url=URL, content_type=latin) is None
    assert read_simple_feed(body.encode(), url=URL, content_type="text/xml; charset=UTF-8")


def test_the_shortcuts_for_links_and_dates_agree_with_the_standard_library() -> None:
    import random
    from datetime import UTC, datetime, timedelta, timezone
    from email.utils import format_datetime, parsedate_to_datetime
    from urllib.parse import urljoin

    from bot.feeds.fastparse import _join, _rfc822

    pick = random.Random(11)
    for _ in range(5000):
        tail = "".join(pick.choice("aZ09.-/_~%:@!$'()*+,;=?#& \t\\é") for _ in range(12))
        link = pick.choice(["http://", "https://", "HTTP://", "//", ""]) + tail
        for base in ("http://feeds.example/a/b", "https://x.example/"):
            assert _join(base, link) == urljoin(base, link), link
    for _ in range(2000):
        when = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=pick.randint(0, 10**9))
        zone = timezone(timedelta(minutes=pick.choice([0, 60, -300, 330, -570])))
        for text in (format_datetime(when.astimezone(zone)), format_datetime(when, True)):
            assert _rfc822(text) == parsedate_to_datetime(text).astimezone(UTC).timetuple()


_RSS = (
    '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>T</title>'
    "<link>https://example.org/</link>{}</channel></rss>"
)
_ATOM = (
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">'
    "{}</feed>"
)


@pytest.mark.parametrize(
    "body",
    [
        _RSS.format("<item><title>A</title><dc:title>B</dc:title></item>"),
        _RSS.format("<item><title>A</title><description>s</description><itunes:summary>long"
                    "er</itunes:summary><itunes:author>Host</itunes:author></item>"),
        _RSS.format("<item><title>A</title><description>s</description><media:content url="
                    '"https://e.org/v"><media:description>longer</media:description>'
                    "</media:content></item>"),
        _RSS.format("<item><Title>A</Title><pubdate>Mon, 01 Jan 2024 00:00:00 GMT</pubdate>"
                    "</item>"),
        _RSS.format("<item><title>A</title><atom:updated>2024-01-01T00:00:00Z</atom:updated>"
                    "</item>"),
        _RSS.format("<item><title>A</title><link>https://e.org/1</link>"
                    "<link>https://e.org/2</link></item>"),
        _RSS.format("<item><xhtml:body xmlns:xhtml='http://www.w3.org/1999/xhtml'><p>x</p>"
                    "</xhtml:body></item>"),
        _RSS.format("<item><title>A</title><description>x&#146;s</description></item>"),
        _ATOM.format("<entry><id>yt:1</id><title>V</title><media:group><media:description>What"
                     "</media:description></media:group></entry>"),
        _ATOM.format("<item><title>A</title></item>"),
    ],
    ids=["dc:title", "itunes", "media:description", "lowercased names", "atom:updated",
         "two links", "xhtml:body", "windows-1252 C1", "youtube", "atom item"],
)  # fmt: skip
def test_what_feedparser_reads_otherwise_goes_to_it(body: str) -> None:
    assert read_simple_feed(body.encode(), url=URL) is None
    the_same(body.encode())


@pytest.mark.parametrize(
    "body",
    [
        _RSS.format("<item><title>A</title><link>https://e.org/a?x=1&amp;amp;y=2</link></item>"),
        _RSS.format('<item><title>A</title><guid isPermalink="false">https://e.org/g</guid>'
                    "</item>"),
        _RSS.format("<item><title>A</title><link></link><guid>https://e.org/g</guid></item>"),
        _RSS.replace("<link>https://example.org/</link>", "<link>/home</link>").format(""),
        _ATOM.format("<entry><id>urn:1</id><title>A</title><author><name>One</name></author>"
                     "<author><name>Two</name><email>t@e.org</email></author></entry>"),
        _ATOM.format('<entry><id>urn:1</id><title>A</title><link rel="alternate" '
                     'type="application/pdf" href="https://e.org/a.pdf"/></entry>'),
        _ATOM.replace("<feed ", '<feed xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" ')
        .format("<sy:updatePeriod>hourly</sy:updatePeriod>"),
        _RSS.replace("<channel>", '<channel><atom:link rel="self" href="https://e.org/f"/>'
                     '<atom:link rel="hub" href="https://hub.e.org/"/>')
        .format("<item><title>A</title></item>"),
    ],
    ids=["&amp;amp; link", "isPermalink", "empty link", "relative channel link",
         "atom authors", "pdf alternate", "atom sy", "atom:link self"],
)  # fmt: skip
def test_what_the_fast_reader_reads_as_feedparser_does(body: str) -> None:
    assert read_simple_feed(body.encode(), url=URL) is not None
    the_same(body.encode())


@pytest.mark.parametrize("render", [rss, atom], ids=["rss", "atom"])
def test_entries_of_the_previous_document_are_not_read_again_unless_they_changed(
    render: object,
) -> None:
    def document(entries: list[FeedItem]) -> bytes:
        return render("Feed", entries).encode()  # type: ignore[operator]

    def entry(n: int, text: str = "open weights") -> FeedItem:
        return FeedItem(f"Story {n}", f"https://example.org/{n}", f"<p>{text}</p>", guid=f"s{n}")

    first = read_feed(document([entry(2), entry(1)]), url=URL)
    assert [e.title for e in first.entries] == ["Story 2", "Story 1"]

    # Two new entries, one edited: the edited one is read again (its key decides if it is
    # new), the unchanged one is not read at all.
    later = document([entry(4), entry(3), entry(2, text="edited"), entry(1)])
    second = read_feed(later, url=URL, seen=first.identities)
    assert [e.title for e in second.entries] == ["Story 4", "Story 3", "Story 2"]
    assert len(identities(second.identities)) == 4
    # Read in full (no previous document, or another feed's address), all are there.
    assert len(read_feed(later, url=URL).entries) == 4
    assert len(read_feed(later, url=URL + "?moved", seen=first.identities).entries) == 4


def test_a_document_feedparser_reads_has_no_identities_and_skips_nothing() -> None:
    body = (  # RSS 1.0: never the fast reader's
        b'<?xml version="1.0"?><rdf:RDF xmlns="http://purl.org/rss/1.0/" '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b"<channel><title>T</title></channel>"
        b"<item><title>A</title><link>https://example.org/a</link></item></rdf:RDF>"
    )
    document = read_feed(body, url=URL, seen=b"\0" * IDENTITY_SIZE)
    assert document.identities == b"" and [e.title for e in document.entries] == ["A"]
