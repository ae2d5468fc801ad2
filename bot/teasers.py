"""Complete teaser entries with the article their link points to."""

from __future__ import annotations

import logging
from dataclasses import replace

import httpx

from bot.content.article import extract_article_async, looks_like_teaser
from bot.http.fetch import FetchedBody, FetchError, fetch
from bot.http.limits import HostLimiter
from bot.models import Entry

log = logging.getLogger(__name__)

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


class PageArticles:
    """Fetches the page of a teaser entry and extracts its main text.

    A page that is a paywall or login stub marks the entry partial instead of having
    the stub summarized as if it were the article. Failures keep the feed's own text.
    """

    def __init__(
        self, *, http: httpx.AsyncClient, limiter: HostLimiter, max_bytes: int, deadline: float
    ) -> None:
        self._http = http
        self._limiter = limiter
        self._max_bytes = max_bytes
        self._deadline = deadline

    async def complete(self, entry: Entry) -> Entry:
        if not entry.link or not looks_like_teaser(entry.text):
            return entry
        try:
            async with self._limiter.slot(entry.link):
                page = await fetch(
                    self._http,
                    entry.link,
                    max_bytes=self._max_bytes,
                    deadline=self._deadline,
                    accept=HTML_ACCEPT,
                )
        except FetchError as exc:
            log.info("kept the feed's teaser for %s: %s", entry.link, exc)
            return entry
        if not isinstance(page, FetchedBody):
            return entry
        article = await extract_article_async(page.body, url=page.url)
        if article.partial:
            return replace(entry, partial_reason=article.partial_reason or "partial article")
        if len(article.text) > len(entry.text):
            return replace(entry, text=article.text)
        return entry
