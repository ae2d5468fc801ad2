"""Self-test of the fake Discord's files: an attachment option whose bytes come from the fake
CDN, and files a bot uploads (multipart/form-data with payload_json and files[n]) on an
interaction response and on a followup, as real discord.py 2.7 sends them."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import FakeDiscord


async def echo(interaction: discord.Interaction, file: discord.Attachment) -> None:
    """Answers with the attachment's name, size and bytes, and the same file back."""
    data = await file.read()
    await interaction.response.send_message(
        f"{file.filename} {file.size} {data.decode()}",
        file=discord.File(io.BytesIO(data[::-1]), filename="reversed.txt"),
        ephemeral=True,
    )


async def later(interaction: discord.Interaction) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    await interaction.followup.send(
        "here", file=discord.File(io.BytesIO(b"<opml/>"), filename="feeds.opml"), ephemeral=True
    )


class FileBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1
        )
        for name, callback in (("echo", echo), ("later", later)):
            self.tree.add_command(
                app_commands.Command(name=name, description=f"/{name}", callback=callback)
            )

    async def setup_hook(self) -> None:
        await self.tree.sync()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        with server.patch_discord():
            bot = FileBot()
            task = asyncio.create_task(bot.start("fake-token"))
            await server.wait_until_ready()
            await asyncio.wait_for(bot.wait_until_ready(), timeout=5)
            try:
                yield server
            finally:
                await bot.close()
                with contextlib.suppress(Exception):
                    await task
    finally:
        await server.stop()


async def test_an_attachment_option_is_described_then_downloaded_from_the_cdn(
    fake: FakeDiscord,
) -> None:
    given = fake.attachment("my list.txt", b"hello", content_type="text/plain")
    interaction = await fake.invoke_slash("echo", {"file": given})

    reply = await interaction.final_message()

    assert reply["content"] == "my list.txt 5 hello"
    assert fake.cdn_downloads == [given.id]
    [option] = interaction.payload["data"]["options"]
    assert option == {"name": "file", "type": 11, "value": str(given.id)}
    assert interaction.payload["data"]["resolved"]["attachments"][str(given.id)]["size"] == 5
    assert fake.unknown_requests == []


async def test_files_uploaded_on_a_response_and_a_followup_are_kept_as_attachments(
    fake: FakeDiscord,
) -> None:
    echoed = await fake.invoke_slash("echo", {"file": fake.attachment("a.txt", b"abc")})
    [returned] = (await echoed.final_message())["attachments"]
    assert (returned["filename"], returned["size"]) == ("reversed.txt", 3)
    assert fake.uploads[int(returned["id"])] == b"cba"

    followed = await fake.invoke_slash("later", {})
    message = await followed.final_message()
    [opml] = message["attachments"]
    assert message["content"] == "here" and opml["filename"] == "feeds.opml"
    assert fake.uploads[int(opml["id"])] == b"<opml/>"
    assert message["flags"] & 64  # the deferral's visibility


async def test_the_cdn_serves_only_the_attachment_urls_it_gave(fake: FakeDiscord) -> None:
    given = fake.attachment("x.opml", b"data")
    url = fake.option_attachments[given.id]["url"]
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as found:
            assert (found.status, await found.read()) == (200, b"data")
        async with session.get(url.replace("x.opml", "y.opml")) as wrong:
            assert wrong.status == 404
    assert fake.cdn_downloads == [given.id]
