"""Post, thread note or recap, decided without a database or Discord."""

from __future__ import annotations

from bot.decide.deliveries import Delivery, plan_deliveries
from bot.models import OutboxKind, PlannedPost

NEWS, GENERAL = 100, 200
POST, NOTE, RECAP = OutboxKind.POST, OutboxKind.NOTE, OutboxKind.RECAP


def planned(key: str, channel: int = NEWS) -> PlannedPost:
    return PlannedPost(1, key, channel)


def test_a_new_story_is_a_post() -> None:
    assert plan_deliveries([planned("a")], story_of={"a": None}, posted_stories=set()) == (
        Delivery(1, "a", NEWS, POST),
    )


def test_a_story_already_posted_in_the_channel_becomes_a_note_there_only() -> None:
    deliveries = plan_deliveries(
        [planned("a", NEWS), planned("a", GENERAL)],
        story_of={"a": 7},
        posted_stories={(7, NEWS)},
    )
    assert [(d.channel_id, d.kind) for d in deliveries] == [(NEWS, NOTE), (GENERAL, POST)]


def test_two_items_of_one_stored_story_in_one_cycle_make_one_post_and_one_note() -> None:
    deliveries = plan_deliveries(
        [planned("a"), planned("b")], story_of={"a": 7, "b": 7}, posted_stories=set()
    )
    assert [(d.item_key, d.kind) for d in deliveries] == [("a", POST), ("b", NOTE)]


def test_a_discussion_gets_a_recap_right_after_its_post_or_note() -> None:
    deliveries = plan_deliveries(
        [planned("hn"), planned("blog")],
        story_of={"hn": 3, "blog": None},
        posted_stories={(3, NEWS)},
        discussions={"hn"},
    )
    assert [(d.item_key, d.kind) for d in deliveries] == [
        ("hn", NOTE),
        ("hn", RECAP),
        ("blog", POST),
    ]
