"""Summarizers: one protocol, an offline extractive default and an OpenAI-compatible LLM."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.models import Summary


class Summarizer(Protocol):
    """Turns an item's title and plain text into the summary a post shows."""

    async def summarize(self, *, title: str, text: str) -> Summary: ...


@runtime_checkable
class LocalSummarizer(Summarizer, Protocol):
    """A summarizer that needs nothing but the CPU (and pickles): the pipeline runs a
    feed's summaries in one call in a worker process."""

    def summarize_sync(self, *, title: str, text: str) -> Summary: ...
