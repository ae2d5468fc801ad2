"""What members read: the latest items of the feeds their server follows."""

from __future__ import annotations

from bot.item_summaries import ItemSummaries
from bot.models import Item, Post
from bot.posts import post_for_item
from bot.store import Store

MAX_LATEST = 10  # Discord shows at most 10 embeds in one message


class NewsService:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._summaries = ItemSummaries(store)

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
        summarized = self._summaries.summarized
        return [post_for_item(await summarized(item), source) for item, source in rows]

    async def details(self, guild_id: int, item_id: int) -> tuple[Item, str] | None:
        """A post's item in full (summarized now if it never was) and its source's name,
        if one of the guild's feeds brought it: no server reads another's items."""
        found = await self._store.item_in_guild(item_id, guild_id)
        if found is None:
            return None
        item, source = found
        return await self._summaries.summarized(item), source
