"""A server's own settings, as admins set them with `/bazaar settings set <key> <value>`.

Every key has a default (from the config file, for every server), a parser that turns what
an admin typed into a value or refuses it with the reason, and a way to show it. Stored per
server as text; `ServerSettings.of(defaults, stored)` is what the bot uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import TAGS

ARCHIVE_MINUTES = (60, 1440, 4320, 10080)  # the only durations Discord accepts
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MENTION = re.compile(r"<[#@]&?(\d{15,21})>|(\d{15,21})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")


class SettingError(ValueError):
    """What an admin typed cannot be used for that key; `str()` says why, for them."""


class DigestEvery(StrEnum):
    OFF = "off"
    DAY = "daily"
    WEEK = "weekly"


@dataclass(frozen=True)
class DigestSchedule:
    every: DigestEvery = DigestEvery.OFF
    at: time = time(9, 0)  # local time of `zone`
    zone: str = "UTC"  # an IANA time zone
    weekday: int = 0  # for weekly digests: Monday is 0
    channel_id: int | None = None  # None: the server's default channel

    def describe(self) -> str:
        if self.every is DigestEvery.OFF:
            return "off"
        day = f"{WEEKDAYS[self.weekday].title()}s " if self.every is DigestEvery.WEEK else ""
        where = f" in <#{self.channel_id}>" if self.channel_id else ""
        return f"{self.every.value}, {day}at {self.at:%H:%M} {self.zone}{where}"


@dataclass(frozen=True)
class ServerSettings:
    default_channel_id: int | None = None  # for /feeds add without channel:
    log_channel_id: int | None = None  # feed-health notices; None: the feed's channel
    threads: bool = True
    thread_auto_archive_minutes: int = 1440
    summary: str = "long"  # or "short": the TL;DR only
    relevance_threshold: float | None = None  # None: the lexicon's
    colour: int = 0xE8A33D
    posts_per_hour: int = 20  # per channel; the rest wait their turn in the outbox
    images: str = "off"  # or "thumbnail" or "large": the feed's picture on posts
    catch_up_above: int = 50  # more posts waiting in a channel come as one list; 0: never
    digest: DigestSchedule = DigestSchedule()
    tag_roles: Mapping[str, int] = field(default_factory=dict)  # tag → role to mention

    @classmethod
    def of(cls, defaults: ServerSettings, stored: Mapping[str, str]) -> ServerSettings:
        """`defaults` with what the server stored on top (a stored value that no longer
        parses, after an upgrade, is ignored rather than breaking the server)."""
        settings = defaults
        for key, text in stored.items():
            try:
                settings = apply_setting(settings, key, text)
            except SettingError:
                continue
        return settings


@dataclass(frozen=True)
class Key:
    name: str
    help: str  # what the value is, for the admin
    apply: Callable[[ServerSettings, str], ServerSettings]
    show: Callable[[ServerSettings], str]


def apply_setting(settings: ServerSettings, key: str, text: str) -> ServerSettings:
    """`settings` with `key` set from `text` as an admin typed it; `SettingError` if not."""
    found = KEYS.get(key.strip().lower())
    if found is None:
        raise SettingError(f"there is no setting {key!r}; the settings are: {', '.join(KEYS)}")
    return found.apply(settings, text.strip())


def shown_settings(settings: ServerSettings) -> list[str]:
    """Every setting and its value, one line each, as /bazaar settings show lists them."""
    return [f"`{key.name}` = {key.show(settings)} — {key.help}" for key in KEYS.values()]


def _channel(text: str) -> int | None:
    if text.lower() in ("none", "off", "-"):
        return None
    return _snowflake(text, "a channel (#name) or none")


def _snowflake(text: str, what: str) -> int:
    found = _MENTION.fullmatch(text.strip())
    if found is None:
        raise SettingError(f"give {what}, not {text[:50]!r}")
    return int(found.group(1) or found.group(2))


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("on", "true", "yes", "1"):
        return True
    if lowered in ("off", "false", "no", "0"):
        return False
    raise SettingError(f"say on or off, not {text[:50]!r}")


def _archive(text: str) -> int:
    minutes = {"1h": 60, "1d": 1440, "3d": 4320, "1w": 10080, "7d": 10080}.get(text.lower())
    if minutes is None and text.isdigit():
        minutes = int(text)
    if minutes not in ARCHIVE_MINUTES:
        raise SettingError("Discord archives threads after 1h, 1d, 3d or 1w of quiet")
    return minutes


def _summary(text: str) -> str:
    if text.lower() not in ("short", "long"):
        raise SettingError("say short (the TL;DR only) or long (TL;DR and key points)")
    return text.lower()


def _threshold(text: str) -> float | None:
    if text.lower() in ("default", "-"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise SettingError(f"give a number between 0 and 1, not {text[:50]!r}") from None
    if not 0 < value <= 1:
        raise SettingError("the threshold is above 0 and at most 1 (the default is 0.4)")
    return value


def _colour(text: str) -> int:
    if not re.fullmatch(r"#?[0-9a-fA-F]{6}", text):
        raise SettingError(f"give a colour as six hex digits, like #E8A33D, not {text[:50]!r}")
    return int(text.lstrip("#"), 16)


def _images(text: str) -> str:
    if text.lower() not in ("off", "thumbnail", "large"):
        raise SettingError("say off, thumbnail (small, beside the text) or large (below it)")
    return text.lower()


def _catch_up(text: str) -> int:
    if not text.isdigit() or int(text) > 10_000:
        raise SettingError("give a number of waiting posts, from 0 (never a list) to 10000")
    return int(text)


def _per_hour(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 200:
        raise SettingError("give how many posts a channel may get per hour, from 1 to 200")
    return int(text)


def digest_schedule(text: str, current: DigestSchedule) -> DigestSchedule:
    """`off`, or `daily 09:00 Europe/Berlin`, or `weekly monday 09:00 America/New_York`,
    optionally followed by a #channel."""
    words = text.split()
    if not words:
        raise SettingError("say off, daily HH:MM Zone, or weekly DAY HH:MM Zone")
    every = {"off": DigestEvery.OFF, "daily": DigestEvery.DAY, "weekly": DigestEvery.WEEK}.get(
        words[0].lower()
    )
    if every is None:
        raise SettingError("start with off, daily or weekly")
    if every is DigestEvery.OFF:
        return replace(current, every=DigestEvery.OFF)
    rest = words[1:]
    weekday = current.weekday
    if every is DigestEvery.WEEK:
        if not rest or rest[0].lower() not in WEEKDAYS:
            raise SettingError("a weekly digest needs its day: weekly monday 09:00 Europe/Paris")
        weekday = WEEKDAYS.index(rest.pop(0).lower())
    channel = current.channel_id
    if rest and _MENTION.fullmatch(rest[-1]):
        channel = _snowflake(rest.pop(), "a channel")
    if len(rest) != 2 or not (at := _TIME.fullmatch(rest[0])):
        raise SettingError("give the local time and time zone: daily 09:00 Europe/Berlin")
    hour, minute = int(at.group(1)), int(at.group(2))
    if hour > 23 or minute > 59:
        raise SettingError(f"{rest[0]} is not a time of day")
    zone = rest[1]
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            f"{zone[:50]!r} is not an IANA time zone (like Europe/Berlin or America/New_York)"
        ) from None
    return DigestSchedule(every, time(hour, minute), zone, weekday, channel)


