"""`python -m bot preview` as a user runs it: a real process, real HTTP, a real database."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import Store
from tests.feed_server import FeedItem, FeedServer, rss

REPO = Path(__file__).resolve().parent.parent


async def run_cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def write_config(tmp_path: Path, *feeds: str, channel: int = 4242) -> Path:
    blocks = "".join(f'[[feeds]]\nurl = "{url}"\nchannel_id = {channel}\n' for url in feeds)
    path = tmp_path / "config.toml"
    path.write_text(
        '[storage]\ndatabase = "bazaar.db"\n'
        # Items link to example.org: tests never reach the internet for their pages.
        "[polling]\nfull_articles = false\n"
        "[network]\nallow_private_networks = true\nper_host_delay_seconds = 0\n" + blocks
    )
    return path


async def test_preview_prints_what_would_be_posted_and_changes_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    published = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    entries = [
        FeedItem(
            "DeepSeek releases V4 weights",
            "https://example.org/deepseek-v4",
            "<p>DeepSeek published V4 under MIT. Weights are on the Hub.</p>",
            guid="ds-v4",
            published=datetime.now(UTC) - timedelta(hours=1),
        ),
        FeedItem("Older", "https://example.org/older", "Old.", guid="o", published=published),
    ]
    url = feed_server.serve("/feed.xml", rss("Open Models Weekly", entries))
    config = write_config(tmp_path, url)

    code, out, err = await run_cli("preview", "--config", str(config))

    assert code == 0, err
    assert "Polled 1 feed(s): 1 fetched, 0 not modified, 0 failed." in out
    assert "Would post 2 item(s)." in out
    assert "#4242 · Open Models Weekly · 2026-11-23 09:30 UTC" in out
    assert "DeepSeek releases V4 weights" in out
    assert "https://example.org/deepseek-v4" in out
    assert "DeepSeek published V4 under MIT. Weights are on the Hub." in out
    assert out.index("Older") < out.index("DeepSeek releases")  # oldest first, like the channel
    store = await Store.open(tmp_path / "bazaar.db")
    try:
        assert await store.pending_posts() == []
        assert await store.known_identities(1, ["guid:ds-v4"], []) == set()
    finally:
        await store.close()


async def test_preview_lists_failing_feeds_with_the_reason(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    good = feed_server.serve("/feed.xml", rss("Good", []))
    config = write_config(tmp_path, good, feed_server.url("/gone.xml"))

    code, out, _ = await run_cli("preview", "--config", str(config))

    assert code == 0
    assert "1 failed" in out
    assert "Nothing new to post." in out
    assert f"{feed_server.url('/gone.xml')}\n    HTTP 404 Not Found" in out


async def test_preview_with_no_feeds_says_how_to_add_some(tmp_path: Path) -> None:
    code, out, _ = await run_cli("preview", "--config", str(write_config(tmp_path)))
    assert code == 0
    assert "No feeds to poll" in out
