"""Offline extractive summary: the lead sentences of the text, no model, no network."""

from __future__ import annotations

import asyncio
import re

from bot.models import Summary

# A sentence ends at . ! or ? followed by space and a capital, digit or quote; this keeps
# "v0.3.1", "e.g. this" and "$2.5M" inside their sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Dr.", "Inc.", "Fig.", "No.")


class ExtractiveSummarizer:
    """Summarizes with the text's own first sentences, up to `max_chars`."""

    def __init__(self, *, max_sentences: int = 3, max_chars: int = 400) -> None:
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    async def summarize(self, *, title: str, text: str) -> Summary:
        return await asyncio.to_thread(self.summarize_sync, title=title, text=text)

    def summarize_sync(self, *, title: str, text: str) -> Summary:
        chosen: list[str] = []
        length = 0
        for sentence in split_sentences(text):
            if sentence.strip().lower() == title.strip().lower():
                continue
            if chosen and length + len(sentence) + 1 > self.max_chars:
                break
            chosen.append(sentence)
            length += len(sentence) + 1
            if len(chosen) == self.max_sentences:
                break
        return Summary(tldr=" ".join(chosen))


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences; paragraphs (lines) always end a sentence."""
    sentences: list[str] = []
    for paragraph in text.splitlines():
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        pending = ""
        for piece in _SENTENCE_END.split(paragraph):
            pending = f"{pending} {piece}".strip() if pending else piece.strip()
            if not pending.endswith(_ABBREVIATIONS):
                sentences.append(pending)
                pending = ""
        if pending:
            sentences.append(pending)
    return sentences
