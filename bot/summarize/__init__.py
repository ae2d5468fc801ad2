"""Summarizers: one protocol, an offline extractive default and an OpenAI-compatible LLM."""

from __future__ import annotations

from typing import Protocol

from bot.models import Summary


class Summarizer(Protocol):
    """Turns an item's title and plain text into the summary a post shows."""

    async def summarize(self, *, title: str, text: str) -> Summary: ...
