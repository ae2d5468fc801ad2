"""Pure decisions about when to poll a feed next, and when to give up on a broken one.

Inputs are what the feed and its server told us (TTL, update period, Retry-After,
Cache-Control, Expires); outputs are times. No I/O, no clock: `now` is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

_UPDATE_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}
# A publisher's hint is honoured only up to this long: a typo like ttl=99999 must not
# silence a feed for months.
MAX_HINT = timedelta(days=1)
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class SchedulePolicy:
    interval: timedelta
    floor: timedelta
    backoff_base: timedelta
    backoff_cap: timedelta
    pause_after_failures: int


@dataclass(frozen=True)
class ServerHints:
    """What the response and the feed say about how often to ask again."""

    feed_interval: timedelta | None = None
    retry_after: timedelta | None = None
    cache_lifetime: timedelta | None = None


@dataclass(frozen=True)
class FailureDecision:
    failures: int
    next_poll_at: datetime
    pause: bool


def next_poll_after_success(now: datetime, policy: SchedulePolicy, hints: ServerHints) -> datetime:
    """The latest of the configured interval and every hint, never sooner than the floor."""
    waits = [policy.interval, policy.floor]
    waits += [min(h, MAX_HINT) for h in (hints.feed_interval, hints.cache_lifetime) if h]
    if hints.retry_after:
        waits.append(min(hints.retry_after, policy.backoff_cap))
    return now + max(waits)


def after_failure(
    now: datetime,
    policy: SchedulePolicy,
    *,
    previous_failures: int,
    permanent: bool,
    hints: ServerHints,
) -> FailureDecision:
    """Exponential backoff (base × 2ⁿ, capped); pause after too many failures or a permanent one."""
    failures = previous_failures + 1
    backoff = policy.backoff_base * (2 ** min(failures - 1, 30))
    wait = max(min(backoff, policy.backoff_cap), policy.floor)
    if hints.retry_after:
        wait = max(wait, min(hints.retry_after, policy.backoff_cap))
    pause = permanent or failures >= policy.pause_after_failures
    return FailureDecision(failures=failures, next_poll_at=now + wait, pause=pause)


def feed_interval_hint(
    ttl: str | None, period: str | None, frequency: str | None
) -> timedelta | None:
    """The longest of RSS `<ttl>` (minutes) and `sy:updatePeriod` / `sy:updateFrequency`."""
    hints = []
    if ttl and ttl.strip().isdigit():
        hints.append(timedelta(minutes=int(ttl.strip())))
    base = _UPDATE_PERIODS.get((period or "").strip().lower())
    if base:
        count = int(frequency.strip()) if frequency and frequency.strip().isdigit() else 1
        hints.append(base / max(count, 1))
    return max(hints) if hints else None


def server_hints(
    headers: Mapping[str, str], now: datetime, feed_interval: timedelta | None = None
) -> ServerHints:
    """Read Retry-After, Cache-Control max-age and Expires from response headers."""
    return ServerHints(
        feed_interval=feed_interval,
        retry_after=_retry_after(headers.get("retry-after"), now),
        cache_lifetime=_cache_lifetime(headers, now),
    )


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    moment = _http_date(value)
    return max(moment - now, timedelta(0)) if moment else None


def _cache_lifetime(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    control = headers.get("cache-control", "")
    if "no-store" in control.lower() or "no-cache" in control.lower():
        return None
    match = _MAX_AGE.search(control)
    if match:
        return timedelta(seconds=int(match.group(1)))
    expires = _http_date(headers.get("expires", ""))
    if expires and expires > now:
        return expires - now
    return None


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else None
