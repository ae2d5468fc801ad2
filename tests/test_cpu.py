"""The worker processes that read feeds: started before the first poll needs them."""

from __future__ import annotations

from bot.cpu import in_worker, start_workers, worker_count
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
