"""Offline summaries made when an item is first read: a post as it is sent, an item a member
opens. The poll does not make them: of a first poll's posts, most wait in a backlog that goes
out as one catch-up list of titles, and a summary nobody reads is CPU the cycle spends for
nothing. Once made, a summary is stored: it is made once.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.feeds.parse import item_source
from bot.models import Item, OutboxKind, OutboxRow
from bot.store import Store
from bot.summarize.extractive import ExtractiveSummarizer

# The summaries made lately, by item (its id and key: an id may be given again once its item
# is deleted): a batch of posts read from the outbox before the first was summarized holds
# the same item once for each channel that posts it.
_REMEMBERED = 1024


class ItemSummaries:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._summarizer = ExtractiveSummarizer()
        self._made: dict[tuple[int, str], str] = {}

    async def summarized(
        self, item: Item, *, feed_url: str | None = None, feed_title: str | None = None
    ) -> Item:
        """The item with its summary: made now (and stored) if it has none. `feed_url` and
        `feed_title` are the context the poll would have given it (a release feed's)."""
        if item.summary:
            return item
        summary = self._made.get((item.id, item.key))
        if summary is None:
            summary = await asyncio.to_thread(self._summarize, item, feed_url, feed_title)
            await self._store.set_summary(item.id, summary)
            if len(self._made) >= _REMEMBERED:
                del self._made[next(iter(self._made))]  # the oldest
            self._made[item.id, item.key] = summary
        return replace(item, summary=summary)

    async def sent_with(self, row: OutboxRow) -> Item:
        """The item `row` is sent with: a post's summarized, in the context of its feed (a
        note or a recap shows no summary)."""
        if row.kind is not OutboxKind.POST:
            return row.item
        return await self.summarized(row.item, feed_url=row.feed_url, feed_title=row.feed_title)

    def _summarize(self, item: Item, feed_url: str | None, feed_title: str | None) -> str:
        text, context = item_source(item, feed_url=feed_url, feed_title=feed_title)
        return self._summarizer.summarize_sync(title=item.title, text=text, context=context).text
