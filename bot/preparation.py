"""What a new entry needs before it is posted, the poll's CPU work: its text cleaned, its
relevance scored, its summary made (offline). The pipeline sends these calls to worker
processes, so this module imports only what they need: a worker is a process of its own,
and every module it imports is memory it holds (the pipeline's imports would double it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.content.relevance import Lexicon, score_relevance
from bot.cpu import Shared
from bot.decide.entries import PostRule, newest
from bot.feeds.parse import FeedDocument, cleaned, read_feed
from bot.models import Entry, Relevance, Summary
from bot.summarize import LocalSummarizer
from bot.summarize.source import SourceContext, entry_context


@dataclass(frozen=True)
class Prepared:
    """New entries made ready to post: cleaned (and completed), scored, some summarized."""

    entries: list[Entry]
    relevance: dict[str, Relevance]
    summaries: dict[str, Summary]

    def only(self, keys: Collection[str]) -> Prepared:
        """What was prepared of the entries with `keys`."""
        return Prepared(
            [e for e in self.entries if e.key in keys],
            {k: score for k, score in self.relevance.items() if k in keys},
            {k: summary for k, summary in self.summaries.items() if k in keys},
        )


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


@dataclass(frozen=True)
class Backfill:
    """A feed read for the first time for channels that start following it: they get its
    newest `count` entries, those dated after `oldest` (an undated entry counts as `now`)."""

    count: int
    now: datetime
    oldest: datetime

    def likely_posted(self, entries: Sequence[Entry]) -> list[Entry]:
        """The entries a channel's backfill posts when its filters take them all, as
        `plan_posts` chooses them: the newest, none too old."""
        chosen = newest(entries, self.count, time=self._time_of)
        return [entry for entry in chosen if self._time_of(entry) >= self.oldest]

    def _time_of(self, entry: Entry) -> datetime:
        return entry.published_at or self.now  # as the pipeline dates a candidate


def read_and_prepare(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    seen: bytes | None,
    how: Preparing,
    at_most: int,
    backfill: Backfill | None = None,
) -> tuple[FeedDocument, Prepared | None]:
    """`read_feed`, and the entries it finds likely to be posted prepared too, in the same
    call: saves the feed a second trip to a worker. Those are, for a feed polled again, the
    entries its previous document did not have if there are at most `at_most` (a few new
    entries: the common case; every new entry is likely posted); for a feed read for the
    first time, those its `backfill` would post."""
    document = read_feed(body, url=url, content_type=content_type, seen=seen)
    if backfill is not None:
        entries = backfill.likely_posted(document.entries)
    elif document.identities and 0 < len(document.entries) <= at_most:
        entries = document.entries
    else:
        return document, None
    how = replace(how, feed_title=document.title or how.feed_title)  # as the pipeline names it
    return document, prepare_entries(entries, how)


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
