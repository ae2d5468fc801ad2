"""One poll cycle, end to end:

    due feeds | fetch (polite, conditional) | parse (worker) | new? | which channels
              | article | relevance | an LLM's summary | story | post, note or recap
              | store + outbox (one transaction per feed)

(The offline summary is made as the post is sent: `bot.item_summaries`.)

The pipeline carries out decisions made in `bot.decide` (entries, schedule, stories,
deliveries); it decides nothing itself. `preview` runs this same pipeline on a scratch copy
of the database, so what it shows is what the bot would queue.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock, system_clock
from bot.config import PollingSettings, Settings
from bot.content.relevance import DEFAULT_LEXICON, Lexicon, Relevance
from bot.cpu import Shared, in_worker, start_workers
from bot.decide.deliveries import plan_deliveries
from bot.decide.entries import Candidate, PostPlan, plan_posts, select_new_entries
from bot.decide.schedule import (
    SchedulePolicy,
    after_failure,
    next_poll_after_success,
    server_hints,
)
from bot.decide.stories import STORY_WINDOW, StoryRef, match_story
from bot.discussions.comments import discussion_url
from bot.feeds.parse import (
    FeedDocument,
    NotAFeedError,
    item_source,
    read_feed,
    richest_text,
)
from bot.heap import HeapSettler
from bot.http.clients import HttpClients
from bot.http.fetch import FetchedBody, Fetcher, FetchError, NotModified
from bot.http.limits import HostLimiter, HostQueue, host_of
from bot.models import Entry, Feed, Item, NewItem, Subscription, Summary
from bot.notices import pause_notice
from bot.preparation import (
    Backfill,
    Prepared,
    Preparing,
    cleaned_all,
    prepare_entries,
    read_and_prepare,
    score_all,
    scored,
)
from bot.reports import CycleReport, FeedReport, FeedStatus
from bot.roles import EVERY_FEED, Shard
from bot.server_settings import ServerSettingsService
from bot.store import (
    FeedState,
    PollFacts,
    PollResult,
    Store,
    StoredItemUpdate,
    StoreSummaryCache,
    SuccessWriter,
)
from bot.store.batch import GroupCommit
from bot.story_index import RecentStories
from bot.summarize import LocalSummarizer, Summarizer
from bot.summarize.llm import summarizer_from_settings
from bot.summarize.source import entry_context
from bot.teasers import PageArticles

log = logging.getLogger(__name__)

# Feeds worked on at once, from their fetch to their write: enough to keep every core and the
# database busy while fetches wait on the network, few enough to bound the bodies held and
# the work each turn of the event loop does (at 64 the loop woke up to 70 ms late).
IN_FLIGHT = 24
# Feeds admitted to a cycle at once (the others wait in a list, not as tasks): room for those
# worked on and as many again waiting for their host's turn.
ADMITTED = 2 * IN_FLIGHT
# At most this many feeds' writes in one transaction: enough that a commit is paid once for
# many feeds, few enough that a batch ends quickly (the publisher's writes wait for it).
COMMIT_BATCH = 32
# How long a batch that is not full waits for more feeds to join it. Feeds read again finish
# a few a millisecond: without the wait most were a transaction of their own (909–931 for
# 1,000 feeds in the bench's changed phase; 451–469 with it, and the database thread's time
# in transactions 10% less: bench/README.md, session 18).
COMMIT_GATHER_SECONDS = 0.002
# A feed read again with at most this many entries its previous document did not have gets
# them prepared in the same call to a worker (a steady poll brings one or two).
PREPARE_WITH_READING = 8
# How a feed's outcome is decided, in the store's transaction (see `_queue`).
Decide = Callable[[RecentStories, PollFacts], PollResult]


class ArticleSource(Protocol):
    """Completes teaser entries with the full text of the page they link to."""

    async def complete(self, entry: Entry) -> Entry: ...


class Pipeline:
    """Polls due feeds and turns what is new into stored items and pending posts."""

    def __init__(
        self,
        *,
        store: Store,
        fetcher: Fetcher,
        summarizer: Summarizer,
        settings: PollingSettings,
        articles: ArticleSource | None = None,
        notice_channel_id: int | None = None,
        servers: ServerSettingsService | None = None,
        lexicon: Lexicon = DEFAULT_LEXICON,
        recaps: bool = False,
        shard: Shard = EVERY_FEED,
        clock: Clock = system_clock,
    ) -> None:
        self._store = store
        self.shard = shard  # the feeds this pipeline polls when they are due
        self._now = clock
        self._fetcher = fetcher
        # An LLM summarizes what will be posted as it is polled (it is slow: ahead of the
        # sending); an offline summary is made as the post is sent (`bot.item_summaries`).
        self._ahead = None if isinstance(summarizer, LocalSummarizer) else summarizer
        self._lexicon = Shared.of(lexicon)
        self._recaps = recaps
        self._settings = settings
        self._articles = articles
        self._notice_channel_id = notice_channel_id
        self._servers = servers
        self._policy = SchedulePolicy(
            interval=timedelta(seconds=settings.interval_seconds),
            floor=timedelta(seconds=settings.min_interval_seconds),
            backoff_base=timedelta(seconds=settings.backoff_base_seconds),
            backoff_cap=timedelta(seconds=settings.backoff_max_seconds),
            pause_after_failures=settings.pause_after_failures,
        )
        self._fetch_slots = asyncio.Semaphore(settings.max_concurrent_fetches)
        self._in_flight = asyncio.Semaphore(IN_FLIGHT)
        self._recent: RecentStories | None = None
        self._index_through = 0  # the last item the headline index has learned of
        # Matching a story and writing it must not interleave between two feeds, or the
        # same story arriving from both in one cycle would become two stories: feeds are
        # decided and written one after another, many in each transaction.
        self._commits = GroupCommit(
            self._commit_batch,
            max_batch=COMMIT_BATCH,
            gather=COMMIT_GATHER_SECONDS,
            name="commits",
        )
        self._successes = SuccessWriter(store)
        self._heap = HeapSettler()
        # Reading feed documents, cleaning and scoring entries are the heavy CPU work of a poll:
        # in worker processes it uses every core and leaves the GIL to the event loop.
        self._off_loop = in_worker if settings.parse_in_processes else asyncio.to_thread

    async def start_workers(self) -> None:
        """Start the worker processes that read feeds, before the first poll needs them: a
        process that starts and polls at once would wait for them, and pay for starting
        them, in its first cycle."""
        if self._off_loop is in_worker:
            ready = await start_workers(read_and_prepare)
            log.info("%d CPU worker process(es) ready", ready)

    async def poll_due(self, *, now: datetime | None = None) -> CycleReport:
        """Poll every feed of this pipeline's shard whose time has come."""
        now = now or self._now()
        return await self.poll_feeds(await self._store.due_feeds(now, self.shard), now=now)

    async def poll_feeds(self, feeds: Sequence[Feed], *, now: datetime) -> CycleReport:
        """Poll `feeds` concurrently (bounded); one failing feed never stops the others."""
        subscriptions = await self._store.subscriptions_of([feed.id for feed in feeds])
        reports = await self._poll_admitted(feeds, subscriptions, now)
        report = CycleReport(tuple(reports))
        if feeds and self._settings.freeze_heap:
            self._heap.after_cycle()
        if feeds:
            log.info(
                "polled %d feed(s): %d updated, %d not modified, %d failed; %d queued to send",
                len(feeds),
                report.count(FeedStatus.UPDATED),
                report.count(FeedStatus.NOT_MODIFIED),
                report.count(FeedStatus.FAILED),
                report.deliveries,
            )
        return report

    async def _poll_admitted(
        self,
        feeds: Sequence[Feed],
        subscriptions: Mapping[int, Sequence[Subscription]],
        now: datetime,
    ) -> list[FeedReport]:
        """Each feed's report, in order. At most `ADMITTED` feeds are under way at once
        (10,000 feeds waiting as tasks held 30 MiB), and of each host only as many waiting
        for it or being fetched from it as it serves at once, the hosts taking turns: a
        host with hundreds of feeds behind a politeness gap fills no more places than
        that, and the others go on."""
        limiter = self._fetcher.limiter
        queue = HostQueue(
            range(len(feeds)),
            host=lambda i: host_of(feeds[i].url),
            per_host=limiter.concurrency if limiter else None,
        )
        by_feed: dict[int, FeedReport] = {}
        running: set[asyncio.Task[FeedReport]] = set()
        progress = asyncio.Event()

        def finished(i: int, task: asyncio.Task[FeedReport]) -> None:
            running.discard(task)
            if not task.cancelled():
                by_feed[i] = task.result()
            progress.set()

        def turn_over(i: int) -> None:
            queue.done(i)
            progress.set()

        try:
            while running or len(queue):
                while len(running) < ADMITTED and (i := queue.take()) is not None:
                    feed = feeds[i]
                    task = asyncio.create_task(
                        self._poll_with_slot(
                            feed,
                            now,
                            subscriptions[feed.id],
                            turn_over=functools.partial(turn_over, i),
                        )
                    )
                    task.add_done_callback(functools.partial(finished, i))
                    running.add(task)
                progress.clear()
                await progress.wait()
        finally:
            # Cancelled (the bot stopping): what is under way stops too, as it ends.
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        return [by_feed[i] for i in range(len(feeds))]

    async def _poll_with_slot(
        self,
        feed: Feed,
        now: datetime,
        subscriptions: Sequence[Subscription],
        *,
        turn_over: Callable[[], None],
    ) -> FeedReport:
        try:
            return await self.poll_feed(
                feed, now=now, subscriptions=subscriptions, turn_over=turn_over
            )
        except Exception:
            # One broken feed must never stop the others or the loop, nor be retried
            # every second: it backs off like any failing feed.
            log.exception("unexpected error while polling %s", feed.url)
            error = FetchError("internal error while reading this feed (see the bot's logs)")
            return await self._failed(feed, error, now)

    async def poll_feed(
        self,
        feed: Feed,
        *,
        now: datetime,
        subscriptions: Sequence[Subscription] | None = None,
        turn_over: Callable[[], None] | None = None,
    ) -> FeedReport:
        """Fetch, parse and store one feed; queue its posts for its `subscriptions` (read
        from the store if not given).

        The feed waits for its host's turn holding nothing, then for a place among the
        feeds being worked on (`IN_FLIGHT`: what memory holds at once), and takes one of the
        `max_concurrent_fetches` slots only for the fetch itself: a feed queued behind its
        host's politeness gap never blocks a feed on another host, and a feed being parsed
        or written never keeps another from being fetched. `turn_over` is called when its
        host's turn ends, fetched or not.
        """
        failure: FetchError | None = None
        try:
            async with self._fetcher.host_turn(feed.url):
                await self._in_flight.acquire()
                try:
                    async with self._fetch_slots:
                        body = await self._fetcher.get(
                            feed.url, etag=feed.etag, last_modified=feed.last_modified, in_turn=True
                        )
                except FetchError as exc:
                    failure = exc
                except BaseException:
                    self._in_flight.release()
                    raise
        finally:
            if turn_over is not None:
                turn_over()
        try:
            if failure is not None:
                return await self._failed(feed, failure, now)
            if subscriptions is None:
                subscriptions = await self._store.feed_subscriptions(feed.id)
            return await self._process(feed, body, subscriptions, now)
        finally:
            self._in_flight.release()

    async def _process(
        self,
        feed: Feed,
        fetched: FetchedBody | NotModified,
        subscriptions: Sequence[Subscription],
        now: datetime,
    ) -> FeedReport:
        try:
            if isinstance(fetched, NotModified):
                return await self._not_modified(feed, fetched, subscriptions, now)
            if feed.body_digest is not None and fetched.digest == feed.body_digest:
                # The very same document (a server without validators): nothing to parse.
                same = NotModified(fetched.headers, fetched.moved_to)
                return await self._not_modified(feed, same, subscriptions, now)
            document, ready = await self._read(feed, fetched, subscriptions, now)
        except (FetchError, NotAFeedError) as exc:
            return await self._failed(feed, exc, now)
        return await self._updated(feed, fetched, document, subscriptions, now, ready)

    async def _read(
        self,
        feed: Feed,
        fetched: FetchedBody,
        subscriptions: Sequence[Subscription],
        now: datetime,
    ) -> tuple[FeedDocument, Prepared | None]:
        """The document, and the entries likely to be posted (the few it adds to the
        previous one; in a first poll, what a channel's backfill takes) prepared in the same
        call to a worker when nothing has to happen between (no full article to fetch): a
        feed costs one trip to a worker, not two."""
        backfill = self._first_backfill(feed, subscriptions, now)
        if self._articles is not None or not (feed.entry_identities or backfill):
            document = await self._off_loop(
                read_feed,
                fetched.body,
                url=fetched.url,
                content_type=fetched.content_type,
                seen=feed.entry_identities,
            )
            return document, None
        return await self._off_loop(
            read_and_prepare,
            fetched.body,
            url=fetched.url,
            content_type=fetched.content_type,
            seen=feed.entry_identities,
            how=Preparing(feed.url, self._lexicon),
            at_most=PREPARE_WITH_READING,
            backfill=backfill,
        )

    def _first_backfill(
        self, feed: Feed, subscriptions: Sequence[Subscription], now: datetime
    ) -> Backfill | None:
        """For a feed read for the first time while a channel waits for its backfill."""
        count = self._settings.backfill
        if feed.entry_identities or not count or all(s.initialized for s in subscriptions):
            return None
        return Backfill(count, now, now - timedelta(days=self._settings.max_age_days))

    async def _not_modified(
        self,
        feed: Feed,
        fetched: NotModified,
        subscriptions: Sequence[Subscription],
        now: datetime,
    ) -> FeedReport:
        state = FeedState(
            next_poll_at=next_poll_after_success(
                now, self._policy, server_hints(fetched.headers, now)
            ),
            not_modified=True,
            moved_to=fetched.moved_to,
        )
        # Nothing new, but a channel that just started following still gets its backfill
        # from what is stored.
        return await self._queue(feed, subscriptions, state, [], FeedStatus.NOT_MODIFIED, now)

    async def _failed(
        self, feed: Feed, error: FetchError | NotAFeedError, now: datetime
    ) -> FeedReport:
        reason = str(error)
        log.warning("feed %s failed: %s", feed.url, reason)
        headers = error.headers if isinstance(error, FetchError) else {}
        decision = after_failure(
            now,
            self._policy,
            previous_failures=feed.failures,
            permanent=isinstance(error, FetchError) and error.permanent,
            hints=server_hints(headers, now),
        )
        notices = await self._pause_notices(feed, reason, decision.failures, decision.pause)
        state = FeedState(
            next_poll_at=decision.next_poll_at,
            error=reason,
            failures=decision.failures,
            pause_reason=reason if decision.pause else None,
        )
        await self._store.apply_poll(PollResult(feed.id, now, state, notices=notices))
        if decision.pause:
            log.warning("paused feed %s after %d failure(s)", feed.url, decision.failures)
        return FeedReport(feed.url, FeedStatus.FAILED, error=reason, paused=decision.pause)

    async def _pause_notices(
        self, feed: Feed, reason: str, failures: int, pause: bool
    ) -> list[tuple[int, str]]:
        if not pause:
            return []
        text = pause_notice(feed, reason, failures)
        if self._notice_channel_id:
            return [(self._notice_channel_id, text)]
        channels = set()
        for subscription in await self._store.feed_subscriptions(feed.id):
            server = await self._servers.get(subscription.guild_id) if self._servers else None
            channels.add((server.log_channel_id if server else None) or subscription.channel_id)
        return [(channel, text) for channel in sorted(channels)]

    async def _updated(
        self,
        feed: Feed,
        fetched: FetchedBody,
        document: FeedDocument,
        subscriptions: Sequence[Subscription],
        now: datetime,
        ready: Prepared | None = None,
    ) -> FeedReport:
        known = await self._store.known_identities(
            feed.id,
            (e.key for e in document.entries),
            (e.url_key for e in document.entries if e.url_key),
        )
        # What is known is recognized by its key; what is new carries its HTML, cleaned only
        # if it is used (posted, or read by a command).
        new_entries = select_new_entries(document.entries, known)
        hints = server_hints(fetched.headers, now, document.interval_hint)
        state = FeedState(
            next_poll_at=next_poll_after_success(now, self._policy, hints),
            title=document.title,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            moved_to=fetched.moved_to,
            body_digest=fetched.digest,
            entry_identities=document.identities,
        )
        return await self._queue(
            feed, subscriptions, state, new_entries, FeedStatus.UPDATED, now, ready
        )

    async def _queue(
        self,
        feed: Feed,
        subscriptions: Sequence[Subscription],
        state: FeedState,
        new_entries: list[Entry],
        status: FeedStatus,
        now: datetime,
        ready: Prepared | None = None,
    ) -> FeedReport:
        """Decide what each following channel gets, prepare what will be posted (full
        article, relevance, summary) and the story of every new entry, and write it all with
        the feed's new state. A cycle's cost grows with what is new, not with what is stored:
        a feed with nothing new and no channel waiting for its backfill reads nothing more."""
        backfilling = any(not s.initialized for s in subscriptions)
        if not new_entries and not backfilling:
            result = PollResult(feed.id, now, state)
            if result.only_success:
                await self._successes.write(result)
            else:
                await self._store.apply_poll(result)
            return FeedReport(feed.url, status)
        # Stored items matter only to a channel's backfill: nothing else posts them.
        stored = (
            await self._store.recent_items(feed.id, max(self._settings.backfill, 1))
            if backfilling
            else []
        )
        feed_title = state.title or feed.title
        entries, relevance, posts = await self._plan_with_relevance(
            feed, subscriptions, new_entries, stored, now, ready
        )
        posted = {post.item_key for post in posts.posts}
        summaries = await self._summaries(
            [e for e in entries if e.key in posted], feed_url=feed.url, feed_title=feed_title
        )
        stored_updates = await self._prepare_stored(
            stored, posted, relevance, feed_url=feed.url, feed_title=feed_title
        )
        discussions = self._discussions(entries, stored, posted)

        def decide(recent: RecentStories, facts: PollFacts) -> PollResult:
            # In the store's transaction: which story each entry tells, then post or note.
            new_items = _with_stories(feed.id, entries, summaries, relevance, recent, facts, now)
            story_of = {i.key: i.story_id for i in stored}
            story_of.update({n.entry.key: n.story_id for n in new_items})
            deliveries = plan_deliveries(
                posts.posts,
                story_of=story_of,
                posted_stories=facts.posted_stories(
                    {story_of[key] for key in posted if story_of.get(key) is not None},
                    (s.channel_id for s in subscriptions),
                ),
                discussions=discussions,
            )
            return PollResult(
                feed.id,
                now,
                state,
                new_items=new_items,
                deliveries=deliveries,
                initialized_subscription_ids=posts.initialized_subscription_ids,
                stored_items=stored_updates,
                skips=posts.skips,
            )

        result, _ = await self._commits.write((decide, now))
        deliveries = len(result.deliveries)
        return FeedReport(feed.url, status, new_items=len(entries), deliveries=deliveries)

    async def _plan_with_relevance(
        self,
        feed: Feed,
        subscriptions: Sequence[Subscription],
        entries: list[Entry],
        stored: Sequence[Item],
        now: datetime,
        ready: Prepared | None = None,
    ) -> tuple[list[Entry], dict[str, Relevance], PostPlan]:
        """The post plan, with relevance scored only for what it may post.

        Unscored items count as relevant while planning; whatever the plan would post is
        then completed (full article) and scored, on the text that is summarized, and the
        plan made again, until it posts only scored items. Entries only stored are never
        scored. Entries `ready` (the few new entries of a feed read again, prepared while it
        was read) are planned with their scores at once; they keep their scores even if the
        plan then posts one of them nowhere (a keyword filter, too old).
        """
        relevance: dict[str, Relevance] = {}  # new scores, to be stored
        relevant = {i.key: i.relevant for i in stored if i.relevance is not None}
        scores = {i.key: i.relevance for i in stored if i.relevance is not None}
        thresholds = await self._thresholds(subscriptions)
        by_key = {e.key: e for e in entries}
        stored_by_key = {i.key: i for i in stored}
        # Of those prepared while the feed was read, the entries not stored yet.
        prepared = ready.only(by_key.keys()) if ready is not None else None
        while True:
            if prepared is not None:
                by_key.update({e.key: e for e in prepared.entries})
                entries = [by_key[e.key] for e in entries]
                relevance.update(prepared.relevance)
            relevant.update({key: score.relevant for key, score in relevance.items()})
            scores.update({key: score.score for key, score in relevance.items()})
            plan = plan_posts(
                feed_id=feed.id,
                subscriptions=subscriptions,
                new=[
                    Candidate(
                        e.key,
                        e.published_at or now,
                        relevant.get(e.key, True),
                        e.title,
                        e.text if e.key in relevant else None,
                        scores.get(e.key),
                    )
                    for e in entries
                ],
                stored=[
                    Candidate(
                        i.key,
                        i.sort_time,
                        relevant.get(i.key, True),
                        i.title,
                        i.text if i.key in relevant else None,
                        scores.get(i.key),
                    )
                    for i in stored
                ],
                now=now,
                backfill=self._settings.backfill,
                max_age=timedelta(days=self._settings.max_age_days),
                thresholds=thresholds,
            )
            unscored = {p.item_key for p in plan.posts} - relevant.keys()
            if not unscored:
                return entries, relevance, plan
            prepared = await self._prepare([by_key[k] for k in unscored if k in by_key], feed.url)
            if stored_unscored := [stored_by_key[k] for k in unscored - by_key.keys()]:
                relevance.update(await self._relevance_of_items(stored_unscored))

    async def _prepare(self, entries: list[Entry], feed_url: str) -> Prepared:
        """New entries that may be posted, cleaned, completed (full article) and scored: in
        one call to a worker when no article is to be fetched between."""
        if self._articles is None:
            how = Preparing(feed_url, self._lexicon)
            return await self._off_loop(prepare_entries, entries, how)
        completed = await self._complete(await self._off_loop(cleaned_all, entries, feed_url))
        return await self._off_loop(scored, completed, self._lexicon)

    async def _thresholds(self, subscriptions: Sequence[Subscription]) -> dict[int, float]:
        """The relevance threshold of each subscription whose server set its own."""
        found = {}
        for subscription in subscriptions:
            server = await self._servers.get(subscription.guild_id) if self._servers else None
            if server is not None and server.relevance_threshold is not None:
                found[subscription.id] = server.relevance_threshold
        return found

    async def _prepare_stored(
        self,
        stored: Sequence[Item],
        posted: set[str],
        relevance: dict[str, Relevance],
        *,
        feed_url: str,
        feed_title: str | None,
    ) -> list[StoredItemUpdate]:
        """Scores (and an LLM's summaries) for stored items about to be posted that have
        none yet: entries that were only stored when they arrived, now a new channel's
        backfill."""
        updates = []
        for item in stored:
            if item.key not in posted:
                continue
            summary = None
            if not item.summary and self._ahead is not None:
                text, context = await asyncio.to_thread(
                    item_source, item, feed_url=feed_url, feed_title=feed_title
                )
                summary = await self._ahead.summarize(title=item.title, text=text, context=context)
            if summary is not None or item.key in relevance:
                updates.append(StoredItemUpdate(item.id, summary, relevance.get(item.key)))
        return updates

    async def _commit_batch(
        self, polls: list[tuple[Decide, datetime]]
    ) -> list[tuple[PollResult, list[StoryRef]] | Exception]:
        """Decide and write the polls waiting, in one transaction, keeping the headline
        index in step with every story and item written. If the transaction fails, each
        poll is tried again alone: one feed's failure stays its own."""
        recent = await self._recent_stories(max(now for _, now in polls))

        def written(result: PollResult, created: list[StoryRef]) -> None:
            recent.add(created)
            for item in result.new_items:
                if item.story_id is not None:
                    recent.told_by(item.story_id, result.feed_id)

        def catch_up(facts: PollFacts) -> None:
            # What other writers stored since this index last looked (another poller
            # process, a command that stored an item): its stories and who told them.
            # Once per batch, inside its transaction: nothing is written between. (The
            # previous batch's own items come back too, and are known: nothing changes.)
            self._index_through = learn_writes(recent, facts, self._index_through)

        try:
            outcomes = await self._store.commit_polls(
                [functools.partial(decide, recent) for decide, _ in polls],
                written=written,
                catch_up=catch_up,
            )
            if self._settings.freeze_heap:
                self._heap.after_write()
            return list(outcomes)
        except Exception as exc:
            self._recent = None  # it holds stories of the transaction that was undone
            if len(polls) == 1:
                return [exc]
            log.warning(
                "writing %d feeds together failed (%s); writing each alone", len(polls), exc
            )
        outcomes: list[tuple[PollResult, list[StoryRef]] | Exception] = []
        for poll in polls:
            outcomes += await self._commit_batch([poll])
        return outcomes

    async def _recent_stories(self, now: datetime) -> RecentStories:
        """The in-memory index of the stories within the window, loaded at first use."""
        if self._recent is None:
            recent = RecentStories()
            # Read first: what is written while the stories load is learned at the write.
            self._index_through = await self._store.last_item_id()
            recent.add(await self._store.recent_stories(now - STORY_WINDOW))
            self._recent = recent
        self._recent.forget_before(now - STORY_WINDOW)
        return self._recent

    def _discussions(
        self, entries: Sequence[Entry], stored: Sequence[Item], posted: set[str]
    ) -> frozenset[str]:
        """Keys of posted items that are (or link) a discussion worth a recap."""
        if not self._recaps:
            return frozenset()
        links = {e.key: (e.link, e.comments_url) for e in entries}
        links.update({i.key: (i.link, i.comments_url) for i in stored})
        return frozenset(
            key for key in posted if key in links and discussion_url(*links[key]) is not None
        )

    async def _relevance_of_items(self, items: Sequence[Item]) -> dict[str, Relevance]:
        texts = await asyncio.to_thread(lambda: [item_text(i) for i in items])
        return await self._score(
            [(i.key, i.title, text) for i, text in zip(items, texts, strict=True)]
        )

    async def _score(self, texts: Sequence[tuple[str, str, str]]) -> dict[str, Relevance]:
        return await self._off_loop(score_all, texts, self._lexicon) if texts else {}

    async def _complete(self, entries: list[Entry]) -> list[Entry]:
        """The full article of teaser entries that may be posted (only those: a new feed's
        200 old entries are stored with their feed text, not fetched page by page)."""
        if self._articles is None:
            return entries
        return list(await asyncio.gather(*(self._articles.complete(e) for e in entries)))

    async def _summaries(
        self, entries: Sequence[Entry], *, feed_url: str, feed_title: str | None
    ) -> dict[str, Summary]:
        """An LLM's summaries of what will be posted, made concurrently (none from the
        offline summarizer: it summarizes a post as it is sent)."""
        if not entries or self._ahead is None:
            return {}
        contexts = [entry_context(e, feed_url=feed_url, feed_title=feed_title) for e in entries]
        summarizer = self._ahead
        results = await asyncio.gather(
            *(
                summarizer.summarize(title=e.title, text=e.text, context=c)
                for e, c in zip(entries, contexts, strict=True)
            )
        )
        return {entry.key: summary for entry, summary in zip(entries, results, strict=True)}


