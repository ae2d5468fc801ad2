"""Shards as numbers: how many IDENTIFYs go at once, and how a process names its shards."""

from __future__ import annotations

from bot.shards import IdentifyWindow, describe_shards


def test_one_identify_per_bucket_then_a_pause_frees_every_bucket() -> None:
    window = IdentifyWindow(max_concurrency=2)
    assert window.admits(0) and window.admits(1)

    window = window.with_identified(0).with_identified(1)
    assert not window.admits(2)  # bucket 0 again: 2 % 2
    assert not window.admits(3)

    window = window.after_pause()
    assert window.admits(2) and window.admits(3)


def test_with_a_concurrency_of_one_every_identify_but_the_first_waits() -> None:
    window = IdentifyWindow(max_concurrency=1).with_identified(0)
    assert not window.admits(1)
    assert not window.admits(0)  # a reconnect of the same shard too


def test_a_large_bot_starts_sixteen_shards_before_it_waits() -> None:
    window = IdentifyWindow(max_concurrency=16)
    for shard in range(16):
        assert window.admits(shard)
        window = window.with_identified(shard)
    assert not window.admits(16)


def test_the_log_names_the_shards_a_process_runs() -> None:
    assert describe_shards(0) == "one unsharded gateway connection"
    assert describe_shards("auto") == "every shard, as many as Discord recommends"
    assert describe_shards(2) == "shards 0-1 of 2"
    assert describe_shards(1) == "shard 0 of 1"
    assert describe_shards(8, (3,)) == "shard 3 of 8"
    assert describe_shards(8, (0, 1, 2, 5, 7)) == "shards 0-2, 5, 7 of 8"
