"""/bazaar settings: every key validated with a plain reason, stored per server (two servers
never see each other's), the config file's values as defaults."""

from __future__ import annotations

from datetime import time

import pytest

from bot.decide.server_settings import (
    KEYS,
    DigestEvery,
    ServerSettings,
    SettingError,
    apply_setting,
    shown_settings,
)
from bot.server_settings import ServerSettingsService
from bot.store import Store
from tests.harness import EPHEMERAL, Harness

ROLE = 123456789012345678
CHANNEL = 223456789012345678


@pytest.mark.parametrize(
    ("key", "typed", "reason"),
    [
        ("threads", "maybe", "say on or off"),
        ("thread_archive", "2h", "1h, 1d, 3d or 1w"),
        ("summary", "medium", "short"),
        ("relevance_threshold", "2", "at most 1"),
        ("colour", "orange", "six hex digits"),
        ("posts_per_hour", "0", "from 1 to 200"),
        ("digest", "daily 25:00 UTC", "not a time of day"),
        ("digest", "daily 09:00 Mars/Olympus", "not an IANA time zone"),
        ("digest", "weekly 09:00 UTC", "needs its day"),
        ("ping.licensing", "@everyone", "a role"),
        ("no_such_key", "1", "there is no setting"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_with_the_reason(
    key: str, typed: str, reason: str
) -> None:
    with pytest.raises(SettingError, match=reason):
        apply_setting(ServerSettings(), key, typed)


def test_values_are_read_as_admins_type_them() -> None:
    settings = ServerSettings()
    for key, typed in [
        ("threads", "off"),
        ("thread_archive", "1w"),
        ("colour", "#00ff88"),
        ("digest", f"weekly friday 17:30 Europe/Berlin <#{CHANNEL}>"),
        ("ping.model-release", f"<@&{ROLE}>"),
        ("default_channel", f"<#{CHANNEL}>"),
    ]:
        settings = apply_setting(settings, key, typed)
    assert not settings.threads and settings.thread_auto_archive_minutes == 10080
    assert settings.colour == 0x00FF88
    assert settings.digest.every is DigestEvery.WEEK and settings.digest.weekday == 4
    assert (settings.digest.at, settings.digest.zone) == (time(17, 30), "Europe/Berlin")
    assert settings.digest.channel_id == CHANNEL
    assert settings.tag_roles == {"model-release": ROLE}
    assert settings.default_channel_id == CHANNEL
    shown = "\n".join(shown_settings(settings))
    assert "`digest` = weekly, Fridays at 17:30 Europe/Berlin" in shown
    assert f"`ping.model-release` = <@&{ROLE}>" in shown
    assert len(shown_settings(settings)) == len(KEYS)


async def test_each_server_keeps_its_own_settings_over_the_config_defaults(
    store: Store,
) -> None:
    defaults = ServerSettings(threads=False)
    service = ServerSettingsService(store, defaults)
    await service.set(1, "summary", "short")
    await service.set(2, "threads", "on")

    again = ServerSettingsService(store, defaults)  # as after a restart
    one, two = await again.get(1), await again.get(2)
    assert (one.summary, one.threads) == ("short", False)
    assert (two.summary, two.threads) == ("long", True)
    assert (await again.set(1, "summary", "default")).summary == "long"


async def test_an_admin_sets_and_reads_settings_from_discord(harness: Harness) -> None:
    await harness.start()
    discord = harness.discord

    choices = await discord.invoke_autocomplete(
        "bazaar", {"key": "dig"}, "key", group_sub="settings set"
    )
    assert [c["value"] for c in (await choices.response())["data"]["choices"]] == ["digest"]

    reply = await (
        await discord.invoke_slash(
            "bazaar",
            {"key": "digest", "value": "daily 08:00 America/New_York"},
            group_sub="settings set",
        )
    ).final_message()
    assert reply["flags"] & EPHEMERAL
    assert reply["content"].startswith("Not changed: say where to post it")
    reply = await (
        await discord.invoke_slash(
            "bazaar",
            {"key": "digest", "value": f"daily 08:00 America/New_York <#{harness.news}>"},
            group_sub="settings set",
        )
    ).final_message()
    assert reply["content"] == (
        f"`digest` is now daily, at 08:00 America/New_York in <#{harness.news}>."
    )

    refused = await (
        await discord.invoke_slash(
            "bazaar", {"key": "colour", "value": "blue"}, group_sub="settings set"
        )
    ).final_message()
    assert refused["content"].startswith("Not changed: give a colour as six hex digits")

    shown = await (
        await discord.invoke_slash("bazaar", {}, group_sub="settings show")
    ).final_message()
    assert f"`digest` = daily, at 08:00 America/New_York in <#{harness.news}>" in shown["content"]

    member = await discord.invoke_slash("bazaar", {}, group_sub="settings show", permissions=0)
    assert "Manage Server" in (await member.final_message())["content"]
