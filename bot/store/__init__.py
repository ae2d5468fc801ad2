"""The only package that speaks SQL: feeds, subscriptions, stories, items, outbox, notices.

Schema changes are migrations keyed by `PRAGMA user_version` (see `schema.py`); the
database runs in WAL mode so readers never wait on the poller's writes. Queries are
grouped by what they are about; `Store` is all of them over one connection. The same
queries run on PostgreSQL when the store is opened with a `postgresql://` URL
(`postgres.py`, `schema_pg.py`; what differs is in `dialect.py`).
"""

from __future__ import annotations

from bot.store.admin import (
    AdminQueries,
    ChannelVerdict,
    DigestRunQueries,
    ItemExplanation,
    ServerSettingsQueries,
)
from bot.store.alerts import AlertQueries
from bot.store.base import StoreOpenError
from bot.store.batch import SuccessWriter
from bot.store.cache import StoreSummaryCache, SummaryCacheQueries
from bot.store.feeds import FeedQueries, SubscriptionView
from bot.store.items import ItemQueries
from bot.store.outbox import OutboxQueries
from bot.store.results import FeedState, PollResult, StoredItemUpdate
from bot.store.schema import from_db_time, to_db_time
from bot.store.search import SearchHit, SearchQueries
from bot.store.writes import PollFacts

__all__ = [
    "ChannelVerdict",
    "FeedState",
    "ItemExplanation",
    "PollFacts",
    "PollResult",
    "SearchHit",
    "Store",
    "StoreOpenError",
    "StoreSummaryCache",
    "StoredItemUpdate",
    "SubscriptionView",
    "SuccessWriter",
    "from_db_time",
    "to_db_time",
]


class Store(
    FeedQueries,
    ItemQueries,
    OutboxQueries,
    SearchQueries,
    AlertQueries,
    AdminQueries,
    ServerSettingsQueries,
    DigestRunQueries,
    SummaryCacheQueries,
):
    """Async access to the Bazaar database. Create with `await Store.open(path)`."""