def build_pipeline(
    settings: Settings,
    store: Store,
    clients: HttpClients,
    *,
    clock: Clock = system_clock,
    servers: ServerSettingsService | None = None,
    shard: Shard = EVERY_FEED,
) -> Pipeline:
    """The pipeline as the bot and the CLI run it, from the config (and, for the bot, each
    server's own settings on top); polling the feeds of `shard` only, if given."""
    fetcher = polite_fetcher(settings, clients)
    return Pipeline(
        store=store,
        fetcher=fetcher,
        summarizer=summarizer_from_settings(
            settings.llm,
            http=clients.llm,
            cache=StoreSummaryCache(store),
            clock=clock,
        ),
        settings=settings.polling,
        articles=PageArticles(fetcher) if settings.polling.full_articles else None,
        notice_channel_id=None if servers else settings.publish.log_channel_id or None,
        servers=servers,
        lexicon=settings.relevance,
        recaps=settings.discussions.enabled,
        shard=shard,
        clock=clock,
    )


def polite_fetcher(settings: Settings, clients: HttpClients) -> Fetcher:
    """Fetching for the poll: the feeds' limits and per-host politeness, from the config."""
    return Fetcher(
        clients.web,
        max_bytes=settings.polling.max_body_bytes,
        deadline=settings.polling.timeout_seconds,
        limiter=HostLimiter(
            concurrency=settings.network.per_host_concurrency,
            delay=settings.network.per_host_delay_seconds,
        ),
    )


