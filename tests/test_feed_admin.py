"""Admins shape what a feed posts from Discord: keyword filters on /feeds add and edit, pause
and resume, and /feeds explain telling why each item was or was not posted (through the
real discord.py against the fake Discord)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from tests.fake_discord import ChannelRef, RoleRef
from tests.feed_server import FeedItem, rss
from tests.harness import EPHEMERAL, Harness


def item(n: int, title: str, harness: Harness, *, hours_ago: int = 1) -> FeedItem:
    return FeedItem(
        title,
        f"https://example.org/{n}",
        f"<p>{title}. More about it.</p>",
        guid=f"item-{n}",
        published=harness.clock() - timedelta(hours=hours_ago),
    )


async def slash(harness: Harness, sub: str, **options: object) -> dict:
    return await (
        await harness.discord.invoke_slash("feeds", options, group_sub=sub)
    ).final_message()


async def stored(harness: Harness, title: str) -> None:
    assert harness.bot is not None
    for _ in range(500):
        if await harness.bot.store.guild_item_titles(harness.discord.guild_id, title):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{title!r} was never stored")


async def explained(harness: Harness, typed: str) -> str:
    """/feeds explain on the item whose title has `typed`, picked as an admin would."""
    choices = await harness.discord.invoke_autocomplete(
        "feeds", {"item": typed}, "item", group_sub="explain"
    )
    [choice] = (await choices.response())["data"]["choices"]
    reply = await slash(harness, "explain", item=choice["value"])
    assert reply["flags"] & EPHEMERAL
    return reply["content"]


async def test_keyword_filters_decide_what_is_posted_and_explain_says_why(
    harness: Harness,
) -> None:
    items = [
        item(1, "Qwen 3 ships open weights", harness, hours_ago=3),
        item(2, "Rumor: open weights for GPT-6", harness, hours_ago=2),
        item(3, "A week of GPU prices", harness, hours_ago=1),
    ]
    url = harness.feeds.serve("/f.xml", rss("Models", items))
    await harness.start()

    added = await slash(
        harness,
        "add",
        url=url,
        channel=ChannelRef(harness.news),
        include='"open weights"',
        exclude="rumor",
    )
    assert 'Filter: only with "open weights"; never with "rumor".' in added["content"]
    await harness.wait_for(lambda: len(harness.posts()) == 1)
    await harness.outbox_becomes({"posted": 1})
    assert harness.titles() == ["Qwen 3 ships open weights"]

    assert 'filtered out: it has the excluded word "rumor"' in await explained(harness, "Rumor")
    assert 'filtered out: it has none of the words "open weights"' in await explained(
        harness, "GPU prices"
    )
    posted = harness.posts()[0]
    assert (
        f"posted: https://discord.com/channels/{harness.discord.guild_id}/{harness.news}/"
        f"{posted['id']}" in await explained(harness, "Qwen 3")
    )


async def test_a_bad_regular_expression_is_refused_with_the_reason(harness: Harness) -> None:
    url = harness.feeds.serve("/f.xml", rss("Models", [item(1, "Qwen 3", harness)]))
    await harness.start()

    reply = await slash(harness, "add", url=url, channel=ChannelRef(harness.news), regex="(v1")
    assert reply["content"].startswith("That filter cannot be used: the regular expression")
    assert "missing )" in reply["content"]
    assert await harness.bot.subscriptions.list(harness.discord.guild_id) == []


async def test_edit_changes_the_filter_in_place_and_pause_holds_posts_back(
    harness: Harness,
) -> None:
    url = harness.feeds.serve("/f.xml", rss("Models", [item(1, "Llama 5 released", harness)]))
    await harness.start()
    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await harness.wait_for(lambda: len(harness.posts()) == 1)

    choices = await harness.discord.invoke_autocomplete(
        "feeds", {"feed": "mod"}, "feed", group_sub="edit"
    )
    [choice] = (await choices.response())["data"]["choices"]
    edited = await slash(harness, "edit", feed=choice["value"], exclude="llama")
    assert 'never with "llama"' in edited["content"]

    harness.feeds.serve(
        "/f.xml",
        rss("Models", [item(3, "Llama 6 rumors", harness), item(2, "Qwen 4 released", harness),
                       item(1, "Llama 5 released", harness)]),
    )  # fmt: skip
    await harness.wait_for(lambda: len(harness.posts()) == 2)
    assert harness.titles()[-1] == "Qwen 4 released"
    assert "excluded word" in await explained(harness, "Llama 6")

    paused = await slash(harness, "pause", feed=choice["value"])
    assert "nothing more is posted there until /feeds resume" in paused["content"]
    listed = await slash(harness, "list")
    assert "⏸ paused by alice" in listed["content"]
    harness.feeds.serve("/f.xml", rss("Models", [item(4, "Qwen 5 released", harness)]))
    await stored(harness, "Qwen 5 released")
    assert "the feed was paused in this channel" in await explained(harness, "Qwen 5")
    assert len(harness.posts()) == 2

    resumed = await slash(harness, "resume", url=url)
    assert "again" in resumed["content"]
    harness.feeds.serve("/f.xml", rss("Models", [item(5, "Qwen 6 released", harness)]))
    await harness.wait_for(lambda: len(harness.posts()) == 3)
    assert harness.titles()[-1] == "Qwen 6 released"


async def test_a_feed_role_is_mentioned_once_per_story_and_nothing_else_pings(
    harness: Harness,
) -> None:
    role = harness.discord.ping_role_id
    items = [item(1, "Qwen 3 released @everyone <@&1>", harness, hours_ago=2)]
    url = harness.feeds.serve("/f.xml", rss("Models", items))
    other = harness.feeds.serve("/g.xml", rss("More models", [item(2, items[0].title, harness)]))
    await harness.start()

    added = await slash(
        harness, "add", url=url, channel=ChannelRef(harness.news), role=RoleRef(role)
    )
    assert f"New stories will mention <@&{role}> (once per story)." in added["content"]
    await harness.wait_for(lambda: len(harness.posts()) == 1)
    await slash(harness, "add", url=other, channel=ChannelRef(harness.news), role=RoleRef(role))
    await harness.outbox_becomes({"posted": 2})  # the second source: a note in the thread

    [post] = harness.posts()
    assert post["content"] == f"<@&{role}>"
    assert post["mention_roles"] == [str(role)] and not post["mention_everyone"]
    allowed = post["allowed_mentions"]
    assert allowed["parse"] == [] and [str(r) for r in allowed["roles"]] == [str(role)]
    notes = [
        m
        for channel, ms in harness.discord.messages.items()
        if harness.discord.is_thread(channel)
        for m in ms
    ]
    assert len(notes) == 1 and notes[0]["mention_roles"] == []
    assert notes[0]["allowed_mentions"] == {"parse": []}


async def test_server_settings_shape_the_posts_threads_off_colour_short_summary(
    harness: Harness,
) -> None:
    picture = "https://cdn.example.org/llama5.jpg"
    entry = replace(item(1, "Llama 5 released", harness), image=picture)
    url = harness.feeds.serve("/f.xml", rss("Models", [entry]))
    await harness.start()
    settings = (
        ("threads", "off"),
        ("colour", "#00FF88"),
        ("summary", "short"),
        ("images", "thumbnail"),
    )
    for key, value in settings:
        await (
            await harness.discord.invoke_slash(
                "bazaar", {"key": key, "value": value}, group_sub="settings set"
            )
        ).final_message()

    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await harness.outbox_becomes({"posted": 1})
    [post] = harness.posts()
    assert post["embeds"][0]["color"] == 0x00FF88
    assert "•" not in post["embeds"][0].get("description", "")
    assert post["embeds"][0]["thumbnail"]["url"] == picture
    assert not any(harness.discord.is_thread(c) for c in harness.discord.messages)  # no thread


async def test_a_channel_gets_at_most_posts_per_hour_and_the_backlog_follows_in_order(
    harness: Harness,
) -> None:
    items = [item(n, f"Release {n}", harness, hours_ago=n) for n in range(1, 6)]
    url = harness.feeds.serve("/f.xml", rss("Models", items))
    await harness.start(backfill=5)
    await (
        await harness.discord.invoke_slash(
            "bazaar", {"key": "posts_per_hour", "value": "2"}, group_sub="settings set"
        )
    ).final_message()

    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await harness.outbox_becomes({"posted": 2, "pending": 3})
    assert harness.titles() == ["Release 5", "Release 4"]  # oldest first
    assert "waiting to be posted" in await explained(harness, "Release 1")

    harness.clock.advance(timedelta(minutes=61))
    assert harness.bot is not None
    harness.bot.posts_queued.set()
    await harness.outbox_becomes({"posted": 4, "pending": 1})
    assert harness.titles() == ["Release 5", "Release 4", "Release 3", "Release 2"]


async def test_a_channel_that_refuses_posts_pauses_its_feed_tells_admins_once_and_resumes(
    harness: Harness,
) -> None:
    items = [item(n, f"Release {n}", harness, hours_ago=n) for n in range(1, 4)]
    url = harness.feeds.serve("/f.xml", rss("Models", items))
    await harness.start()
    general = harness.discord.channel_ids["general"]
    await (
        await harness.discord.invoke_slash(
            "bazaar", {"key": "log_channel", "value": f"<#{general}>"}, group_sub="settings set"
        )
    ).final_message()
    news_messages = rf"/channels/{harness.news}/messages$"
    harness.discord.fail_next("POST", news_messages, 403, code=50013, times=1)

    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await harness.wait_for(
        lambda: any("Paused **Models**" in m.get("content", "") for m in harness.posts(general))
    )
    [notice] = [m for m in harness.posts(general) if "Paused" in m.get("content", "")]
    assert f"in <#{harness.news}>: missing permission to post here" in notice["content"]
    assert notice["allowed_mentions"] == {"parse": []}
    attempts = [
        r
        for r in harness.discord.requests
        if r[0] == "POST" and r[1].endswith(f"/channels/{harness.news}/messages")
    ]
    assert len(attempts) == 1  # the other two posts wait: not tried and refused in turn
    assert harness.posts() == []
    assert "⏸ missing permission" in (await slash(harness, "list"))["content"]

    resumed = await slash(harness, "resume", url=url)
    assert "again" in resumed["content"]
    await harness.wait_for(lambda: len(harness.posts()) == 3)  # the refused one too
    assert harness.titles() == ["Release 3", "Release 2", "Release 1"]
    assert len([m for m in harness.posts(general) if "Paused" in m.get("content", "")]) == 1


async def test_removed_from_a_server_the_bot_stops_posting_there(harness: Harness) -> None:
    url = harness.feeds.serve("/f.xml", rss("Models", [item(1, "Release 1", harness)]))
    await harness.start()
    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await harness.wait_for(lambda: len(harness.posts()) == 1)

    await harness.discord.remove_bot_from_guild()
    assert harness.bot is not None
    for _ in range(500):
        [view] = await harness.bot.subscriptions.list(harness.discord.guild_id)
        if view.subscription.paused_at is not None:
            break
        await asyncio.sleep(0.02)
    assert view.subscription.pause_reason == "the bot was removed from this server"
    harness.feeds.serve("/f.xml", rss("Models", [item(2, "Release 2", harness)]))
    await stored(harness, "Release 2")
    assert "paused in this channel" in await explained(harness, "Release 2")
    assert len(harness.posts()) == 1


async def test_feeds_test_shows_the_next_post_and_posts_nothing(harness: Harness) -> None:
    items = [
        item(1, "Qwen 3 ships open weights", harness, hours_ago=1),
        item(2, "An older story", harness, hours_ago=5),
    ]
    url = harness.feeds.serve("/f.xml", rss("Models", items))
    await harness.start()

    reply = await slash(harness, "test", url=url, exclude="qwen")
    assert reply["flags"] & EPHEMERAL
    assert reply["content"].startswith("**Models**: 2 entries; its newest would be posted as:")
    assert 'Your filter would keep it out: it has the excluded word "qwen"' in reply["content"]
    assert reply["embeds"][0]["title"] == "Qwen 3 ships open weights"
    assert reply["allowed_mentions"] == {"parse": []}
    assert harness.posts() == []
    assert await harness.bot.subscriptions.list(harness.discord.guild_id) == []

    missing = await slash(harness, "test", url=harness.feeds.url("/nothing.xml"))
    assert missing["content"].startswith("Cannot read") and "404" in missing["content"]


async def test_in_a_forum_each_story_is_a_post_with_its_tags_and_notes_go_inside(
    harness: Harness,
) -> None:
    forum = harness.discord.add_forum_channel("releases", tags=["Model release", "Tooling"])
    title = "Meta releases Llama 5 with open weights under a new licence"
    first = FeedItem(title, "https://a.example/llama5", "<p>Meta released Llama 5 weights.</p>",
                     guid="a", published=harness.clock() - timedelta(hours=2))  # fmt: skip
    second = FeedItem(title, "https://b.example/llama5", "<p>Llama 5 is out.</p>", guid="b",
                      published=harness.clock() - timedelta(hours=1))  # fmt: skip
    a = harness.feeds.serve("/a.xml", rss("Alpha", [first]))
    b = harness.feeds.serve("/b.xml", rss("Beta", [second]))
    await harness.start()

    added = await slash(harness, "add", url=a, channel=ChannelRef(forum))
    assert added["content"].startswith("Following **Alpha**")
    await harness.wait_for(lambda: len(harness.discord.forum_posts(forum)) == 1)
    await slash(harness, "add", url=b, channel=ChannelRef(forum))
    await harness.outbox_becomes({"posted": 2})

    [post] = harness.discord.forum_posts(forum)
    assert post["name"] == title
    tags = {t["name"]: t["id"] for t in harness.discord._channels[forum]["available_tags"]}
    assert post["applied_tags"] == [tags["Model release"]]
    starter, note = harness.discord.messages[int(post["id"])]
    assert starter["id"] == post["id"] and starter["embeds"][0]["title"] == title
    assert starter["allowed_mentions"] == {"parse": []}
    assert note["content"].startswith("Also covered by **Beta**")


async def test_another_server_never_sees_this_servers_items_or_settings(
    harness: Harness,
) -> None:
    url = harness.feeds.serve("/f.xml", rss("Models", [item(1, "Qwen 3 released", harness)]))
    await harness.start()
    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await stored(harness, "Qwen 3")
    assert harness.bot is not None
    store, mine, other = harness.bot.store, harness.discord.guild_id, harness.discord.guild_id + 1

    [(item_id, _)] = await store.guild_item_titles(mine, "Qwen")
    assert await store.guild_item_titles(other, "Qwen") == []
    assert await store.explain_item(other, item_id) is None
    assert await store.guild_item_by_link(other, "https://example.org/1") is None
    await harness.bot.server_settings.set(mine, "summary", "short")
    assert (await harness.bot.server_settings.get(other)).summary == "long"
    assert await harness.bot.subscriptions.choices(other, "") == []


async def test_a_backlog_larger_than_catch_up_above_comes_as_one_list_oldest_first(
    harness: Harness,
) -> None:
    items = [item(n, f"Release {n}", harness, hours_ago=n) for n in range(1, 8)]
    url = harness.feeds.serve("/f.xml", rss("Models", items))
    await harness.start(backfill=7)
    await set_setting(harness, "catch_up_above", "5")
    await set_setting(harness, "posts_per_hour", "2")

    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await harness.wait_for(lambda: any("stories came in" in m["content"] for m in harness.posts()))
    [catch_up] = harness.posts()
    lines = catch_up["content"].split("\n")
    assert lines[0] == "While the posts of this channel waited, 7 stories came in:"
    assert lines[1:] == [
        f"• **Release {n}** (Models) <https://example.org/{n}>" for n in range(7, 0, -1)
    ]
    assert catch_up["allowed_mentions"] == {"parse": []}
    assert "in a catch-up list" in await explained(harness, "Release 3")
    await harness.outbox_becomes({"skipped": 7})


async def test_posts_already_waiting_fold_into_a_list_soon_after_catch_up_above_is_lowered(
    harness: Harness,
) -> None:
    items = [item(n, f"Release {n}", harness, hours_ago=n) for n in range(1, 8)]
    url = harness.feeds.serve("/f.xml", rss("Models", items))
    await harness.start(backfill=7)
    await set_setting(harness, "posts_per_hour", "2")
    await slash(harness, "add", url=url, channel=ChannelRef(harness.news))
    await harness.outbox_becomes({"posted": 2, "pending": 5})

    # Nothing new is queued after this: the publisher counts the backlog again in a while.
    await set_setting(harness, "catch_up_above", "3")
    harness.clock.advance(timedelta(minutes=6))
    assert harness.bot is not None
    harness.bot.posts_queued.set()
    await harness.wait_for(lambda: any("stories came in" in m["content"] for m in harness.posts()))
    catch_up = harness.posts()[-1]["content"]
    assert catch_up.startswith("While the posts of this channel waited, 5 stories came in:")
    await harness.outbox_becomes({"posted": 2, "skipped": 5})


async def set_setting(harness: Harness, key: str, value: str) -> None:
    await (
        await harness.discord.invoke_slash(
            "bazaar", {"key": key, "value": value}, group_sub="settings set"
        )
    ).final_message()


async def test_two_servers_in_one_run_never_see_each_others_feeds_items_or_settings(
    harness: Harness,
) -> None:
    other = harness.discord.add_guild("other")
    other_news = harness.discord.channel_ids["other-news"]
    mine_url = harness.feeds.serve("/mine.xml", rss("Mine", [item(1, "Qwen 3 released", harness)]))
    theirs_url = harness.feeds.serve(
        "/theirs.xml", rss("Theirs", [item(2, "Llama 5 released", harness)])
    )
    await harness.start()
    discord = harness.discord

    async def in_server(where: str, sub: str, **options: object) -> dict:
        return await (
            await discord.invoke_slash("feeds", options, group_sub=sub, channel=where)
        ).final_message()

    await in_server("general", "add", url=mine_url, channel=ChannelRef(harness.news))
    await in_server("other-general", "add", url=theirs_url, channel=ChannelRef(other_news))
    await harness.wait_for(
        lambda: len(harness.posts()) == 1 and len(harness.posts(other_news)) == 1
    )
    assert harness.titles() == ["Qwen 3 released"]
    assert harness.titles(other_news) == ["Llama 5 released"]

    mine = (await in_server("general", "list"))["content"]
    theirs = (await in_server("other-general", "list"))["content"]
    assert "Mine" in mine and "Theirs" not in mine
    assert "Theirs" in theirs and "Mine" not in theirs

    searched = await (
        await discord.invoke_slash(
            "news", {"query": "released"}, group_sub="search", channel="other-general"
        )
    ).final_message()
    shown = str(searched.get("embeds"))
    assert "Llama 5" in shown and "Qwen 3" not in shown

    choices = await (
        await discord.invoke_autocomplete(
            "feeds", {"item": "Qwen"}, "item", group_sub="explain", channel="other-general"
        )
    ).response()
    assert choices["data"]["choices"] == []
    await (
        await discord.invoke_slash(
            "bazaar", {"key": "summary", "value": "short"}, group_sub="settings set",
            channel="other-general",
        )
    ).final_message()  # fmt: skip
    assert harness.bot is not None
    assert (await harness.bot.server_settings.get(other)).summary == "short"
    assert (await harness.bot.server_settings.get(discord.guild_id)).summary == "long"
