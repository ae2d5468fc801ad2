"""One process of the simulated hosted Bazaar: `python -m bot run …` exactly as
`tests/run_bot_subprocess.py` runs it against the fake Discord, with an event-loop lag
monitor (`bench.measure.LagMonitor`) beside the bot's own tasks.

    python bench/scale_bot.py --lag-file PATH --discord-base URL --discord-gateway URL \\
        -- run --role poller --shard 0/2 --config PATH

Every few seconds and at exit it writes the lag samples' p50, p99 and max (ms) and their
count to `--lag-file` as JSON. Nothing of the bot is patched: only `asyncio.run`, so that
the monitor runs on the loop the bot's `run` creates.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import Lag, LagMonitor  # noqa: E402

WRITE_EVERY_SECONDS = 2.0


def write_lag(path: Path, samples: list[float]) -> None:
    lag = Lag.of(samples)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({"p50": lag.p50, "p99": lag.p99, "max": lag.max, "samples": len(samples)})
    )
    os.replace(temporary, path)


def watch_lag(path: Path) -> None:
    """Make every `asyncio.run` of this process run a lag monitor beside its coroutine."""
    original_run = asyncio.run

    def run(main: Coroutine[Any, Any, Any], **options: Any) -> Any:
        async def monitored() -> Any:
            async with LagMonitor() as monitor:
                writer = asyncio.create_task(_keep_writing(path, monitor))
                try:
                    return await main
                finally:
                    writer.cancel()
                    write_lag(path, monitor.samples)

        return original_run(monitored(), **options)

    asyncio.run = run  # type: ignore[assignment]


async def _keep_writing(path: Path, monitor: LagMonitor) -> None:
    while True:
        await asyncio.sleep(WRITE_EVERY_SECONDS)
        await asyncio.to_thread(write_lag, path, list(monitor.samples))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "--lag-file":
        print("usage: scale_bot.py --lag-file PATH <tests/run_bot_subprocess.py arguments>")
        return 2
    watch_lag(Path(args[1]))
    from tests.run_bot_subprocess import main as run_bot

    return run_bot(args[2:])


if __name__ == "__main__":
    raise SystemExit(main())
