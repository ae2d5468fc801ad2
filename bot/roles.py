"""What one process of a multi-worker Bazaar does (`python -m bot run --role …`), and which
feeds a poller among several polls (or channels a publisher sends to): pure decisions,
carried out by `bot.client` and `bot.poll_worker`.

One process doing everything (`all`) is the default and what most servers need. Past it,
the work splits over processes sharing one database: `gateway` answers commands (Discord's
gateway, sharded as `[gateway]` says), `publisher` sends what the outbox holds, `poller`
polls feeds and needs no Discord at all; several pollers split the feeds, several
publishers the channels, with `--shard i/n`.
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
class Shard:
    """Worker `index` of `count` of a role: a poller polls the feeds, a publisher sends to the
    channels (and the alert DMs of the members), whose id leaves `index` when divided by
    `count`. So each feed is polled, and
    each channel's posts are sent (in order, with the crash recovery of one publisher), by
    exactly one of them, the same one as long as the count stays."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(
                f"shard {self.index}/{self.count}: the count must be 1 or more and the index "
                f"from 0 to {max(self.count - 1, 0)}"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`i/n`, e.g. `0/2` and `1/2` for two pollers."""
        index, slash, count = text.partition("/")
        if not slash or not index.strip().isdigit() or not count.strip().isdigit():
            raise ValueError(f"--shard {text!r}: expected i/n, e.g. 0/2 and 1/2 for two pollers")
        return cls(int(index), int(count))

    def owns(self, feed_id: int) -> bool:
        return feed_id % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


EVERY_FEED = EVERY_CHANNEL = EVERY_MEMBER = Shard(0, 1)
SHARDED_ROLES = (Role.POLLER, Role.PUBLISHER)


def process_name(role: Role, shard: Shard = EVERY_FEED) -> str:
    """What tells this process from the others on the database: '' for the one process of
    role all, else e.g. `gateway`, `poller`, `publisher-1of2` (its heartbeat's file name)."""
    if role is Role.ALL:
        return ""
    return f"{role}-{shard.index}of{shard.count}" if shard.count > 1 else str(role)
