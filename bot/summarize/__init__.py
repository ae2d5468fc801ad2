"""Summarizers: one protocol, an offline extractive default and an OpenAI-compatible LLM."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.models import Summary
from bot.summarize.source import NO_CONTEXT, SourceContext


class Summarizer(Protocol):
    """Turns an item's title and plain text into the summary a post shows; the context
    (its address, feed, links and quotes) says what kind of item it is."""

    async def summarize(
        self, *, title: str, text: str, context: SourceContext = NO_CONTEXT
    ) -> Summary: ...


@runtime_checkable
class LocalSummarizer(Summarizer, Protocol):
    """A summarizer that needs nothing but the CPU (and pickles): the pipeline runs a
    feed's summaries in one call in a worker process."""

    def summarize_sync(
        self, *, title: str, text: str, context: SourceContext = NO_CONTEXT
    ) -> Summary: ...
