"""What a new entry needs before it is posted, the poll's CPU work: its text cleaned and its
relevance scored (its offline summary is made as it is posted: `bot.item_summaries`). The
pipeline sends these calls to worker processes, so this module imports only what they
need: a worker is a process of its own, and every module it imports is memory it holds
(the pipeline's imports would double it).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.content.relevance import Lexicon, score_relevance
from bot.cpu import Shared
from bot.decide.entries import newest
from bot.feeds.parse import FeedDocument, cleaned, read_feed
from bot.models import Entry, Relevance


@dataclass(frozen=True)
class Prepared:
    """New entries made ready to post: cleaned (and completed), and scored."""

    entries: list[Entry]
    relevance: dict[str, Relevance]

    def only(self, keys: Collection[str]) -> Prepared:
        """What was prepared of the entries with `keys`."""
        return Prepared(
            [e for e in self.entries if e.key in keys],
            {k: score for k, score in self.relevance.items() if k in keys},
        )


@dataclass(frozen=True)
class Preparing:
    """How one feed's new entries are prepared: where they come from (what their relative
    links are relative to), and the lexicon they are scored with."""

    feed_url: str
    lexicon: Shared[Lexicon]


def prepare_entries(entries: Sequence[Entry], how: Preparing) -> Prepared:
    """`entries` cleaned from their HTML, then scored."""
    return scored(cleaned_all(entries, how.feed_url), how.lexicon)


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
    return document, prepare_entries(entries, how)


def scored(entries: Sequence[Entry], lexicon: Shared[Lexicon]) -> Prepared:
    """`entries` with their relevance scores."""
    return Prepared(list(entries), score_all([(e.key, e.title, e.text) for e in entries], lexicon))


def score_all(
    texts: Sequence[tuple[str, str, str]], lexicon: Shared[Lexicon]
) -> dict[str, Relevance]:
    terms = lexicon.get()
    return {key: score_relevance(title, text, terms) for key, title, text in texts}


def cleaned_all(entries: Sequence[Entry], feed_url: str) -> list[Entry]:
    return [cleaned(entry, feed_url=feed_url) for entry in entries]
