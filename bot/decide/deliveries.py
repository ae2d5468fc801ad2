"""Post, thread note or recap: what each planned item becomes in each channel.

A story is posted once per channel; a later source of the same story becomes an
"Also covered by" note in the thread of that post, and an item that is a discussion
(Hacker News, Reddit) also gets a recap of its comments in the thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from bot.models import OutboxKind, PlannedPost


@dataclass(frozen=True)
class Delivery:
    """A decision: send the item `item_key` of `feed_id` to `channel_id` as `kind`."""

    feed_id: int
    item_key: str
    channel_id: int
    kind: OutboxKind


def plan_deliveries(
    posts: Sequence[PlannedPost],
    *,
    story_of: Mapping[str, int | None],
    posted_stories: Set[tuple[int, int]],
    discussions: Set[str] = frozenset(),
) -> tuple[Delivery, ...]:
    """What each planned post is, in order.

    `story_of` maps item keys to the stored story they tell again (None: a new story);
    `posted_stories` holds the (story, channel) pairs that already have a post, sent or
    queued. The first item of a story in a channel is its post; every later one is a note.
    """
    taken = set(posted_stories)
    deliveries: list[Delivery] = []
    for post in posts:
        story = story_of.get(post.item_key)
        kind = OutboxKind.POST
        if story is not None:
            kind = OutboxKind.NOTE if (story, post.channel_id) in taken else OutboxKind.POST
            taken.add((story, post.channel_id))
        deliveries.append(Delivery(post.feed_id, post.item_key, post.channel_id, kind))
        if post.item_key in discussions:
            deliveries.append(
                Delivery(post.feed_id, post.item_key, post.channel_id, OutboxKind.RECAP)
            )
    return tuple(deliveries)
