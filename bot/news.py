"""What members read: the latest items of the feeds their server follows."""

from __future__ import annotations

from bot.models import Post
from bot.posts import post_for_item
from bot.store import Store

MAX_LATEST = 10  # Discord shows at most 10 embeds in one message


class NewsService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def latest(self, guild_id: int, count: int = 5) -> list[Post]:
        """The newest `count` posts (1 to 10) from the guild's feeds, newest first."""
        count = min(max(count, 1), MAX_LATEST)
        rows = await self._store.latest_items(guild_id, count)
        return [post_for_item(item, source) for item, source in rows]
