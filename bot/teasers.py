"""Complete teaser entries with the article their link points to."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.content.article import extract_article_async, looks_like_teaser
from bot.http.fetch import Fetcher, FetchError
from bot.models import Entry

log = logging.getLogger(__name__)


class PageArticles:
    """Fetches the page of a teaser entry and extracts its main text.

    A page that is a paywall or login stub marks the entry partial instead of having
    the stub summarized as if it were the article. Failures keep the feed's own text.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher

    async def complete(self, entry: Entry) -> Entry:
        if not entry.link or not looks_like_teaser(entry.text):
            return entry
        try:
            page = await self._fetcher.get_page(entry.link)
        except FetchError as exc:
            log.info("kept the feed's teaser for %s: %s", entry.link, exc)
            return entry
        article = await extract_article_async(page.body, url=page.url)
        entry = replace(entry, image_url=entry.image_url or article.image)
        if article.partial:
            return replace(entry, partial_reason=article.partial_reason or "partial article")
        if len(article.text) > len(entry.text):
            return replace(entry, text=article.text)
        return entry
