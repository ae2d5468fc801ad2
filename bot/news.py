"""What members read: the latest items of the feeds their server follows."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.feeds.parse import item_source
from bot.models import Item, Post
from bot.posts import post_for_item
from bot.store import Store
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer

MAX_LATEST = 10  # Discord shows at most 10 embeds in one message


class NewsService:
    def __init__(self, store: Store, *, summarizer: Summarizer | None = None) -> None:
        self._store = store
        self._summarizer = summarizer or ExtractiveSummarizer()

    async def latest(
        self,
        guild_id: int,
        count: int = 5,
        *,
        tag: str | None = None,
        feed_id: int | None = None,
    ) -> list[Post]:
        """The newest `count` posts (1 to 10) from the guild's feeds, newest first (only
        those with `tag`, or from `feed_id`, when given)."""
        count = min(max(count, 1), MAX_LATEST)
        rows = await self._store.latest_items(guild_id, count, tag=tag, feed_id=feed_id)
        return [post_for_item(await self._summarized(item), source) for item, source in rows]

    async def details(self, guild_id: int, item_id: int) -> tuple[Item, str] | None:
        """A post's item in full (summarized now if it never was) and its source's name,
        if one of the guild's feeds brought it: no server reads another's items."""
        found = await self._store.item_in_guild(item_id, guild_id)
        if found is None:
            return None
        item, source = found
        return await self._summarized(item), source

    async def _summarized(self, item: Item) -> Item:
        """The item with a summary: one only stored (never posted) is summarized when it is
        first read, and the summary kept."""
        if item.summary:
            return item
        text, context = await asyncio.to_thread(item_source, item)
        summary = await self._summarizer.summarize(title=item.title, text=text, context=context)
        await self._store.set_summary(item.id, summary.text)
        return replace(item, summary=summary.text)
