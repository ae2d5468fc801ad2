"""What a post looks like, decided once for Discord, the preview and every later surface."""

from __future__ import annotations

from datetime import datetime

from bot.content.text import collapse_whitespace, shorten
from bot.discussions.comments import discussion_url
from bot.models import Item, Post

TITLE_LIMIT = 256
SUMMARY_LIMIT = 1000
THREAD_NAME_LIMIT = 100


def make_post(
    *,
    title: str,
    url: str | None,
    summary: str,
    source_name: str,
    published_at: datetime | None,
    partial_reason: str | None = None,
    tags: tuple[str, ...] = (),
    item_id: int | None = None,
    discussion_url: str | None = None,
    image_url: str | None = None,
) -> Post:
    """Compose a post within Discord's limits; text is trimmed at a word boundary."""
    clean_title = collapse_whitespace(title) or "(untitled)"
    return Post(
        title=shorten(clean_title, TITLE_LIMIT),
        url=url if url and url.startswith(("http://", "https://")) else None,
        summary=shorten(summary.strip(), SUMMARY_LIMIT),
        source_name=shorten(collapse_whitespace(source_name), TITLE_LIMIT),
        published_at=published_at,
        thread_name=shorten(clean_title, THREAD_NAME_LIMIT),
        partial_note=_partial_note(partial_reason),
        tags=tags,
        item_id=item_id,
        discussion_url=discussion_url if _web(discussion_url) else None,
        image_url=image_url if _web(image_url) else None,
    )


def _web(url: str | None) -> bool:
    return bool(url) and url.startswith(("http://", "https://")) and len(url) <= 512


def _partial_note(reason: str | None) -> str | None:
    if not reason:
        return None
    return shorten(f"Only part of the article could be read ({reason}); see the source.", 200)


def post_for_item(item: Item, source_name: str) -> Post:
    """The post for a stored item."""
    return make_post(
        title=item.title,
        url=item.link,
        summary=item.summary,
        source_name=source_name,
        published_at=item.published_at,
        partial_reason=item.partial_reason,
        tags=item.tags,
        item_id=item.id,
        discussion_url=_discussion_page(item),
        image_url=item.image_url,
    )


def _discussion_page(item: Item) -> str | None:
    """The thread where the item is discussed: HN or Reddit if it is (or links) one, else
    the comments page the feed names."""
    ref = discussion_url(item.link, item.comments_url)
    return ref.page_url if ref else item.comments_url
