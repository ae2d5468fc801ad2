import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.parse import NotAFeedError, parse_feed, read_feed
from bot.summarize.extractive import ExtractiveSummarizer
from tests.feed_server import FeedItem, atom, rss

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_rss_entries_become_entries_with_clean_text_and_dates() -> None:
    body = rss(
        "Open Models Weekly",
        [
            FeedItem(
                "Qwen 3 &amp; friends",
                "https://example.org/qwen3",
                "<p>Qwen 3 ships <b>open weights</b>.</p><script>x()</script>",
                guid="qwen-3",
                published=WHEN,
            )
        ],
    )
    feed = parse_feed(body.encode(), url="https://example.org/feed.xml")
    assert feed.title == "Open Models Weekly"
    [entry] = feed.entries
    assert entry.title == "Qwen 3 & friends"
    assert entry.link == "https://example.org/qwen3"
    assert entry.text == "Qwen 3 ships open weights."
    assert entry.published_at == WHEN
    assert entry.key == "guid:qwen-3"


def test_atom_entries_parse_and_use_their_id() -> None:
    body = atom("vLLM releases", [FeedItem("v0.9.1", "https://example.org/v0.9.1", "Fixes.")])
    [entry] = parse_feed(body.encode(), url="https://example.org/releases.atom").entries
    assert entry.title == "v0.9.1"
    assert entry.key == "guid:https://example.org/v0.9.1"


def test_an_entry_without_guid_is_identified_by_its_link() -> None:
    body = rss("F", [FeedItem("A", "https://example.org/a")])
    [entry] = parse_feed(body.encode(), url="https://example.org/f").entries
    assert entry.key == "link:example.org/a"


def test_relative_links_resolve_against_the_feed_url() -> None:
    body = rss("F", [FeedItem("A", "/posts/a")])
    [entry] = parse_feed(body.encode(), url="https://blog.example.org/feed.xml").entries
    assert entry.link == "https://blog.example.org/posts/a"


def test_slightly_broken_xml_that_feedparser_reads_is_accepted() -> None:
    body = rss("F", [FeedItem("A", "https://example.org/a", "fine")]).replace(
        "</channel>", "<bad>&nbsp;</channel>"
    )
    assert len(parse_feed(body.encode(), url="https://example.org/f").entries) == 1


def test_an_html_page_is_reported_as_not_a_feed() -> None:
    with pytest.raises(NotAFeedError, match="HTML page, not an RSS or Atom feed"):
        parse_feed(b"<!DOCTYPE html><html><body>Hi</body></html>", url="https://x.org/")


def test_an_empty_body_is_reported_as_empty() -> None:
    with pytest.raises(NotAFeedError, match="empty"):
        parse_feed(b"", url="https://x.org/")


HN_COMMENTS = Path(__file__).parent / "fixtures" / "feeds" / "hn_comments_double_escaped.xml"
RAW_MARKUP = ("<p", "</", "<a", "<i>", "&gt;", "&lt;", "&amp;", "&#x27;", "&#x2F;", "&quot;")


def hn_comment_feed(served_as: str) -> bytes:
    body = HN_COMMENTS.read_text(encoding="utf-8")
    if served_as == "description":
        body = re.sub(r"\s*<content:encoded>.*?</content:encoded>", "", body, flags=re.DOTALL)
    return body.encode()


@pytest.mark.parametrize("served_as", ["content:encoded", "description"])
def test_hn_comments_escaped_twice_reach_the_summary_as_clean_paragraphs(
    served_as: str,
) -> None:
    # Given a Hacker News comment feed whose comment HTML was escaped a second time…
    feed = parse_feed(hn_comment_feed(served_as), url="https://hnrss.org/item?id=41234500")
    first, second = feed.entries

    # …each HN <p> is a paragraph of its own, links leave their text, entities are characters…
    paragraphs = first.text.splitlines()
    assert paragraphs[:5] == [
        "Meta has said for a year that they might stop open-sourcing their models.",
        "Whether people keep building on Llama after that is the real question. Most of the "
        "fine-tunes on the Hub are Llama derivatives, and those projects would have to move "
        "to Qwen or Mistral.",
        "> The license was never open source anyway",
        "That's true, but the weights were downloadable, and that is what the ecosystem was "
        "built on. See https://ai.meta.com/llama/license/ for the terms.",
        "Running a 70B model locally now costs about two consumer GPUs, so the cheaper "
        "open-weight alternatives matter more than benchmark scores.",
    ]
    assert second.text.splitlines()[:3] == [
        "> might stop open-sourcing their models",
        "They said the same about Llama 3 and shipped it anyway. I would not read too much "
        "into one interview.",
        "The real risk is the license changing for the next release, not the weights disappearing.",
    ]

    # …so what a post shows has no markup, and quoted lines are never presented as points.
    for entry in feed.entries:
        summary = ExtractiveSummarizer().summarize_sync(title=entry.title, text=entry.text)
        shown = [summary.tldr, *summary.key_points]
        assert summary.key_points
        for text in shown:
            assert not any(markup in text for markup in RAW_MARKUP), text
            assert "license was never open source" not in text
            assert not text.startswith(">")
    # A comment's TL;DR is the commenter's point, not the news they open by recalling.
    summary = ExtractiveSummarizer().summarize_sync(title=first.title, text=first.text)
    assert summary.tldr == (
        "Running a 70B model locally now costs about two consumer GPUs, so the cheaper "
        "open-weight alternatives matter more than benchmark scores."
    )


@pytest.mark.parametrize("fast", [True, False])
def test_an_entrys_picture_is_read_from_media_rss_and_image_enclosures(fast: bool) -> None:
    body = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
<link>https://ex.org/</link>
<item><title>A</title><link>https://ex.org/a</link><guid>a</guid>
  <enclosure url="/img/a.jpg" type="image/jpeg" length="1"/></item>
<item><title>B</title><link>https://ex.org/b</link><guid>b</guid>
  <media:content url="https://cdn.ex.org/b.png" medium="image"/></item>
<item><title>C</title><link>https://ex.org/c</link><guid>c</guid>
  <enclosure url="https://ex.org/c.mp3" type="audio/mpeg" length="1"/>
  <media:thumbnail url="https://cdn.ex.org/c.png"/></item>
<item><title>D</title><link>https://ex.org/d</link><guid>d</guid>
  <enclosure url="javascript:alert(1)" type="image/png" length="1"/>
  <enclosure url="https://ex.org/d.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"""
    document = read_feed(body, url="https://ex.org/feed.xml", fast=fast)
    assert [e.image_url for e in document.entries] == [
        "https://ex.org/img/a.jpg",
        "https://cdn.ex.org/b.png",
        "https://cdn.ex.org/c.png",
        None,  # not a web address, and audio is no picture
    ]


@pytest.mark.parametrize("fast", [True, False])
def test_an_atom_entrys_image_enclosure_is_its_picture(fast: bool) -> None:
    items = [FeedItem("A", "https://ex.org/a", "x", image="https://ex.org/a.png")]
    document = read_feed(atom("T", items).encode(), url="https://ex.org/f.atom", fast=fast)
    assert [e.image_url for e in document.entries] == ["https://ex.org/a.png"]
