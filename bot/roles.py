"""What one process of a multi-worker Bazaar does (`python -m bot run --role …`), and which
feeds a poller among several polls: pure decisions, carried out by `bot.client` and
`bot.poll_worker`.

One process doing everything (`all`) is the default and what most servers need. Past it,
the work splits over processes sharing one database: `gateway` answers commands (Discord's
gateway, sharded as `[gateway]` says), `publisher` sends what the outbox holds, `poller`
polls feeds and needs no Discord at all; several pollers split the feeds with `--shard i/n`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ALL = "all"
    GATEWAY = "gateway"
    POLLER = "poller"
    PUBLISHER = "publisher"


@dataclass(frozen=True)
class WorkerPlan:
    """What a process of a role runs."""

    polls: bool  # the poll loop (and the search index after each cycle)
    publishes: bool  # the outbox: posts, notes, recaps, notices
    commands: bool  # slash commands, synced and answered
    connects_to_discord: bool

    @classmethod
    def of(cls, role: Role) -> WorkerPlan:
        return _PLANS[role]


_PLANS = {
    Role.ALL: WorkerPlan(polls=True, publishes=True, commands=True, connects_to_discord=True),
    Role.GATEWAY: WorkerPlan(polls=False, publishes=False, commands=True, connects_to_discord=True),
    Role.POLLER: WorkerPlan(polls=True, publishes=False, commands=False, connects_to_discord=False),
    Role.PUBLISHER: WorkerPlan(
        polls=False, publishes=True, commands=False, connects_to_discord=True
    ),
}


@dataclass(frozen=True)
class PollShard:
    """Poller `index` of `count`: it polls the feeds whose id leaves `index` when divided by
    `count`, so each feed is polled by exactly one of them, and a feed stays with the same
    poller (its id never changes) as long as the count does."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(
                f"shard {self.index}/{self.count}: the count must be 1 or more and the index "
                f"from 0 to {max(self.count - 1, 0)}"
            )

    @classmethod
    def parse(cls, text: str) -> PollShard:
        """`i/n`, e.g. `0/2` and `1/2` for two pollers."""
        index, slash, count = text.partition("/")
        if not slash or not index.strip().isdigit() or not count.strip().isdigit():
            raise ValueError(f"--shard {text!r}: expected i/n, e.g. 0/2 and 1/2 for two pollers")
        return cls(int(index), int(count))

    def owns(self, feed_id: int) -> bool:
        return feed_id % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


EVERY_FEED = PollShard(0, 1)