def _with_stories(
    feed_id: int,
    entries: Sequence[Entry],
    summaries: dict[str, Summary],
    relevance: dict[str, Relevance],
    recent: RecentStories,
    facts: PollFacts,
    now: datetime,
) -> list[NewItem]:
    """The new items, each with the story it tells (None: a new story): a story with the
    entry's canonical link, else the headline index's best match, then `match_story`
    decides."""
    if not entries:
        return []
    first_linked = {
        url_key: ids[0]
        for url_key, ids in facts.stories_with_urls(e.url_key for e in entries if e.url_key).items()
    }
    by_id = recent.refs(first_linked.values())
    # A story with the same link may be older than the window (and so not in the index).
    by_id.update(
        {story.id: story for story in facts.story_refs(set(first_linked.values()) - by_id.keys())}
    )
    # A story found by its link is chosen whatever its headline: its entry needs no other.
    by_headline = {
        e.key: recent.best_match(e.title_key, e.published_at or now, feed_id)
        for e in entries
        if first_linked.get(e.url_key or "") not in by_id
    }
    by_id.update(recent.refs(i for i in by_headline.values() if i is not None))
    new_items = []
    for entry in entries:
        same_link = first_linked.get(entry.url_key or "")
        alike = by_headline.get(entry.key)
        story = match_story(
            feed_id=feed_id,
            url_key=entry.url_key,
            title_key=entry.title_key,
            when=entry.published_at or now,
            stories=[by_id[alike]] if alike in by_id else [],
            linked=by_id.get(same_link) if same_link is not None else None,
        )
        new_items.append(
            NewItem(
                entry,
                summaries.get(entry.key),
                story.id if story else None,
                relevance.get(entry.key),
            )
        )
    return new_items


def learn_writes(recent: RecentStories, facts: PollFacts, through: int) -> int:
    """Bring `recent` up to date with the items written after item `through` by others:
    their new stories indexed, their feeds recorded as telling the stories they joined.
    Returns the last item learned of."""
    written = facts.items_after(through)
    if not written:
        return through
    unknown = {story for _, story, _ in written if story not in recent}
    refs = facts.story_refs(unknown) if unknown else []
    recent.add(sorted(refs, key=lambda ref: (ref.first_seen_at, ref.id)))
    for _, story, feed in written:
        recent.told_by(story, feed)
    return written[-1][0]


def item_text(item: Item) -> str:
    """A stored item's text, cleaned now from its HTML if it was only stored until now."""
    return item.text or (richest_text(item.html) if item.html else "")
