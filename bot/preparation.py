"""What a new entry needs before it is posted, the poll's CPU work: its text cleaned, its
relevance scored, its summary made (offline). The pipeline sends these calls to worker
processes, so this module imports only what they need: a worker is a process of its own,
and every module it imports is memory it holds (the pipeline's imports would double it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.content.relevance import Lexicon, score_relevance
from bot.cpu import Shared
from bot.decide.entries import PostRule
from bot.feeds.parse import cleaned
from bot.models import Entry, Relevance, Summary
from bot.summarize import LocalSummarizer
from bot.summarize.source import SourceContext, entry_context


@dataclass(frozen=True)
class Prepared:
    """New entries made ready to post: cleaned (and completed), scored, some summarized."""

    entries: list[Entry]
    relevance: dict[str, Relevance]
    summaries: dict[str, Summary]


@dataclass(frozen=True)
class Preparing:
    """How one feed's new entries are prepared: where they come from, the lexicon they are
    scored with, the local summarizer (None: the summaries are made later, by an LLM), and
    which channels would post them."""

    feed_url: str
    feed_title: str | None
    lexicon: Shared[Lexicon]
    summarizer: LocalSummarizer | None
    rule: PostRule


def prepare_entries(entries: Sequence[Entry], how: Preparing) -> Prepared:
    """`entries` cleaned from their HTML, then `score_and_summarize`."""
    return score_and_summarize(cleaned_all(entries, how.feed_url), how)


def score_and_summarize(entries: Sequence[Entry], how: Preparing) -> Prepared:
    """`entries` scored, and summarized (with a local summarizer) when some channel would
    post them at their score."""
    relevance = score_all([(e.key, e.title, e.text) for e in entries], how.lexicon)
    summaries = {}
    if how.summarizer is not None:
        for entry in entries:
            if how.rule.may_post(relevance[entry.key]):
                context = entry_context(entry, feed_url=how.feed_url, feed_title=how.feed_title)
                summaries[entry.key] = how.summarizer.summarize_sync(
                    title=entry.title, text=entry.text, context=context
                )
    return Prepared(list(entries), relevance, summaries)


def score_all(
    texts: Sequence[tuple[str, str, str]], lexicon: Shared[Lexicon]
) -> dict[str, Relevance]:
    terms = lexicon.get()
    return {key: score_relevance(title, text, terms) for key, title, text in texts}


def summarize_all(
    texts: Sequence[tuple[str, str, str, SourceContext]], summarizer: LocalSummarizer
) -> dict[str, Summary]:
    return {
        key: summarizer.summarize_sync(title=title, text=text, context=context)
        for key, title, text, context in texts
    }


def cleaned_all(entries: Sequence[Entry], feed_url: str) -> list[Entry]:
    return [cleaned(entry, feed_url=feed_url) for entry in entries]
