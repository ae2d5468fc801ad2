from datetime import UTC, datetime

import pytest

from bot.feeds.parse import NotAFeedError, parse_feed
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
