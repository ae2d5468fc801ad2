"""The worker processes that read feeds: started before the first poll needs them, at a
lower priority than the bot itself, collecting garbage as the bot does."""

from __future__ import annotations

import gc
import os

from bot.cpu import WORKER_NICENESS, in_worker, start_workers, worker_count
from bot.heap import OLDER_COLLECTION_THRESHOLDS, YOUNG_COLLECTION_THRESHOLD
from tests import cpu_touched
from tests.cpu_probe import probe


async def test_started_workers_are_all_ready_with_the_work_s_module_imported() -> None:
    ready = await start_workers(cpu_touched.touch)

    assert ready == worker_count()
    seen: dict[int, bool] = {}
    for _ in range(200):  # until every worker has answered
        pid, imported = await in_worker(probe, cpu_touched.__name__)
        seen[pid] = imported
        if len(seen) == worker_count():
            break
    assert len(seen) == worker_count()  # no worker started after them
    assert all(seen.values())


async def test_workers_yield_the_cores_to_the_bot() -> None:
    # The event loop and the database writer come first: a worker's reading can wait.
    assert await in_worker(os.nice, 0) == min(os.nice(0) + WORKER_NICENESS, 19)


async def test_workers_collect_young_garbage_less_often() -> None:
    # A parsed document's objects die young, unwalked, instead of reaching older generations.
    threshold = (YOUNG_COLLECTION_THRESHOLD, *OLDER_COLLECTION_THRESHOLDS)
    assert await in_worker(gc.get_threshold) == threshold
