"""When a server's scheduled digest is due: at its local time in its IANA time zone, daily or
on its weekday, across daylight-saving changes; after downtime only the latest missed one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.decide.server_settings import DigestEvery, DigestSchedule


def latest_due(schedule: DigestSchedule, now: datetime) -> datetime | None:
    """The latest scheduled moment at or before `now`, in UTC; None when digests are off.

    A local time that a spring-forward change skips is taken as if the clock had not moved
    (02:30 becomes 03:30), and one that a fall-back change repeats means its first
    occurrence: either way each day (or week) has exactly one moment.
    """
    if schedule.every is DigestEvery.OFF:
        return None
    zone = ZoneInfo(schedule.zone)
    today = now.astimezone(zone).date()
    for back in range(8):
        day = today - timedelta(days=back)
        if schedule.every is DigestEvery.WEEK and day.weekday() != schedule.weekday:
            continue
        moment = datetime.combine(day, schedule.at, tzinfo=zone).astimezone(UTC)
        if moment <= now:
            return moment
    return None  # unreachable: some day of the last eight matches


def digest_period(schedule: DigestSchedule) -> timedelta:
    """How far back a scheduled digest looks: a day or a week."""
    return timedelta(days=7) if schedule.every is DigestEvery.WEEK else timedelta(days=1)
