"""Summarize one document (a web page or a local file), as `python -m bot summarize` does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.content.article import Article, extract_article_async
from bot.content.relevance import DEFAULT_LEXICON, Lexicon, Relevance, score_relevance
from bot.content.text import unwrap_plain_text
from bot.http.fetch import Fetcher, FetchError
from bot.models import Summary
from bot.summarize import Summarizer
from bot.summarize.source import SourceContext


class DocumentError(Exception):
    """The document could not be read; the message says why."""


@dataclass(frozen=True)
class DocumentSummary:
    source: str
    article: Article
    summary: Summary
    relevance: Relevance


async def read_document(source: str, *, fetcher: Fetcher) -> Article:
    """The article at `source`: an http(s) URL, or a path to an HTML or plain-text file
    (within the fetcher's byte cap either way)."""
    if source.startswith(("http://", "https://")):
        try:
            page = await fetcher.get_page(source)
        except FetchError as exc:
            raise DocumentError(f"cannot read {source}: {exc}") from None
        return await _article_from_bytes(page.body, url=page.url)
    try:
        data, uri = await asyncio.to_thread(_read_file, Path(source), fetcher.max_bytes)
    except OSError as exc:
        raise DocumentError(f"cannot read {source}: {exc.strerror or exc}") from None
    return await _article_from_bytes(data, url=uri)


def _read_file(path: Path, max_bytes: int) -> tuple[bytes, str]:
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DocumentError(f"{path} is larger than the {max_bytes:,} byte limit")
    return data, path.resolve().as_uri()


async def _article_from_bytes(data: bytes, *, url: str) -> Article:
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"<article")):
        return await extract_article_async(data, url=url)
    # Plain text: the first line is the title, the rest the text.
    text = data.decode("utf-8", errors="replace").strip()
    title, _, body = text.partition("\n")
    body = unwrap_plain_text(body)
    return Article(
        text=body.strip() or title, title=title.strip() or None, partial=False, partial_reason=None
    )


async def summarize_document(
    source: str,
    *,
    fetcher: Fetcher,
    summarizer: Summarizer,
    lexicon: Lexicon = DEFAULT_LEXICON,
) -> DocumentSummary:
    """Read, extract and summarize `source`; score its relevance to open-source AI."""
    article = await read_document(source, fetcher=fetcher)
    if not article.text.strip():
        raise DocumentError(f"found no readable text in {source}")
    title = article.title or source
    context = SourceContext(link=source, links=article.links)
    summary = await summarizer.summarize(title=title, text=article.text, context=context)
    relevance = await asyncio.to_thread(score_relevance, title, article.text, lexicon)
    return DocumentSummary(source, article, summary, relevance)
