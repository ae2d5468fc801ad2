"""Per-host politeness: few requests at once to one host, and a gap between them."""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T", bound=Hashable)


@functools.lru_cache(maxsize=32_768)  # asked twice a cycle for every feed, the same URLs
def host_of(url: str) -> str:
    """The host that politeness counts `url`'s requests against."""
    return (urlsplit(url).hostname or "").lower()


class HostLimiter:
    """Limits requests per host: at most `concurrency` at once, starts `delay` seconds apart.

    Many feeds live on one host (GitHub release feeds, Reddit, arXiv); without this a
    poll cycle would hit that host with every feed at the same moment.
    """

    def __init__(self, *, concurrency: int, delay: float) -> None:
        self._concurrency = concurrency
        self._delay = delay
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._gates: dict[str, asyncio.Lock] = {}
        self._last_start: dict[str, float] = {}

    @property
    def concurrency(self) -> int:
        """Requests to one host at once."""
        return self._concurrency

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = host_of(url)
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self._concurrency))
        async with semaphore:
            await self._wait_for_gap(host)
            yield

    async def _wait_for_gap(self, host: str) -> None:
        gate = self._gates.setdefault(host, asyncio.Lock())
        async with gate:
            last = self._last_start.get(host)
            if last is not None:
                wait = last + self._delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            self._last_start[host] = time.monotonic()


class HostQueue(Generic[T]):
    """Work for many hosts, handed out so that what waits for a busy host never keeps
    another host's work from starting: the next item comes from a host with fewer than
    `per_host` under way (None: no limit), the hosts taking turns; within a host, in the
    order given. Only bookkeeping: the caller starts the work, and says when it is `done`.
    """

    def __init__(
        self, items: Iterable[T], *, host: Callable[[T], str], per_host: int | None
    ) -> None:
        self._per_host = per_host
        self._host: dict[T, str] = {}
        self._waiting: dict[str, deque[T]] = {}
        for item in items:
            self._host[item] = name = host(item)
            self._waiting.setdefault(name, deque()).append(item)
        self._left = len(self._host)
        self._under_way: dict[str, int] = {}
        # The hosts that have work waiting and may start one more now, next turn first.
        self._turns: deque[str] = deque(self._waiting)

    def __len__(self) -> int:
        """Items not handed out yet."""
        return self._left

    def take(self) -> T | None:
        """The next item that may start now, or None (nothing left, or every host that
        has work waiting is at its limit until some of its work is `done`)."""
        if not self._turns:
            return None
        host = self._turns.popleft()
        waiting = self._waiting[host]
        item = waiting.popleft()
        self._left -= 1
        self._under_way[host] = under_way = self._under_way.get(host, 0) + 1
        if not waiting:
            del self._waiting[host]
        elif self._per_host is None or under_way < self._per_host:
            self._turns.append(host)
        return item

    def done(self, item: T) -> None:
        """`item`, handed out by `take`, is done with its host: the host may start another."""
        host = self._host.pop(item)
        under_way = self._under_way[host] - 1
        if under_way:
            self._under_way[host] = under_way
        else:
            del self._under_way[host]
        # At its limit until now, so not in the turns: its turn comes again.
        if host in self._waiting and self._per_host is not None and under_way == self._per_host - 1:
            self._turns.append(host)
