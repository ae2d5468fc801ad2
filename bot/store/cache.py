"""Summaries already made by an LLM, so the same text is never summarized twice."""

from __future__ import annotations

import json

from bot.models import Summary
from bot.store.base import StoreBase
from bot.store.schema import to_db_time


class SummaryCacheQueries(StoreBase):
    async def cached_summary(self, key: str) -> Summary | None:
        row = await self._fetchone("SELECT summary FROM summary_cache WHERE key = ?", (key,))
        if row is None:
            return None
        data = json.loads(row["summary"])
        return Summary(
            tldr=data["tldr"],
            key_points=tuple(data["key_points"]),
            why_it_matters=data["why_it_matters"],
            tags=tuple(data["tags"]),
        )

    async def cache_summary(self, key: str, summary: Summary) -> None:
        data = {
            "tldr": summary.tldr,
            "key_points": list(summary.key_points),
            "why_it_matters": summary.why_it_matters,
            "tags": list(summary.tags),
        }
        await self._write(
            """INSERT INTO summary_cache (key, summary, created_at) VALUES (?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET summary = excluded.summary""",
            (key, json.dumps(data), to_db_time(self.clock())),
        )


class StoreSummaryCache:
    """The LLM summarizer's cache, kept in the database across restarts."""

    def __init__(self, store: SummaryCacheQueries) -> None:
        self._store = store

    async def get(self, key: str) -> Summary | None:
        return await self._store.cached_summary(key)

    async def put(self, key: str, summary: Summary) -> None:
        await self._store.cache_summary(key, summary)
