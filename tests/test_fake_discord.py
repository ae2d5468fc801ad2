"""Self-test of the fake Discord: a small real discord.py bot talks to it end to end."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import MEMBER_PERMISSIONS, FakeDiscord, SteppedClock, snowflake_at

EPHEMERAL = 64
MANAGE_SERVER_REFUSAL = "You need the Manage Server permission."


class ConfirmView(discord.ui.View):
    """One button whose click is answered ephemerally."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Confirm", custom_id="confirm:yes")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message("confirmed", ephemeral=True)


def build_feeds_group() -> app_commands.Group:
    feeds = app_commands.Group(name="feeds", description="Manage followed feeds")

    @feeds.command(name="add", description="Follow a feed in a channel")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def feeds_add(
        interaction: discord.Interaction, url: str, channel: discord.TextChannel
    ) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send(f"Following {url} in {channel.mention}", ephemeral=True)

    @feeds.command(name="remove", description="Stop following a feed")
    async def feeds_remove(interaction: discord.Interaction, url: str) -> None:
        await interaction.response.send_message(f"Removed {url}", ephemeral=True)

    @feeds_remove.autocomplete("url")
    async def url_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        urls = ["https://example.org/feed", "https://other.example/rss"]
        return [app_commands.Choice(name=url, value=url) for url in urls if current in url]

    return feeds


async def ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("pong", ephemeral=True)


async def announce(
    interaction: discord.Interaction, title: str, channel: discord.TextChannel
) -> None:
    message = await channel.send(embed=discord.Embed(title=title, description="Details."))
    thread = await message.create_thread(name=f"Discuss: {title}")
    await interaction.response.send_message(f"Posted, see {thread.mention}", ephemeral=True)


async def slow(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)
    await interaction.followup.send("done", ephemeral=True)


async def confirm(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Sure?", view=ConfirmView())


async def on_tree_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    if isinstance(error, app_commands.MissingPermissions):
        await interaction.response.send_message(MANAGE_SERVER_REFUSAL, ephemeral=True)
        return
    raise error


class SampleBot(commands.Bot):
    """The bot under test: /ping, /feeds add|remove, /announce, /slow, /confirm."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1
        )
        self.tree.on_error = on_tree_error  # type: ignore[method-assign]
        self.tree.add_command(build_feeds_group())
        commands_ = {
            "ping": (ping, "Is the bot alive?"),
            "announce": (announce, "Post an embed with a discussion thread"),
            "slow": (slow, "Defer, then answer"),
            "confirm": (confirm, "Ask for a click"),
        }
        for name, (callback, description) in commands_.items():
            command = app_commands.Command(name=name, description=description, callback=callback)
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; nothing to throttle against a fake."""


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        with server.patch_discord():
            yield server
    finally:
        await server.stop()


async def until(task: asyncio.Task[None], awaitable: Awaitable[object], limit: float) -> None:
    """Await ``awaitable`` but fail at once, with its error, if the bot task ends first."""
    waiter = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task, waiter}, timeout=limit, return_when="FIRST_COMPLETED")
    if waiter in done:
        waiter.result()
        return
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiter
    if task in done:
        task.result()
        raise AssertionError("the bot stopped before it was ready")
    raise TimeoutError(f"the bot was not ready within {limit}s")


@contextlib.asynccontextmanager
async def running_bot(fake: FakeDiscord) -> AsyncIterator[SampleBot]:
    """Start a SampleBot against the fake, wait for on_ready, close it cleanly afterwards."""
    bot = SampleBot()
    task = asyncio.create_task(bot.start("fake-token"))
    try:
        await until(task, fake.wait_until_ready(), limit=5)
        await until(task, bot.wait_until_ready(), limit=5)
        yield bot
    finally:
        await bot.close()
        await task


@pytest.mark.asyncio
async def test_login_and_ready(fake: FakeDiscord) -> None:
    async with running_bot(fake) as bot:
        assert bot.user is not None and bot.user.id == fake.bot_user_id
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and guild.name == "Test Guild"
        assert {channel.name for channel in guild.text_channels} == {"news", "general"}
        assert guild.me is not None and guild.me.guild_permissions.send_messages
        assert fake.connections == 1
        assert ("GET", "/users/@me", None) in fake.requests


@pytest.mark.asyncio
async def test_tree_sync_goes_to_the_fake(fake: FakeDiscord) -> None:
    async with running_bot(fake) as bot:
        synced = {command["name"]: command for command in fake.synced_commands}
        assert set(synced) == {"ping", "feeds", "announce", "slow", "confirm"}
        add = next(o for o in synced["feeds"]["options"] if o["name"] == "add")
        assert {o["name"]: o["type"] for o in add["options"]} == {"url": 3, "channel": 7}
        fetched = await bot.tree.fetch_commands()
        assert {command.name for command in fetched} == set(synced)
        assert all(command.id for command in fetched)


