"""`python -m bot preview` as a user runs it: a real process, real HTTP, a real database."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

from bot.config import load_settings
from bot.content.lexicon import Lexicon
from bot.http.clients import open_http_clients
from bot.pipeline import build_pipeline
from bot.store import Store
from tests.clock import TestClock
from tests.comments_server import HN_STORY, CommentsServer
from tests.feed_server import FeedItem, FeedServer, rss
from tests.llm_server import LLMServer, Reply, completion

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
    clock: TestClock, feed_server: FeedServer, tmp_path: Path
) -> None:
    now = clock().replace(microsecond=0)
    older = now - timedelta(days=6, hours=23)  # just inside max_age_days = 7
    too_old = now - timedelta(days=7, minutes=1)
    entries = [
        FeedItem(
            "DeepSeek releases V4 weights",
            "https://example.org/deepseek-v4",
            "<p>DeepSeek published V4 under MIT. Weights are on the Hub.</p>",
            guid="ds-v4",
            published=now - timedelta(hours=1),
        ),
        FeedItem("Older", "https://example.org/older", "Old.", guid="o", published=older),
        FeedItem("Too old", "https://example.org/too-old", "Old.", guid="t", published=too_old),
    ]
    url = feed_server.serve("/feed.xml", rss("Open Models Weekly", entries))
    config = write_config(tmp_path, url)

    code, out, err = await run_cli("preview", "--config", str(config), "--now", now.isoformat())

    assert code == 0, err
    assert "Polled 1 feed(s): 1 fetched, 0 not modified, 0 failed." in out
    assert "Would post 2 item(s)." in out
    assert f"#4242 · Open Models Weekly · {older:%Y-%m-%d %H:%M} UTC" in out
    assert "Too old" not in out
    assert "DeepSeek releases V4 weights" in out
    assert "https://example.org/deepseek-v4" in out
    assert "   DeepSeek published V4 under MIT.\n   • Weights are on the Hub.\n" in out
    assert out.index("Older") < out.index("DeepSeek releases")  # oldest first, like the channel
    store = await Store.open(tmp_path / "bazaar.db")
    try:
        assert await store.pending_posts() == []
        assert await store.known_identities(1, ["guid:ds-v4"], []) == set()
    finally:
        await store.close()


async def test_preview_shows_a_second_source_as_the_thread_note_the_bot_then_queues(
    clock: TestClock, feed_server: FeedServer, tmp_path: Path
) -> None:
    now = clock().replace(microsecond=0)
    story = "Mistral releases Large 3 under Apache 2.0"
    first = feed_server.serve("/a.xml", rss("Open Models Weekly", [
        FeedItem(story, "https://a.example/m3", "<p>Large 3 is out.</p>", guid="a",
                 published=now - timedelta(hours=2)),
    ]))  # fmt: skip
    second = feed_server.serve("/b.xml", rss("AI Wire", [
        FeedItem(f"{story} - AI Wire", "https://b.example/x", "<p>Large 3 ships.</p>", guid="b",
                 published=now - timedelta(hours=1)),
    ]))  # fmt: skip
    config = write_config(tmp_path, first, second)

    code, out, err = await run_cli("preview", "--config", str(config), "--now", now.isoformat())

    assert code == 0, err
    assert "Would post 1 item(s), add 1 thread note(s)." in out
    assert "in the thread of this story's post" in out
    assert out.count("Also covered by ") == 1

    # The bot's own cycle, on the database the preview left untouched, queues the same.
    settings = load_settings(config)
    store = await Store.open(settings.storage.database, clock=lambda: now)
    try:
        assert await store.pending_posts() == []
        await store.sync_config_feeds(settings.feeds)  # as the bot does on start
        async with open_http_clients(settings) as clients:
            pipeline = build_pipeline(settings, store, clients, clock=lambda: now)
            await pipeline.poll_feeds(await store.followed_feeds(), now=now)
        kinds = sorted(row.kind.value for row in await store.pending_posts())
        assert kinds == ["note", "post"]
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


ARTICLE = """<!doctype html><html><head><title>Mistral releases Large 3</title></head><body>
<nav>Home · About · Subscribe</nav>
<article><h1>Mistral releases Large 3 under Apache 2.0</h1>
<p>Mistral AI released Large 3 today with open weights under the Apache 2.0 licence.</p>
<p>The model has 123 billion parameters and a context window of 128,000 tokens, and it
beats the previous release on every reasoning benchmark the company published.</p>
<p>GGUF quantizations for llama.cpp appeared on the Hugging Face Hub within hours.</p>
</article><footer>© 2026 Example Media</footer></body></html>"""


async def test_summarize_prints_the_summary_of_a_local_file_without_any_config(
    tmp_path: Path,
) -> None:
    page = tmp_path / "article.html"
    page.write_text(ARTICLE)

    code, out, err = await run_cli("summarize", str(page))

    assert code == 0, err
    assert out.startswith("Mistral releases Large 3")
    assert "TL;DR: Mistral AI released Large 3 today with open weights" in out
    assert "Tags: model-release" in out
    assert "Open-source AI relevance: " in out and "(relevant" in out
    assert "Summarized by: extractive (offline)" in out
    assert "Subscribe" not in out and "©" not in out


async def test_summarize_uses_the_llm_when_asked(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.then(
        Reply(
            body=completion(
                json.dumps(
                    {
                        "tldr": "Mistral opened Large 3's weights under Apache 2.0.",
                        "key_points": ["123B parameters, 128k context."],
                        "why_it_matters": "A frontier-class model anyone may run.",
                        "tags": ["model-release", "licensing"],
                    }
                )
            )
        )
    )
    page = tmp_path / "article.html"
    page.write_text(ARTICLE)
    config = tmp_path / "config.toml"
    config.write_text(f'[llm]\nbase_url = "{llm_server.base_url}"\nmodel = "tiny-test"\n')

    code, out, err = await run_cli("summarize", str(page), "--llm", "--config", str(config))

    assert code == 0, err
    assert "TL;DR: Mistral opened Large 3's weights under Apache 2.0." in out
    assert "  • 123B parameters, 128k context." in out
    assert "Why it matters: A frontier-class model anyone may run." in out
    assert "Tags: model-release, licensing" in out
    assert "Summarized by: LLM tiny-test" in out


async def test_summarize_recaps_a_discussion_thread(
    tmp_path: Path, comments_server: CommentsServer
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[network]\nallow_private_networks = true\n"
        f'[discussions]\nhn_api = "{comments_server.hn_api}"\n'
    )
    thread = f"https://news.ycombinator.com/item?id={HN_STORY}"

    code, out, err = await run_cli("summarize", thread, "--config", str(config))

    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["Discussion on news.ycombinator.com: 14 comments", thread]
    assert lines[3].startswith("TL;DR: “") and " people" in out and "  • “" in out
    assert "Summarized by: extractive (offline)" in out


async def test_summarize_explains_what_it_cannot_do(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.serve("/article", ARTICLE, content_type="text/html")

    code, _, err = await run_cli("summarize", url)
    assert code == 1
    assert "not a public internet address" in err  # no config: the SSRF guard is on
    assert feed_server.requests == []

    code, _, err = await run_cli("summarize", str(tmp_path / "missing.html"))
    assert (code, err.strip()) == (
        1,
        f"error: cannot read {tmp_path / 'missing.html'}: No such file or directory",
    )

    code, _, err = await run_cli("summarize", str(tmp_path / "missing.html"), "--llm")
    assert code == 2 and "--llm needs an [llm] section" in err


async def test_the_built_in_lexicon_prints_as_a_config_block_that_loads(tmp_path: Path) -> None:
    code, out, _ = await run_cli("lexicon")

    assert code == 0 and out.startswith("[relevance]")
    config = tmp_path / "config.toml"
    config.write_text(out.replace("threshold = 0.4", "threshold = 0.5"))
    settings = load_settings(config, environ={})
    assert settings.relevance.threshold == 0.5
    assert len(settings.relevance.terms) == len(Lexicon.default().terms)


async def test_search_prints_what_the_feeds_brought_best_first(
    clock: TestClock, feed_server: FeedServer, tmp_path: Path
) -> None:
    entries = [
        FeedItem(
            "DeepSeek releases V4 weights",
            "https://example.org/deepseek-v4",
            "<p>DeepSeek published V4 under the MIT licence.</p>",
            guid="ds-v4",
            published=clock() - timedelta(hours=1),
        ),
        FeedItem(
            "A week in open models",
            "https://example.org/week",
            "<p>Among other news, a DeepSeek update.</p>",
            guid="week",
            published=clock() - timedelta(hours=2),
        ),
    ]
    config = write_config(tmp_path, feed_server.serve("/feed.xml", rss("Weekly", entries)))
    settings = load_settings(config)
    store = await Store.open(settings.storage.database, clock=clock)
    async with open_http_clients(settings) as clients:
        await store.sync_config_feeds(settings.feeds)
        await build_pipeline(settings, store, clients, clock=clock).poll_due()
    await store.close()

    now = clock().isoformat()
    code, out, err = await run_cli("search", "deepseek", "--config", str(config), "--now", now)

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "1. DeepSeek releases V4 weights"  # the word in the title ranks first
    assert lines[1].startswith("   Weekly · ") and lines[1].endswith(
        "https://example.org/deepseek-v4"
    )
    assert "*DeepSeek*" in out and "2. A week in open models" in out
    assert lines[-1] == "No more results."

    code, _, err = await run_cli("search", '"', "--config", str(config))
    assert code == 2 and "Type some words" in err

    code, out, err = await run_cli(
        "digest", "--period", "week", "--config", str(config), "--now", now
    )
    assert code == 0, err
    assert out.startswith("Top stories of the week\n")
    assert "  • DeepSeek releases V4 weights\n" in out
    assert "    https://example.org/deepseek-v4\n" in out
