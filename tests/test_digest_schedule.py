"""The digest schedule as a pure function of an injected time: local times, IANA zones, the
weekday of weekly digests, and both daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.decide.digest_schedule import latest_due
from bot.decide.server_settings import DigestEvery, DigestSchedule

BERLIN = "Europe/Berlin"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def daily(hour: int, minute: int = 0, zone: str = BERLIN) -> DigestSchedule:
    return DigestSchedule(DigestEvery.DAY, time(hour, minute), zone)


def test_a_daily_digest_is_due_at_its_local_time_in_winter_and_in_summer() -> None:
    # Berlin is UTC+1 in January, UTC+2 in July.
    assert latest_due(daily(9), at("2027-01-15T08:30")) == at("2027-01-15T08:00")
    assert latest_due(daily(9), at("2027-01-15T07:59")) == at("2027-01-14T08:00")
    assert latest_due(daily(9), at("2027-07-15T07:30")) == at("2027-07-15T07:00")


def test_across_the_spring_forward_night_each_day_has_one_moment() -> None:
    # 2027-03-28: Berlin's clocks jump from 02:00 to 03:00; 02:30 does not exist.
    night = daily(2, 30)
    assert latest_due(night, at("2027-03-27T02:00")) == at("2027-03-27T01:30")  # UTC+1
    assert latest_due(night, at("2027-03-28T02:00")) == at("2027-03-28T01:30")  # as 03:30+2
    assert latest_due(night, at("2027-03-29T01:00")) == at("2027-03-29T00:30")  # UTC+2
    nine = daily(9)
    assert latest_due(nine, at("2027-03-28T07:00")) == at("2027-03-28T07:00")  # 09:00+2


def test_across_the_fall_back_night_a_repeated_time_is_due_once() -> None:
    # 2027-10-31: Berlin's clocks go back from 03:00 to 02:00; 02:30 happens twice.
    night = daily(2, 30)
    first = at("2027-10-31T00:30")  # 02:30 in summer time, UTC+2
    assert latest_due(night, at("2027-10-31T00:45")) == first
    assert latest_due(night, at("2027-10-31T01:45")) == first  # not again at 02:30+1


def test_a_weekly_digest_is_due_on_its_weekday_and_off_is_never_due() -> None:
    friday = DigestSchedule(DigestEvery.WEEK, time(17, 0), "America/New_York", weekday=4)
    # 2027-01-15 is a Friday; New York is UTC-5 in January.
    assert latest_due(friday, at("2027-01-15T22:30")) == at("2027-01-15T22:00")
    assert latest_due(friday, at("2027-01-20T12:00")) == at("2027-01-15T22:00")
    assert latest_due(DigestSchedule(), at("2027-01-15T22:30")) is None