@pytest.mark.asyncio
async def test_ping_round_trip(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        interaction = await fake.invoke_slash("ping")
        assert (await interaction.response())["type"] == 4
        reply = await interaction.final_message()
        assert reply["content"] == "pong"
        assert reply["flags"] & EPHEMERAL


@pytest.mark.asyncio
async def test_feeds_add_with_channel_option_as_admin(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        news = fake.channel_ids["news"]
        interaction = await fake.invoke_slash(
            "feeds",
            {"url": "https://example.org/feed", "channel": fake.channel_ref("news")},
            group_sub="add",
        )
        assert (await interaction.response())["type"] == 5
        reply = await interaction.final_message()
        assert reply["content"] == f"Following https://example.org/feed in <#{news}>"
        assert reply["flags"] & EPHEMERAL
        data = interaction.payload["data"]
        channel_option = {"name": "channel", "type": 7, "value": str(news)}
        assert data["options"][0]["options"][1] == channel_option
        assert str(news) in data["resolved"]["channels"]


@pytest.mark.asyncio
async def test_feeds_add_is_refused_for_members(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        interaction = await fake.invoke_slash(
            "feeds",
            {"url": "https://example.org/feed", "channel": fake.channel_ref("news")},
            group_sub="add",
            permissions=MEMBER_PERMISSIONS,
            user_name="bob",
        )
        reply = await interaction.final_message()
        assert reply["content"] == MANAGE_SERVER_REFUSAL
        assert reply["flags"] & EPHEMERAL


@pytest.mark.asyncio
async def test_declared_option_types_are_enforced(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        with pytest.raises(TypeError, match="CHANNEL"):
            await fake.invoke_slash("feeds", {"url": "u", "channel": "news"}, group_sub="add")
        with pytest.raises(ValueError, match="missing required"):
            await fake.invoke_slash("feeds", {"url": "u"}, group_sub="add")


@pytest.mark.asyncio
async def test_announce_posts_embed_and_creates_thread(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        interaction = await fake.invoke_slash(
            "announce", {"title": "Release 1.0", "channel": fake.channel_ref("news")}
        )
        reply = await interaction.final_message()
        [message] = fake.messages[fake.channel_ids["news"]]
        assert message["embeds"][0]["title"] == "Release 1.0"
        [thread] = fake.threads
        assert thread["parent_id"] == str(fake.channel_ids["news"])
        assert thread["name"] == "Discuss: Release 1.0"
        assert thread["message_id"] == int(message["id"])
        assert reply["content"] == f"Posted, see <#{thread['id']}>"


@pytest.mark.asyncio
async def test_deferred_reply_keeps_the_deferrals_visibility(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        interaction = await fake.invoke_slash("slow")
        reply = await interaction.final_message()
        assert reply["content"] == "done"
        assert not reply["flags"] & EPHEMERAL  # as on Discord: the public defer wins


@pytest.mark.asyncio
async def test_button_click_reaches_the_view(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        question = await (await fake.invoke_slash("confirm")).final_message()
        assert question["components"][0]["components"][0]["custom_id"] == "confirm:yes"
        click = await fake.invoke_component(question["id"], "confirm:yes")
        answer = await click.final_message()
        assert answer["content"] == "confirmed"
        assert answer["flags"] & EPHEMERAL


@pytest.mark.asyncio
async def test_autocomplete(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        interaction = await fake.invoke_autocomplete(
            "feeds", {"url": "other"}, focused="url", group_sub="remove"
        )
        response = await interaction.response()
        assert response["type"] == 8
        assert [c["value"] for c in response["data"]["choices"]] == ["https://other.example/rss"]


@pytest.mark.asyncio
async def test_unknown_route_is_recorded(fake: FakeDiscord) -> None:
    async with running_bot(fake) as bot:
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None
        with pytest.raises(discord.NotFound):
            await guild.fetch_emojis()
        assert fake.unknown_requests == [("GET", f"/guilds/{fake.guild_id}/emojis")]


@pytest.mark.asyncio
async def test_fail_next_makes_send_raise_forbidden(fake: FakeDiscord) -> None:
    async with running_bot(fake) as bot:
        channel = bot.get_channel(fake.channel_ids["general"])
        assert isinstance(channel, discord.TextChannel)
        fake.fail_next("POST", r"/channels/\d+/messages$", 403)
        with pytest.raises(discord.Forbidden) as raised:
            await channel.send("hello")
        assert raised.value.code == 50013
        await channel.send("hello again")
        assert [m["content"] for m in fake.messages[channel.id]] == ["hello again"]


@pytest.mark.asyncio
async def test_rate_limit_is_retried_by_discord_py(fake: FakeDiscord) -> None:
    async with running_bot(fake) as bot:
        channel = bot.get_channel(fake.channel_ids["general"])
        assert isinstance(channel, discord.TextChannel)
        fake.fail_next("POST", r"/messages$", 429, retry_after=0.01)
        await channel.send("eventually")
        posts = [r for r in fake.requests if r[0] == "POST" and r[1].endswith("/messages")]
        assert len(posts) == 2
        assert len(fake.messages[channel.id]) == 1


@pytest.mark.asyncio
async def test_discord_limits_are_enforced(fake: FakeDiscord) -> None:
    async with running_bot(fake) as bot:
        channel = bot.get_channel(fake.channel_ids["general"])
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as raised:
            await channel.send("x" * 2001)
        assert raised.value.code == 50035
        with pytest.raises(discord.HTTPException) as raised:
            await channel.send(embed=discord.Embed(description="y" * 4097))
        assert raised.value.code == 50035


@pytest.mark.asyncio
async def test_allowed_mentions_are_recorded_and_honoured(fake: FakeDiscord) -> None:
    async with running_bot(fake) as bot:
        channel = bot.get_channel(fake.channel_ids["general"])
        assert isinstance(channel, discord.TextChannel)
        await channel.send("@everyone news!", allowed_mentions=discord.AllowedMentions.none())
        await channel.send("@everyone news!")
        quiet, loud = fake.messages[channel.id]
        assert quiet["allowed_mentions"] == {"parse": []}
        assert quiet["mention_everyone"] is False
        assert loud["mention_everyone"] is True


@pytest.mark.asyncio
async def test_restarted_bot_sees_previous_messages(fake: FakeDiscord) -> None:
    general = fake.channel_ids["general"]
    async with running_bot(fake) as bot:
        channel = bot.get_channel(general)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("before restart")
        await first.create_thread(name="kept")
    async with running_bot(fake) as bot:
        assert fake.connections == 2
        channel = bot.get_channel(general)
        assert isinstance(channel, discord.TextChannel)
        thread = channel.guild.get_thread(first.id)
        assert thread is not None and thread.name == "kept"
        history = [message async for message in channel.history(limit=10)]
        assert [message.id for message in history] == [first.id]
        fetched = await channel.fetch_message(first.id)
        assert fetched.content == "before restart"
        assert (await (await fake.invoke_slash("ping")).final_message())["content"] == "pong"


@pytest.mark.asyncio
async def test_reconnect_falls_back_to_identify(fake: FakeDiscord) -> None:
    async with running_bot(fake):
        await fake.force_reconnect()
        await fake.wait_for(lambda: fake.connections == 2, timeout=5)
        await fake.wait_until_ready()
        interaction = await fake.invoke_slash("ping")
        assert (await interaction.final_message())["content"] == "pong"


@pytest.mark.asyncio
async def test_wait_for_timeout_explains_what_happened(fake: FakeDiscord) -> None:
    with pytest.raises(TimeoutError, match="the impossible"):
        await fake.wait_for(lambda: False, timeout=0.05, what="the impossible")


# ---- Where crash recovery depends on the fake being faithful ----------------------------------


@contextlib.asynccontextmanager
async def started(**options: object) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(**options)  # type: ignore[arg-type]
    await server.start()
    try:
        with server.patch_discord():
            yield server
    finally:
        await server.stop()


async def text_channel(bot: SampleBot, fake: FakeDiscord, name: str) -> discord.TextChannel:
    channel = bot.get_channel(fake.channel_ids[name])
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_a_nonce_returns_the_first_message_only_within_the_window() -> None:
    clock = SteppedClock()
    async with started(clock=clock, nonce_window_seconds=300) as fake, running_bot(fake) as bot:
        channel = await text_channel(bot, fake, "news")
        first = await channel.send("post", nonce="row-1")
        clock.advance(299)
        again = await channel.send("post", nonce="row-1")
        assert again.id == first.id
        assert len(fake.messages[channel.id]) == 1

        clock.advance(2)  # past Discord's few minutes: the same nonce is a new message
        late = await channel.send("post", nonce="row-1")
        assert late.id != first.id
        assert len(fake.messages[channel.id]) == 2
        assert late.created_at.timestamp() >= time.time() + 300  # snowflakes follow the clock

        fake.forget_nonces()
        assert (await channel.send("post", nonce="row-1")).id != late.id


async def test_history_pages_after_a_time_newest_first_in_channels_and_threads() -> None:
    async with started() as fake, running_bot(fake) as bot:
        channel = await text_channel(bot, fake, "general")
        for n in range(30):
            await fake.post_as_member("general", f"early {n}")
        await asyncio.sleep(0.01)  # snowflakes have millisecond resolution
        since = time.time()
        await asyncio.sleep(0.01)
        for n in range(130):
            await fake.post_as_member("general", f"chat {n}", user_name=f"user{n % 3}")

        later = [
            m async for m in channel.history(limit=None, after=discord.Object(snowflake_at(since)))
        ]
        assert [m.content for m in later] == [f"chat {n}" for n in range(130)]
        assert later[0].author.name == "user0" and not later[0].author.bot
        newest = [m async for m in channel.history(limit=60)]
        assert [m.content for m in newest] == [f"chat {n}" for n in range(129, 69, -1)]
        pages = [r for r in fake.requests if r[0] == "GET" and r[1].endswith("/messages")]
        assert len(pages) >= 3  # at most 100 a page

        anchor = fake.messages[channel.id][50]
        around = [
            m async for m in channel.history(limit=5, around=discord.Object(int(anchor["id"])))
        ]
        assert int(anchor["id"]) in [m.id for m in around] and len(around) == 5

        message = await channel.send("a post")
        thread = await message.create_thread(name="talk")
        await thread.send("in the thread")
        await fake.post_as_member(thread.id, "a reply")
        assert [m.content async for m in thread.history(limit=10)] == ["a reply", "in the thread"]


async def test_a_second_thread_on_one_message_is_refused() -> None:
    async with started() as fake, running_bot(fake) as bot:
        message = await (await text_channel(bot, fake, "news")).send("post")
        thread = await message.create_thread(name="first")
        assert thread.id == message.id
        with pytest.raises(discord.HTTPException) as raised:
            await message.create_thread(name="second")
        assert raised.value.status == 400 and raised.value.code == 160004
        assert len(fake.threads) == 1


async def test_sends_beyond_the_channel_rate_limit_wait_and_all_arrive() -> None:
    async with started(send_rate_limit=(2, 0.4)) as fake, running_bot(fake) as bot:
        channel = await text_channel(bot, fake, "news")
        begun = time.monotonic()
        for n in range(5):
            await channel.send(f"m{n}")
        assert time.monotonic() - begun >= 0.8  # three windows of two sends
        assert [m["content"] for m in fake.messages[channel.id]] == [f"m{n}" for n in range(5)]

        # A client that ignores the headers (a restarted bot does not know them) gets a 429.
        await asyncio.sleep(0.45)  # a fresh window
        url = f"{fake.base_url}/channels/{channel.id}/messages"
        headers = {"Authorization": "Bot fake-token"}
        async with aiohttp.ClientSession(headers=headers) as http:
            answers = [await http.post(url, json={"content": "raw"}) for _ in range(3)]
            refused = answers[-1]
            assert [a.status for a in answers] == [200, 200, 429]
            assert refused.headers["Via"] and int(refused.headers["Retry-After"]) >= 1
            assert refused.headers["X-RateLimit-Remaining"] == "0"
            body = await refused.json()
            assert 0 < body["retry_after"] <= 0.4 and body["global"] is False
        assert fake.rate_limited == [("POST", f"/channels/{channel.id}/messages")]


async def test_a_write_is_applied_before_it_is_answered() -> None:
    async with started(write_latency_seconds=0.3) as fake, running_bot(fake) as bot:
        channel = await text_channel(bot, fake, "news")
        send = asyncio.create_task(channel.send("slow answer"))
        await fake.wait_for(lambda: fake.writes_awaiting_answer == 1, timeout=5)
        assert fake.unanswered_writes == [("POST", f"/channels/{channel.id}/messages")]
        assert [m["content"] for m in fake.messages[channel.id]] == ["slow answer"]
        assert not send.done()  # a bot killed now never learns the message id
        message = await send
        assert message.id == int(fake.messages[channel.id][0]["id"])
        assert fake.writes_awaiting_answer == 0


async def test_member_chatter_reaches_a_connected_bot_and_outlives_it() -> None:
    async with started() as fake:
        await fake.post_as_member("general", "before the bot")
        async with running_bot(fake) as bot:
            heard = asyncio.ensure_future(bot.wait_for("message", timeout=5))
            await fake.post_as_member("general", "hello bot", user_name="carol")
            message = await heard
            assert (
                message.author.name == "carol" and message.channel.id == fake.channel_ids["general"]
            )
        general = fake.messages[fake.channel_ids["general"]]
        assert [m["content"] for m in general] == ["before the bot", "hello bot"]
