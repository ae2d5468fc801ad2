"""A summary of any public web page a member asks for (/news summarize): fetched with the
feeds' guard and limits, cached by canonical link, a few per member at a time."""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, system_clock
from bot.content.article import extract_article_async
from bot.content.identity import canonical_url
from bot.content.relevance import DEFAULT_LEXICON, Lexicon, score_relevance
from bot.discussions.comments import DiscussionRef, discussion_url
from bot.discussions.service import DiscussionRecaps, summarize_discussion
from bot.http.fetch import Fetcher, FetchError
from bot.models import Post
from bot.posts import make_post
from bot.summarize import Summarizer
from bot.summarize.document import DocumentSummary
from bot.summarize.source import SourceContext

CACHE_SIZE = 256
CACHE_FOR = timedelta(hours=6)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class Refusal(Exception):
    """The page will not be summarized; `str()` says why, in plain words for the member."""


@dataclass(frozen=True)
class RateLimit:
    requests: int = 5
    per: timedelta = timedelta(minutes=10)


def wait_before_next(asked_at: Sequence[datetime], now: datetime, limit: RateLimit) -> timedelta:
    """How long a member who asked at `asked_at` must wait before asking again (zero: now)."""
    recent = sorted(t for t in asked_at if now - t < limit.per)
    if len(recent) < limit.requests:
        return timedelta(0)
    return recent[-limit.requests] + limit.per - now


@dataclass(frozen=True)
class PageSummary:
    post: Post  # as a post of it would look
    document: DocumentSummary
    cached: bool


class OnDemandSummaries:
    def __init__(
        self,
        *,
        fetcher: Fetcher,
        summarizer: Summarizer,
        lexicon: Lexicon = DEFAULT_LEXICON,
        limit: RateLimit = RateLimit(),
        clock: Clock = system_clock,
        discussions: DiscussionRecaps | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._discussions = discussions
        self._summarizer = summarizer
        self._lexicon = lexicon
        self._limit = limit
        self._now = clock
        self._asked: dict[int, deque[datetime]] = {}
        self._cache: OrderedDict[str, tuple[datetime, PageSummary]] = OrderedDict()

    def check(self, member_id: int, url: str) -> str:
        """The page's canonical link if `member_id` may have it summarized now; else
        `Refusal` (not a web link, or too many requests: with the time left)."""
        link = canonical_url(url.strip())
        if link is None:
            raise Refusal("That is not a web link: give a full http:// or https:// address.")
        if self._cached(link) is None:
            wait = wait_before_next(self._asked.get(member_id, ()), self._now(), self._limit)
            if wait > timedelta(0):
                minutes = math.ceil(wait.total_seconds() / 60)
                raise Refusal(
                    f"You can ask for {self._limit.requests} summaries every "
                    f"{_minutes(self._limit.per)}; try again in {minutes} minute"
                    f"{'s' if minutes != 1 else ''}."
                )
        return link

    async def summarize(self, member_id: int, url: str) -> PageSummary:
        """The summary of the page at `url` for `member_id` (see `check`); `Refusal` if the
        page cannot be read or is not an article."""
        link = self.check(member_id, url)
        if (cached := self._cached(link)) is not None:
            return cached
        self._asked.setdefault(member_id, deque(maxlen=self._limit.requests)).append(self._now())
        summary = PageSummary(*await self._summarize(link), cached=False)
        self._cache[link] = (self._now(), summary)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return summary

    def _cached(self, link: str) -> PageSummary | None:
        found = self._cache.get(link)
        if found is None or self._now() - found[0] > CACHE_FOR:
            return None
        self._cache.move_to_end(link)
        return PageSummary(found[1].post, found[1].document, cached=True)

    async def _summarize(self, link: str) -> tuple[Post, DocumentSummary]:
        ref = discussion_url(link, None)
        if ref is not None and self._discussions is not None:
            return await self._recap(link, ref, self._discussions)
        try:
            page = await self._fetcher.get_page(link)
        except FetchError as exc:
            raise Refusal(f"Could not read that page: {exc}.") from None
        kind = (page.content_type or "").split(";")[0].strip().lower()
        if kind not in _HTML_TYPES:
            raise Refusal(
                f"That link is not a web page ({kind or 'no content type'}): only articles "
                "can be summarized."
            )
        article = await extract_article_async(page.body, url=page.url)
        if not article.text.strip():
            raise Refusal("That page has no article text that could be read.")
        title = article.title or link
        summary = await self._summarizer.summarize(
            title=title,
            text=article.text,
            context=SourceContext(link=page.url, links=article.links),
        )
        relevance = await asyncio.to_thread(score_relevance, title, article.text, self._lexicon)
        document = DocumentSummary(link, article, summary, relevance)
        post = make_post(
            title=title,
            url=page.url,
            summary=summary.text,
            source_name=_host(page.url),
            published_at=None,
            partial_reason=article.partial_reason if article.partial else None,
            tags=summary.tags or relevance.tags,
        )
        return post, document

    async def _recap(
        self, link: str, ref: DiscussionRef, discussions: DiscussionRecaps
    ) -> tuple[Post, DocumentSummary]:
        """A Hacker News or Reddit thread is summarized by its recap: who says what."""
        try:
            found = await summarize_discussion(discussions, ref, source=link, lexicon=self._lexicon)
        except FetchError as exc:
            raise Refusal(f"Could not read that discussion: {exc}.") from None
        if found is None:
            raise Refusal("That discussion has too few comments to recap yet.")
        post = make_post(
            title=found.article.title or link,
            url=ref.page_url,
            summary=found.summary.text,
            source_name=_host(ref.page_url),
            published_at=None,
            tags=found.relevance.tags,
        )
        return post, found


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} minutes" if minutes != 1 else "minute"
