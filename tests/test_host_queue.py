"""Feeds are admitted to a poll cycle host by host: a busy host's feeds wait in a list and
never keep another host's from starting."""

from __future__ import annotations

from bot.http.limits import HostQueue, host_of


def queue(items: list[str], per_host: int | None) -> HostQueue[str]:
    # "a1" is item 1 of host "a".
    return HostQueue(items, host=lambda item: item[0], per_host=per_host)


def take_all(hosts: HostQueue[str]) -> list[str]:
    taken = []
    while (item := hosts.take()) is not None:
        taken.append(item)
    return taken


def test_hosts_take_turns_each_up_to_its_limit_in_the_order_given() -> None:
    hosts = queue(["a1", "a2", "a3", "a4", "b1", "b2", "c1"], per_host=2)

    assert take_all(hosts) == ["a1", "b1", "c1", "a2", "b2"]  # a3 waits for a's turn
    assert len(hosts) == 2


def test_a_host_at_its_limit_gets_its_turn_back_when_its_work_is_done() -> None:
    hosts = queue(["a1", "a2", "a3", "b1"], per_host=1)
    assert take_all(hosts) == ["a1", "b1"]

    hosts.done("b1")  # b has nothing left: a still waits
    assert hosts.take() is None
    hosts.done("a1")
    assert take_all(hosts) == ["a2"]
    hosts.done("a2")
    assert take_all(hosts) == ["a3"]
    hosts.done("a3")
    assert len(hosts) == 0 and hosts.take() is None


def test_without_a_limit_everything_may_start_hosts_still_taking_turns() -> None:
    hosts = queue(["a1", "a2", "a3", "b1"], per_host=None)

    assert take_all(hosts) == ["a1", "b1", "a2", "a3"]


def test_a_host_is_its_lowercased_name_whatever_the_port_or_path() -> None:
    assert host_of("https://GitHub.com/a/releases.atom") == host_of("https://github.com:443/b")
    assert host_of("https://github.com/a") != host_of("https://gitlab.com/a")
