"""Gateway shards as numbers: which ones a process runs, and when the next may IDENTIFY.

Discord lets a bot start `max_concurrency` sessions every 5 seconds, one per rate-limit
bucket (`shard_id % max_concurrency`). discord.py 2.7 ignores `max_concurrency` and waits
5 seconds before every IDENTIFY but the first; `IdentifyWindow` says when waiting is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import AUTO_SHARDS

# How long a bucket stays used after an IDENTIFY.
IDENTIFY_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class IdentifyWindow:
    """The buckets that have IDENTIFYed since the last 5-second pause.

    Starting a shard whose bucket is not `used` needs no pause; one whose bucket is used
    waits `IDENTIFY_WINDOW_SECONDS` first, after which every bucket is free again (the
    IDENTIFYs are made one at a time, so all of them are at least that old).
    """

    max_concurrency: int
    used: frozenset[int] = frozenset()

    def admits(self, shard_id: int) -> bool:
        """Whether `shard_id` may IDENTIFY now, without a pause."""
        return self._bucket(shard_id) not in self.used

    def after_pause(self) -> IdentifyWindow:
        return IdentifyWindow(self.max_concurrency)

    def with_identified(self, shard_id: int) -> IdentifyWindow:
        return IdentifyWindow(self.max_concurrency, self.used | {self._bucket(shard_id)})

    def _bucket(self, shard_id: int) -> int:
        return shard_id % max(1, self.max_concurrency)


def describe_shards(shard_count: int | str | None, shard_ids: Sequence[int] = ()) -> str:
    """Which gateway connections a process runs, for its log: "shards 0-3 of 8"."""
    if not shard_count:
        return "one unsharded gateway connection"
    if shard_count == AUTO_SHARDS:
        return "every shard, as many as Discord recommends"
    assert isinstance(shard_count, int)
    ids = sorted(shard_ids) or list(range(shard_count))
    noun = "shard" if len(ids) == 1 else "shards"
    return f"{noun} {_ranges(ids)} of {shard_count}"


def _ranges(ids: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    runs: list[list[int]] = []
    for shard in ids:
        if runs and shard == runs[-1][-1] + 1:
            runs[-1].append(shard)
        else:
            runs.append([shard])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)
