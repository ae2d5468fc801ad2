"""CPU-heavy work in worker processes: reading feed documents uses every core, and never
holds the GIL that the event loop (and with it the gateway heartbeat) needs.

One pool per process, started at first use (or when the bot starts: `start_workers`) and
shared by every pipeline in it (the bot has one; a test session has many, and must not start
a pool for each). Worker processes are spawned, not forked: the bot has threads (aiosqlite's,
the resolver's) that a fork would copy mid-operation. The pool ends with the interpreter
(concurrent.futures joins it at exit), or earlier with `shutdown`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar, cast

from bot.heap import collect_less_often

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

PARENT_CHECK_SECONDS = 1.0
# Workers run at the lowest priority: what they do (reading documents) can wait, what the
# bot's own process does cannot — the event loop (the gateway heartbeat) and the database
# writer that every feed's write goes through one after another. On two cores, with the
# workers at the same priority, the writer spent almost a third of a first poll waiting
# for a core.
WORKER_NICENESS = 19
READY_CHECK_SECONDS = 0.02
READY_TIMEOUT_SECONDS = 30.0

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def worker_count() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


async def in_worker(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` in a worker process (`fn`, its arguments and its result must
    pickle). If the pool broke (a worker was killed), a new one is started for the next
    call and this one runs in a thread instead: the work is done either way."""
    loop = asyncio.get_running_loop()
    call = functools.partial(fn, *args, **kwargs)
    try:
        return await loop.run_in_executor(_shared_pool(), call)
    except BrokenProcessPool:
        log.warning("a CPU worker process died; starting new ones")
        _discard_pool()
        return await asyncio.to_thread(call)


async def start_workers(touch: Callable[..., object]) -> int:
    """Start every worker process now and have each import the module of `touch` (a
    function of the module the work sent to them comes from: sending it imports its
    module), so that the first cycle after the bot starts does not wait for interpreters
    to start and import, nor pay for it. Returns how many workers are ready (fewer only if
    `READY_TIMEOUT_SECONDS` passed first, or the pool broke)."""
    loop = asyncio.get_running_loop()
    wanted = worker_count()
    ready: set[int] = set()
    deadline = loop.time() + READY_TIMEOUT_SECONDS
    try:
        # A worker still starting takes no call, and a ready one may take every call of a
        # round: ask again until each has answered.
        while True:
            pool = _shared_pool()
            calls = [loop.run_in_executor(pool, _pid_after, touch) for _ in range(wanted)]
            ready.update(await asyncio.gather(*calls))
            if len(ready) >= wanted or loop.time() >= deadline:
                return len(ready)
            await asyncio.sleep(READY_CHECK_SECONDS)
    except BrokenProcessPool:
        log.warning("a CPU worker process died while starting; new ones start with the work")
        _discard_pool()
        return 0


def _pid_after(touch: Callable[..., object]) -> int:
    # `touch` itself is not called: unpickling it here imported its module.
    return os.getpid()


@dataclass(frozen=True)
class Shared(Generic[T]):
    """A value that many calls in workers need (a lexicon): pickled once here, sent as
    bytes, unpickled once per worker process (and kept), not once per call."""

    data: bytes

    @classmethod
    def of(cls, value: T) -> Shared[T]:
        return cls(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def get(self) -> T:
        return cast(T, _unpickled(self.data))


@functools.lru_cache(maxsize=8)
def _unpickled(data: bytes) -> object:
    return pickle.loads(data)


def _shared_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=worker_count(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return _pool


def _start_worker(parent: int) -> None:
    """In each worker: yield the cores to the bot (`WORKER_NICENESS`), collect garbage as the
    bot does (`collect_less_often`), and exit when the bot is gone, even killed with SIGKILL
    (a worker holds both ends of its task queue, so it would otherwise wait for work
    forever)."""
    os.nice(WORKER_NICENESS)
    collect_less_often()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _discard_pool() -> None:
    global _pool
    with _lock:
        broken, _pool = _pool, None
    if broken is not None:
        broken.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the worker processes (they start again if work comes)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
