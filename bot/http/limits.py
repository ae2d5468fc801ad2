"""Per-host politeness: few requests at once to one host, and a gap between them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


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

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = (urlsplit(url).hostname or "").lower()
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
