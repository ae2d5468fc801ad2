"""The digest: which stories, in which order and groups (pure), and /news digest as a member
sees it through the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.decide.digest import DigestCandidate, plan_digest
from tests.clock import TestClock
from tests.feed_server import FeedItem, rss
from tests.harness import Harness

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def story(n: int, *, sources: int = 1, relevance: float = 0.5, tags: tuple[str, ...] = (),
          hours_ago: float = 1) -> DigestCandidate:  # fmt: skip
    return DigestCandidate(
        n, f"Story {n}", f"https://example.org/{n}", f"TL;DR {n}.", sources, relevance, tags,
        NOW - timedelta(hours=hours_ago),
    )  # fmt: skip


def test_more_sources_rank_first_then_relevance_then_recency() -> None:
    digest = plan_digest(
        [
            story(1, relevance=0.9, hours_ago=1),
            story(2, sources=3, relevance=0.4, hours_ago=20),
            story(3, relevance=0.9, hours_ago=20),
            story(4, relevance=0.2, hours_ago=1),
        ],
        now=NOW,
        period=DAY,
    )
    [group] = digest.groups
    assert [s.story_id for s in group.stories] == [2, 1, 3, 4]
    assert not digest.quiet


def test_grouped_by_first_tag_in_the_tag_lists_order_capped() -> None:
    candidates = [story(n, tags=("tooling",)) for n in range(8)]
    candidates += [story(10, tags=("model-release", "tooling")), story(11)]
    digest = plan_digest(candidates, now=NOW, period=DAY, per_group=5)
    assert [(g.tag, len(g.stories)) for g in digest.groups] == [
        ("model-release", 1),
        ("tooling", 5),
        ("other", 1),
    ]


def test_older_than_the_period_is_left_out_and_little_is_a_quiet_day() -> None:
    digest = plan_digest([story(1), story(2, hours_ago=30)], now=NOW, period=DAY)
    assert [s.story_id for g in digest.groups for s in g.stories] == [1]
    assert digest.quiet


async def test_a_member_asks_for_the_digest_of_the_day(harness: Harness, clock: TestClock) -> None:
    shared = "Qwen 3.5 released with open weights under Apache 2.0"
    body = "<p>Alibaba released Qwen 3.5, an open-weight model, under Apache 2.0 today.</p>"

    def items(prefix: str, headline: str) -> list[FeedItem]:
        made = [FeedItem(shared, f"https://{prefix}.example/qwen", body, guid=f"{prefix}-q",
                         published=clock() - timedelta(hours=1))]  # fmt: skip
        made += [
            FeedItem(
                headline.format(n=n),
                f"https://{prefix}.example/b{n}",
                "<p>The llama.cpp project shipped a release with faster quantization.</p>",
                guid=f"{prefix}-{n}",
                published=clock() - timedelta(hours=2 + n),
            )
            for n in range(2)
        ]
        return made

    a = harness.feeds.serve(
        "/a.xml", rss("Feed A", items("a", "llama.cpp b{n} adds faster GGUF loading @everyone"))
    )
    b = harness.feeds.serve(
        "/b.xml", rss("Feed B", items("b", "Ollama 0.{n} ships a model library @everyone"))
    )
    await harness.start(config_feeds=[a, b])
    await harness.wait_for(lambda: len(harness.discord.threads) == 5)  # 6 items, 1 story twice

    asked = await harness.discord.invoke_slash("news", {}, group_sub="digest")
    answer = await asked.final_message()

    assert answer["allowed_mentions"] == {"parse": []}
    embeds = answer["embeds"]
    assert embeds[0]["author"]["name"] == "Top stories of the day"
    lines = [line for e in embeds for line in e["description"].splitlines()]
    assert len(lines) == 5
    assert lines[0].startswith(f"• **[{shared}](<https://")  # told by two feeds: first
    assert lines[0].endswith("· 2 sources")
    assert all("@\u200beveryone" in line for line in lines[1:])
    assert sum(len(e["description"]) + len(e["title"]) for e in embeds) <= 6000


async def test_a_quiet_day_says_so(harness: Harness) -> None:
    await harness.start()
    asked = await harness.discord.invoke_slash("news", {"period": "week"}, group_sub="digest")
    answer = await asked.final_message()
    assert answer["content"] == "A quiet week: few stories in this server's feeds."
