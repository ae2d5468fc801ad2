"""What the doctor concludes, decided from what it found: one `Check` per thing looked at,
each with the fix when it is a problem. Pure: the doctor fetches, these functions judge."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import TOKEN_ENV, FeedSettings
from bot.models import SubscriptionSource
from bot.ops.discord_rest import Channel, DiscordRestError
from bot.ops.invite import needed_permissions
from bot.ops.permissions import (
    MENTION_EVERYONE,
    Guild,
    Member,
    Permission,
    channel_permissions,
    missing,
)
from bot.store.readonly import DatabaseSnapshot, StoredSubscription

HOW_TO_COPY_A_CHANNEL_ID = "Developer Mode on, right-click the channel → Copy Channel ID"
WRONG_TOKEN_FIX = (
    f"the token is wrong: reset it in the Developer Portal (Bot → Reset Token) and set {TOKEN_ENV}"
)

# Discord's channel types (Channel Object → Channel Types) the bot can post in.
TEXT_CHANNEL, ANNOUNCEMENT_CHANNEL, FORUM_CHANNEL = 0, 5, 15
_CHANNEL_KINDS = {
    1: "a direct message",
    2: "a voice channel",
    3: "a group DM",
    4: "a category",
    10: "a thread",
    11: "a thread",
    12: "a thread",
    13: "a stage channel",
    14: "a server directory",
    16: "a media channel",
}


@dataclass(frozen=True)
class Check:
    """One finding: fine, or a problem and how to fix it."""

    ok: bool
    text: str
    fix: str = ""

    def line(self) -> str:
        return f"✔ {self.text}" if self.ok else f"✘ {self.text} — fix: {self.fix}"


def ok(text: str) -> Check:
    return Check(True, text)


def problem(text: str, fix: str) -> Check:
    return Check(False, text, fix)


@dataclass(frozen=True)
class ChannelUse:
    """A channel the bot posts in, and why: the feeds posting there, the roles they ping."""

    channel_id: int
    feeds: tuple[str, ...] = ()
    roles: tuple[int, ...] = ()
    paused: int = 0  # subscriptions paused there
    from_config: bool = False
    from_database: bool = False

    def describe(self) -> str:
        where = " and ".join(
            name
            for name, used in (("the config", self.from_config), ("/feeds add", self.from_database))
            if used
        )
        return f"{len(self.feeds)} feed(s) from {where}"


def channels_to_check(
    configured: Iterable[FeedSettings], stored: Iterable[StoredSubscription]
) -> tuple[ChannelUse, ...]:
    """Every channel a feed posts in, once, in the order they first appear."""
    uses: dict[int, ChannelUse] = {}
    for feed in configured:
        use = uses.get(feed.channel_id, ChannelUse(feed.channel_id))
        uses[feed.channel_id] = _with_feed(use, feed.url, from_config=True)
    for subscription in stored:
        use = uses.get(subscription.channel_id, ChannelUse(subscription.channel_id))
        # The bot copies the config's feeds into the database: those are the config's.
        from_command = subscription.source is SubscriptionSource.COMMAND
        use = _with_feed(
            use, subscription.feed_url, from_config=not from_command, from_database=from_command
        )
        if subscription.role_id is not None and subscription.role_id not in use.roles:
            use = _replace(use, roles=(*use.roles, subscription.role_id))
        if subscription.paused:
            use = _replace(use, paused=use.paused + 1)
        uses[subscription.channel_id] = use
    return tuple(uses.values())


def _with_feed(
    use: ChannelUse, url: str, *, from_config: bool = False, from_database: bool = False
) -> ChannelUse:
    feeds = use.feeds if url in use.feeds else (*use.feeds, url)
    return _replace(
        use,
        feeds=feeds,
        from_config=use.from_config or from_config,
        from_database=use.from_database or from_database,
    )


def _replace(use: ChannelUse, **changes: object) -> ChannelUse:
    return replace(use, **changes)  # type: ignore[arg-type]


def feeds_to_check(
    configured: Iterable[FeedSettings], stored: Iterable[StoredSubscription]
) -> tuple[str, ...]:
    """Every feed URL followed, once: each is fetched one time however many channels."""
    urls = [feed.url for feed in configured] + [s.feed_url for s in stored]
    return tuple(dict.fromkeys(urls))


# ---- the config and the database ----------------------------------------------------------


def config_check(path: Path, feed_count: int) -> Check:
    return ok(f"config {path} is valid ({feed_count} feed(s) in it)")


def database_check(path: Path, snapshot: DatabaseSnapshot | None) -> Check:
    if snapshot is None:
        return ok(f"database {path} does not exist yet: the bot creates it on its first run")
    if snapshot.newer_than_this_bazaar:
        return problem(
            f"database {path} was written by a newer Bazaar (schema {snapshot.schema_version})",
            "upgrade Bazaar (python -m pip install -U .), or point storage.database at another "
            "file",
        )
    added = sum(s.source is SubscriptionSource.COMMAND for s in snapshot.subscriptions)
    return ok(
        f"database {path}: {len(snapshot.subscriptions)} subscription(s), {added} of them "
        "from /feeds add"
    )


def unreadable_database(path: Path, reason: str) -> Check:
    return problem(
        f"database {path} cannot be read ({reason})",
        "check the path in storage.database and the file's owner; if it is damaged, restore "
        "a copy made with python -m bot backup",
    )


# ---- Discord ------------------------------------------------------------------------------


def no_token() -> Check:
    return problem(
        "no Discord token",
        f"set {TOKEN_ENV} in the environment (Developer Portal → your application → Bot → "
        "Reset Token); see python -m bot init",
    )


def token_refused(error: DiscordRestError) -> Check:
    if error.status == 401:
        return problem("Discord refused the token (HTTP 401 Unauthorized)", WRONG_TOKEN_FIX)
    return discord_failed("checking the token", error)


def discord_failed(doing: str, error: Exception) -> Check:
    if isinstance(error, DiscordRestError) and error.status == 429:
        return problem(
            f"Discord is rate limiting the bot while {doing} ({error})",
            "wait a few minutes (a running bot shares the same limits), then run the doctor again",
        )
    if isinstance(error, DiscordRestError):
        return problem(
            f"Discord answered {error} while {doing}",
            "run the doctor again in a few minutes; see https://discordstatus.com",
        )
    return problem(
        f"cannot reach Discord while {doing} ({error})",
        "check the network: this machine must reach https://discord.com (DNS, firewall, proxy)",
    )


def servers_check(names: Sequence[str]) -> Check:
    if not names:
        return problem("the bot is in no server", "add it to yours: python -m bot invite")
    return ok(f"the bot is in {len(names)} server(s): {', '.join(names)}")


def configured_guild_missing(guild_id: int) -> Check:
    return problem(
        f"discord.guild_ids lists {guild_id}, a server the bot is not in",
        "add the bot there (python -m bot invite) or remove the id from discord.guild_ids",
    )


def needed_in(channel: Channel, *, threads: bool = True) -> tuple[Permission, ...]:
    """What the bot needs in `channel` (see `needed_permissions`)."""
    return needed_permissions(forum=channel.type == FORUM_CHANNEL, threads=threads)


def channel_error(use: ChannelUse, error: Exception) -> Check:
    """The channel could not be read: gone, out of reach, or Discord failed."""
    label = f"channel {use.channel_id} ({use.describe()})"
    if isinstance(error, DiscordRestError) and (error.status == 404 or error.code == 10003):
        return problem(
            f"{label}: unknown channel",
            f"it was deleted or the id is wrong: copy it again ({HOW_TO_COPY_A_CHANNEL_ID}) "
            "and change channel_id in the config, or move the feed with /feeds edit",
        )
    if isinstance(error, DiscordRestError) and (error.status == 403 or error.code == 50001):
        return problem(
            f"{label}: the bot has no access",
            "add the bot to that channel's server (python -m bot invite), or let its role "
            "see the channel (Edit Channel → Permissions → View Channels)",
        )
    return discord_failed(f"reading {label}", error)


def wrong_kind(channel: Channel, label: str) -> Check | None:
    """A problem if the bot cannot post news in a channel of this kind."""
    if channel.type in (TEXT_CHANNEL, ANNOUNCEMENT_CHANNEL, FORUM_CHANNEL):
        return None
    kind = _CHANNEL_KINDS.get(channel.type, f"a channel of type {channel.type}")
    return problem(
        f"{label} is {kind}, not a text or forum channel",
        f"give a text or forum channel's id ({HOW_TO_COPY_A_CHANNEL_ID})",
    )


def channel_check(
    use: ChannelUse, channel: Channel, guild: Guild, member: Member, *, threads: bool = True
) -> list[Check]:
    """Whether the bot can post in `channel` (each lacking permission named), and ping the
    roles admins chose there."""
    label = f"#{channel.name} in {guild.name}"
    wrong = wrong_kind(channel, label)
    if wrong is not None:
        return [wrong]
    have = channel_permissions(guild, member, channel.overwrites)
    lacking = missing(have, needed_in(channel, threads=threads))
    if lacking:
        names = ", ".join(p.name for p in lacking)
        checks = [
            problem(
                f"{label}: the bot lacks {names} ({use.describe()})",
                f"allow {names} for the bot's role in #{channel.name} "
                "(Edit Channel → Permissions), or for the role in Server Settings → Roles",
            )
        ]
    else:
        paused = f"; {use.paused} paused there (/feeds resume)" if use.paused else ""
        checks = [ok(f"{label}: the bot can post ({use.describe()}{paused})")]
    can_ping_any = bool(have & MENTION_EVERYONE.bit)
    for role_id in use.roles:
        role = guild.role(role_id)
        if role is None:
            checks.append(
                problem(
                    f"{label}: role {role_id}, mentioned on new posts, no longer exists",
                    "choose another with /feeds edit role:, or stop with /feeds edit no_role:",
                )
            )
        elif not role.mentionable and not can_ping_any:
            checks.append(
                problem(
                    f"{label}: role @{role.name} is not mentionable, so its members get no ping",
                    "Server Settings → Roles → the role → allow anyone to @mention this role",
                )
            )
    return checks


# ---- feeds --------------------------------------------------------------------------------


def feed_ok(url: str, title: str, entries: int) -> Check:
    return ok(f'feed {url}: "{title}", {entries} {"entry" if entries == 1 else "entries"}')


def feed_failed(url: str, reason: str, *, not_a_feed: bool = False) -> Check:
    if not_a_feed:
        fix = "give the feed's own address (the RSS or Atom link on the page), not the page's"
    elif "allow_private_networks" in reason:  # the SSRF guard's refusal names the key
        fix = "set network.allow_private_networks = true only if the feed is on your network"
    else:
        fix = (
            "open the address in a browser; if the feed moved or is gone, change or remove it "
            "(the config's [[feeds]], or /feeds remove)"
        )
    return problem(f"feed {url}: {reason}", fix)


def summary(checks: Sequence[Check]) -> str:
    problems = sum(not check.ok for check in checks)
    if not problems:
        return "All is well."
    return f"{problems} problem(s) found."
