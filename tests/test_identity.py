from datetime import UTC, datetime, timedelta

import pytest

from bot.content.identity import canonical_url, title_key, url_key
from bot.decide.stories import StoryRef, match_story

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        ("HTTPS://Example.ORG/post?utm_source=rss&utm_medium=x#top", "https://example.org/post"),
        ("https://example.org/p?id=7&fbclid=abc&gclid=1&ref=hn", "https://example.org/p?id=7"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org", "https://example.org/"),
        ("ftp://example.org/a", None),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_canonical_links_drop_trackers_fragments_and_case(link: str, canonical: str | None) -> None:
    assert canonical_url(link) == canonical


def test_relative_links_resolve_against_the_feed() -> None:
    assert (
        canonical_url("../b", base="https://example.org/blog/feed.xml") == "https://example.org/b"
    )


def test_the_same_page_has_one_identity_however_it_is_linked() -> None:
    keys = {
        url_key("https://www.example.org/post/"),
        url_key("http://example.org/post"),
        url_key("https://example.org/post"),
    }
    assert len(keys) == 1


def test_title_keys_ignore_case_punctuation_and_a_trailing_source_name() -> None:
    assert title_key("Mistral releases Large 3 under Apache 2.0 - The Verge") == title_key(
        "Mistral Releases Large 3 Under Apache 2.0!"
    )


def test_title_keys_keep_dots_inside_words_only() -> None:
    assert title_key("...llama.cpp. b7214 speeds up Qwen2.5.. on M3 #1") == (
        "llama.cpp b7214 speeds up qwen2.5 on m3 #1"
    )
    assert title_key("Ｑｗｅｎ ﬁne-tunes") == "qwen fine tunes"  # NFKC: full-width, ligature


def test_link_keys_are_the_same_for_plain_and_parsed_links() -> None:
    assert url_key("https://www.example.org") == url_key("https://example.org/") == "example.org/"
    assert url_key("https://example.org/a/b/") == "example.org/a/b"
    assert url_key("https://Example.org:8080/a/?q=1") == "Example.org:8080/a?q=1"


def story(
    id: int, title: str, *, url: str | None = None, feed: int = 1, hours: float = 1
) -> StoryRef:
    return StoryRef(id, url, title_key(title), frozenset({feed}), NOW - timedelta(hours=hours))


def test_a_story_is_matched_by_link_or_by_a_near_identical_title_from_another_feed() -> None:
    stories = [
        story(1, "Qwen 3 released with open weights", url="example.org/qwen3"),
        story(2, "Meta releases Llama 4 with open weights under new licence"),
    ]
    by_link = match_story(
        feed_id=2, url_key="example.org/qwen3", title_key="x", when=NOW, stories=stories
    )
    assert by_link is not None and by_link.id == 1
    by_title = match_story(
        feed_id=2,
        url_key="other.org/llama4",
        title_key=title_key("Meta releases Llama 4 with open weights under new licence | TechNews"),
        when=NOW,
        stories=stories,
    )
    assert by_title is not None and by_title.id == 2


def test_short_titles_same_feed_titles_and_old_stories_are_not_merged() -> None:
    stories = [
        story(1, "v1.2.0"),
        story(2, "Release notes for the new llama.cpp server", feed=3),
        story(3, "Mistral announces new open weights model today", hours=24 * 5),
    ]

    def match(title: str, feed: int = 2) -> StoryRef | None:
        return match_story(
            feed_id=feed, url_key=None, title_key=title_key(title), when=NOW, stories=stories
        )

    assert match("v1.2.0") is None
    assert match("Release notes for the new llama.cpp server", feed=3) is None
    assert match("Mistral announces new open weights model today") is None


def test_the_fast_path_for_already_canonical_links_changes_nothing_the_full_path_would() -> None:
    import random
    import re

    import bot.content.identity as identity

    def full_path(link: str, base: str | None) -> str | None:
        fast, identity._PLAIN_URL = identity._PLAIN_URL, re.compile(r"(?!)")
        try:
            return canonical_url(link, base)
        finally:
            identity._PLAIN_URL = fast

    pick = random.Random(7)
    for _ in range(5000):
        host = "".join(pick.choice("abz09.-") for _ in range(pick.randint(0, 8)))
        path = "".join(pick.choice("aZ09.-/_~%:@!$'()*+,;=?#& \té") for _ in range(9))
        link = pick.choice(["http://", "https://", "HTTP://"]) + host + pick.choice(["", "/"])
        for base in (None, "https://feeds.example/x/"):
            assert canonical_url(link + path, base) == full_path(link + path, base), link + path