def _tag_role(tag: str) -> Key:
    def apply(settings: ServerSettings, text: str) -> ServerSettings:
        roles = dict(settings.tag_roles)
        if text.lower() in ("none", "off", "-"):
            roles.pop(tag, None)
        else:
            roles[tag] = _snowflake(text, "a role (@name) or none")
        return replace(settings, tag_roles=roles)

    def show(settings: ServerSettings) -> str:
        role = settings.tag_roles.get(tag)
        return f"<@&{role}>" if role else "none"

    return Key(f"ping.{tag}", f"role mentioned on new {tag} posts", apply, show)


def _show_channel(channel: int | None, default: str) -> str:
    return f"<#{channel}>" if channel else default


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key(
            "default_channel",
            "where /feeds add posts when no channel is given",
            lambda s, t: replace(s, default_channel_id=_channel(t)),
            lambda s: _show_channel(s.default_channel_id, "the channel of the command"),
        ),
        Key(
            "log_channel",
            "where feed problems are reported",
            lambda s, t: replace(s, log_channel_id=_channel(t)),
            lambda s: _show_channel(s.log_channel_id, "the feed's own channel"),
        ),
        Key(
            "threads",
            "a discussion thread under each post (on/off)",
            lambda s, t: replace(s, threads=_boolean(t)),
            lambda s: "on" if s.threads else "off",
        ),
        Key(
            "thread_archive",
            "threads archive after 1h, 1d, 3d or 1w without messages",
            lambda s, t: replace(s, thread_auto_archive_minutes=_archive(t)),
            lambda s: {60: "1h", 1440: "1d", 4320: "3d", 10080: "1w"}[
                s.thread_auto_archive_minutes
            ],
        ),
        Key(
            "summary",
            "short (TL;DR only) or long (TL;DR and key points)",
            lambda s, t: replace(s, summary=_summary(t)),
            lambda s: s.summary,
        ),
        Key(
            "relevance_threshold",
            'score from which an item counts as open-source AI, for "only open-source AI" feeds',
            lambda s, t: replace(s, relevance_threshold=_threshold(t)),
            lambda s: f"{s.relevance_threshold:g}" if s.relevance_threshold else "the config's",
        ),
        Key(
            "colour",
            "the colour of the posts' embeds",
            lambda s, t: replace(s, colour=_colour(t)),
            lambda s: f"#{s.colour:06X}",
        ),
        Key(
            "images",
            "the feed's picture on posts: off, thumbnail or large",
            lambda s, t: replace(s, images=_images(t)),
            lambda s: s.images,
        ),
        Key(
            "posts_per_hour",
            "at most this many posts per channel per hour; the rest wait in order",
            lambda s, t: replace(s, posts_per_hour=_per_hour(t)),
            lambda s: str(s.posts_per_hour),
        ),
        Key(
            "catch_up_above",
            "more posts than this waiting in a channel come as one list (0: never)",
            lambda s, t: replace(s, catch_up_above=_catch_up(t)),
            lambda s: str(s.catch_up_above),
        ),
        Key(
            "digest",
            "off, daily HH:MM Zone, or weekly DAY HH:MM Zone, then optionally #channel",
            lambda s, t: replace(s, digest=digest_schedule(t, s.digest)),
            lambda s: s.digest.describe(),
        ),
        *(_tag_role(tag) for tag in TAGS),
    )
}
