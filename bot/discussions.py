"""Recaps of the discussion an item links to (Hacker News, Reddit), for its thread."""

from __future__ import annotations

import httpx

from bot.config import DiscussionSettings
from bot.content.comments import CommentFetcher, discussion_url
from bot.models import Item
from bot.summarize.llm_recap import ExtractiveRecapper, Recapper


class DiscussionRecaps:
    """Reads an item's comment thread and recaps it (extractive, or the LLM when configured);
    `FetchError` when the thread cannot be read."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        settings: DiscussionSettings,
        recapper: Recapper | None = None,
    ) -> None:
        self._recapper = recapper or ExtractiveRecapper()
        self._fetcher = CommentFetcher(
            http=http,
            hn_api=settings.hn_api,
            reddit_base=settings.reddit_base,
            max_comments=settings.max_comments,
            max_bytes=settings.max_bytes,
            deadline=settings.timeout_seconds,
        )

    async def recap_text(self, item: Item) -> str | None:
        """The recap to post, or None when the item is no discussion or too small for one."""
        ref = discussion_url(item.link, item.comments_url)
        if ref is None:
            return None
        comments = await self._fetcher.fetch(ref)
        recap = await self._recapper.recap(comments, source_url=ref.page_url)
        return recap.render() if recap else None
