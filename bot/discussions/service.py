"""Recaps of the discussion an item links to (Hacker News, Reddit), for its thread."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import httpx

from bot.clock import Clock, system_clock
from bot.config import DiscussionSettings, Settings
from bot.content.article import Article
from bot.content.relevance import Lexicon, score_relevance
from bot.decide.outbox import MAX_ATTEMPTS, retry_delay
from bot.discussions.comments import CommentFetcher, DiscussionRef, discussion_url
from bot.discussions.llm_recap import ExtractiveRecapper, Recapper, recapper_from_settings
from bot.discussions.recap import Recap
from bot.http.clients import HttpClients
from bot.http.fetch import FetchError
from bot.models import Item
from bot.store import Store
from bot.summarize.document import DocumentSummary

log = logging.getLogger(__name__)


def discussion_recaps(
    settings: Settings, clients: HttpClients, *, clock: Clock = system_clock
) -> DiscussionRecaps:
    """Comment threads read and recapped as the config says: over the web client, by the
    configured LLM if any."""
    return DiscussionRecaps(
        http=clients.web,
        settings=settings.discussions,
        recapper=recapper_from_settings(settings.llm, http=clients.llm, clock=clock),
    )


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
        recap = await self.recap_of(ref)
        return recap.render() if recap else None

    async def recap_of(self, ref: DiscussionRef) -> Recap | None:
        """The thread's recap; None when it is too small for one."""
        comments = await self._fetcher.fetch(ref)
        return await self._recapper.recap(comments, source_url=ref.page_url)


async def summarize_discussion(
    recaps: DiscussionRecaps, ref: DiscussionRef, *, source: str, lexicon: Lexicon
) -> DocumentSummary | None:
    """A Hacker News or Reddit thread summarized by its recap (who says what), as any
    document is; None when it is too small for one; `FetchError` if it cannot be read."""
    recap = await recaps.recap_of(ref)
    if recap is None:
        return None
    summary = recap.as_summary()
    text = summary.text
    relevance = await asyncio.to_thread(score_relevance, "", text, lexicon)
    title = f"Discussion on {urlsplit(ref.page_url).netloc.removeprefix('www.')}"
    article = Article(
        text=text,
        title=f"{title}: {recap.comment_count} comments",
        partial=False,
        partial_reason=None,
    )
    return DocumentSummary(source, article, summary, relevance)


class RecapWriter:
    """Writes the text of every queued recap before the publisher sends it, so a resend
    after a crash is the same message (and can be recognized in the thread)."""

    def __init__(
        self, store: Store, recaps: DiscussionRecaps, *, clock: Clock = system_clock
    ) -> None:
        self._store = store
        self._recaps = recaps
        self._now = clock
        self._failures: dict[int, int] = {}

    async def write_pending(self) -> int:
        """Write the recaps whose text is missing; return how many are ready to send."""
        written = 0
        for row in await self._store.unwritten_recaps(self._now()):
            try:
                text = await self._recaps.recap_text(row.item)
            except FetchError as exc:
                await self._retry_later(row.id, f"could not read the discussion: {exc}")
                continue
            if text is None:
                await self._store.mark_skipped(row.id, "too few comments to recap")
                continue
            await self._store.write_recap(row.id, text)
            written += 1
        return written

    async def _retry_later(self, outbox_id: int, error: str) -> None:
        failures = self._failures.get(outbox_id, 0) + 1
        self._failures[outbox_id] = failures
        if failures >= MAX_ATTEMPTS:
            await self._store.mark_failed(outbox_id, f"{error} (gave up after {failures} tries)")
            return
        log.warning("recap %s: %s; trying again later", outbox_id, error)
        await self._store.delay_row(outbox_id, error, self._now() + retry_delay(failures))
