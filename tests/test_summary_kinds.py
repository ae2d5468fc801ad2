"""Posts worth reading for every kind of item: a release by its changes, a roundup by its
links, a comment by its point, and key points that stand alone, read as the bot reads a feed."""

from __future__ import annotations

import pytest

from bot.content.structure import read_structure
from bot.feeds.parse import parse_feed
from bot.models import Entry, Summary
from bot.summarize.extractive import KEY_POINT_MAX_CHARS, ExtractiveSummarizer
from bot.summarize.kinds import Kind, item_kind
from bot.summarize.source import NO_CONTEXT, SourceContext, entry_context
from tests.feed_server import FeedItem, atom, rss

RELEASE_NOTES = """
<h2>What's Changed</h2>
<ul>
<li>ggml : add support for Qwen3-Next models by @ggerganov in https://github.com/ggml-org/llama.cpp/pull/16095</li>
<li>server : fix a crash on an empty prompt by @ngxson in https://github.com/ggml-org/llama.cpp/pull/16101</li>
<li>vulkan : faster flash attention on RDNA3 by @0cc4m in https://github.com/ggml-org/llama.cpp/pull/16090</li>
</ul>
<h3>Breaking changes</h3>
<ul><li>The --legacy-template flag has been removed (#16088)</li></ul>
<h3>New Contributors</h3>
<ul><li>@newperson made their first contribution in https://github.com/ggml-org/llama.cpp/pull/16080</li></ul>
<p><strong>Full Changelog</strong>: https://github.com/ggml-org/llama.cpp/compare/b7213...b7214</p>
<h3>Assets</h3>
<ul>
<li>macOS Apple Silicon (arm64)</li>
<li>macOS Intel (x64)</li>
<li>Windows x64 (CUDA 12)</li>
<li>Ubuntu x64 (Vulkan)</li>
</ul>
"""

ROUNDUP = """
<p>For the last week or so, I've been meaning to write something about open source and AI.
This is not that post, but here is what caught my eye.</p>
<ul>
<li><a href="https://qwen.example/qwen35">Qwen 3.5 released with open weights</a> — Alibaba
shipped two dense models under Apache 2.0, and GGUF builds run in llama.cpp.</li>
<li><a href="https://news.example/seed">Mistral-alumni startup raises $20M seed</a> — the
round funds an open model for European languages.</li>
<li><a href="https://bakery.example/bread">My sourdough finally rose</a> — flour, water and
patience.</li>
<li><a href="https://techreview.example/open-ai-piece">MIT Technology Review on open-weight
models</a> — why the definition of open source AI still matters.</li>
</ul>
<p>Thanks for reading! <a href="https://weekly.example/subscribe">Subscribe</a> to get the next
issue, or <a href="https://twitter.com/share?u=x">share it on X</a>.</p>
<p>The post Open Models Weekly #41 appeared first on Open Models Weekly.</p>
"""


def summarize(title: str, text: str, context: SourceContext = NO_CONTEXT) -> Summary:
    return ExtractiveSummarizer().summarize_sync(title=title, text=text, context=context)


def read_entry(body: str, url: str) -> tuple[Entry, str]:
    feed = parse_feed(body.encode(), url=url)
    return feed.entries[0], feed.title


def shown(summary: Summary) -> list[str]:
    return [summary.tldr, *summary.key_points] + (
        [summary.why_it_matters] if summary.why_it_matters else []
    )


# --- release notes ------------------------------------------------------------------------------


def test_a_release_shows_its_project_and_version_and_its_changes_never_the_downloads() -> None:
    feed_url = "https://github.com/ggml-org/llama.cpp/releases.atom"
    body = atom(
        "Release notes from llama.cpp",
        [FeedItem("b7214", "https://github.com/ggml-org/llama.cpp/releases/tag/b7214",
                  RELEASE_NOTES)],
    )  # fmt: skip
    entry, feed_title = read_entry(body, feed_url)

    # The post's title (and its thread's name) says which project, not only the tag.
    assert entry.title == "llama.cpp b7214"
    summary = summarize(
        entry.title, entry.text, entry_context(entry, feed_url=feed_url, feed_title=feed_title)
    )

    assert summary.tldr == "llama.cpp b7214: ggml : add support for Qwen3-Next models"
    assert summary.key_points == (
        "Breaking: The --legacy-template flag has been removed",
        "vulkan : faster flash attention on RDNA3",
        "server : fix a crash on an empty prompt",
    )
    for line in shown(summary):
        assert not any(word in line for word in ("arm64", "x64", "Changelog", "@", "contribution"))


def test_release_notes_are_recognized_by_their_shape_where_the_address_says_nothing() -> None:
    text = "\n".join(
        ["Features", "Add streaming to the Python client", "Support GGUF files",
         "Bug fixes", "Fix a leak in the tokenizer"]
    )  # fmt: skip
    context = SourceContext(link="https://blog.example/posts/ollama-0-9")

    assert item_kind("Ollama 0.9", text, context) is Kind.RELEASE
    assert summarize("Ollama 0.9", text, context).tldr == (
        "Ollama 0.9: Add streaming to the Python client"
    )


def test_a_news_story_titled_with_a_version_is_still_news() -> None:
    text = (
        "Ollama 0.9 ships today with support for Qwen3 and Llama 4.\n"
        "The maintainers say the update doubles prompt speed on Apple Silicon."
    )
    assert item_kind("Ollama 0.9", text, NO_CONTEXT) is Kind.NEWS


# --- roundups -----------------------------------------------------------------------------------


def test_a_roundup_is_summarized_by_the_items_it_links_most_relevant_first() -> None:
    context = SourceContext(
        link="https://weekly.example/p/41",
        feed_url="https://weekly.example/feed",
        links=read_structure(ROUNDUP).links,
    )
    title = "Open Models Weekly #41"
    text = parse_feed(
        rss("Open Models Weekly", [FeedItem(title, "https://weekly.example/p/41", ROUNDUP)])
        .encode(),
        url="https://weekly.example/feed",
    ).entries[0].text  # fmt: skip

    assert item_kind(title, text, context) is Kind.ROUNDUP
    summary = summarize(title, text, context)

    lines = shown(summary)
    assert lines[0] == (
        "Qwen 3.5 released with open weights — Alibaba shipped two dense models under Apache "
        "2.0, and GGUF builds run in llama.cpp. https://qwen.example/qwen35"
    )
    assert any(line.startswith("Mistral-alumni startup raises $20M seed — ") for line in lines)
    # The sourdough is the least relevant: it comes last, if at all.
    assert lines.index(next(x for x in lines if "sourdough" in x)) == len(lines) - 1
    text_shown = "\n".join(lines)
    for furniture in ("been meaning", "Subscribe", "share", "appeared first", "Thanks"):
        assert furniture not in text_shown


def test_a_feed_entrys_links_and_quotes_are_read_from_its_html() -> None:
    body = rss(
        "F",
        [FeedItem("A", "https://example.org/a",
                  "<p>See <a href='/docs/x'>the docs</a> for more.</p>"
                  "<blockquote><p>Not my words.</p></blockquote><p>Mine.</p>")],
    )  # fmt: skip
    entry, _ = read_entry(body, "https://example.org/feed.xml")

    [link] = entry.links
    assert (link.text, link.url, link.context) == (
        "the docs",
        "https://example.org/docs/x",
        "See the docs for more.",
    )
    assert entry.quoted == ("Not my words.",)


# --- key points that stand alone -----------------------------------------------------------------

NEWS = "\n".join(
    [
        "Mistral released Devstral 2 today, a 123B coding model that tops SWE-bench Verified "
        "among open models.",
        "The twist is the licence.",
        "Devstral Small 2 is Apache 2.0, while the large model ships under a modified MIT "
        "licence with a revenue cap.",
        "But Mistral kept the training data closed, as it has for every release.",
        "It runs on a single 4090 when quantized to 4 bits.",
        "This means hobbyists can try it tonight.",
        "Article URL: https://mistral.example/devstral-2",
        "Comments URL: https://news.ycombinator.com/item?id=42424242",
        "Points: 412",
        "# Comments: 180",
        "The post Devstral 2 is here appeared first on Open Models Daily.",
    ]
)


def test_key_points_stand_alone_and_feed_furniture_never_shows() -> None:
    summary = summarize("Mistral releases Devstral 2", NEWS)

    lines = shown(summary)
    # A teaser is joined to what it announces; a leading "But" is dropped.
    assert (
        "The twist is the licence: Devstral Small 2 is Apache 2.0, while the large model ships "
        "under a modified MIT licence with a revenue cap." in lines
    )
    assert "Mistral kept the training data closed, as it has for every release." in lines
    for line in lines:
        assert not line.startswith(("It ", "This means", "But ", "The twist is the licence."))
        assert "URL:" not in line and "Points:" not in line and "appeared first" not in line
        assert not line.endswith("…")


def test_why_it_matters_is_the_texts_own_sentence_on_licence_weights_or_running_locally() -> None:
    text = "\n".join(
        [
            "Alibaba released Qwen 3.5 today, its strongest model family yet.",
            "The company published benchmark results across coding and math.",
            "Qwen 3.5 leads several leaderboards for models of its size.",
            "Quantized GGUF builds run on a laptop with llama.cpp.",
        ]
    )
    summary = ExtractiveSummarizer(max_key_points=1).summarize_sync(title="Qwen 3.5", text=text)

    assert summary.why_it_matters == "Quantized GGUF builds run on a laptop with llama.cpp."
    plain = "Acme opened an office in Lyon.\nThe office has forty desks and a view of the river."
    assert summarize("Acme in Lyon", plain).why_it_matters is None


def test_a_long_sentence_is_never_a_cut_key_point() -> None:
    long = "Qwen 3.5 adds " + ", ".join(f"feature number {n}" for n in range(40)) + "."
    text = "\n".join(
        [
            "Alibaba released Qwen 3.5 today with open weights.",
            long,
            "The models are available on the Hugging Face Hub under Apache 2.0.",
            "Developers can run the smaller model on a single consumer GPU.",
        ]
    )
    summary = summarize("Qwen 3.5", text)

    assert len(long) > KEY_POINT_MAX_CHARS
    assert long not in summary.key_points
    assert not any(p.endswith("…") for p in summary.key_points)


# --- comments, papers, essays -------------------------------------------------------------------


def test_a_comments_point_is_its_tldr_not_its_setup_or_the_line_it_quotes() -> None:
    html = (
        "<blockquote><p>The licence was never open source anyway, so nothing changes for "
        "anyone here.</p></blockquote>"
        "<p>I've been running Llama models on a 3090 at home for about a year now.</p>"
        "<p>I think the real risk is the licence changing for the next release, not the "
        "weights disappearing overnight.</p>"
    )
    feed_url = "https://hnrss.org/newcomments"
    body = rss(
        "HN comments",
        [FeedItem("New comment by mkl", "https://news.ycombinator.com/item?id=1", html)],
    )
    entry, title = read_entry(body, feed_url)
    context = entry_context(entry, feed_url=feed_url, feed_title=title)

    assert item_kind(entry.title, entry.text, context) is Kind.COMMENT
    summary = summarize(entry.title, entry.text, context)

    assert summary.tldr.startswith("I think the real risk is the licence changing")
    assert all("never open source anyway" not in line for line in shown(summary))


def test_an_abstract_leads_with_its_method_and_keeps_its_numbers() -> None:
    text = (
        "arXiv:2501.01234v1 Announce Type: new Abstract: Large language models are costly to "
        "serve on long inputs. However, existing cache compression methods lose accuracy. "
        "We propose SnapKV, a method that compresses the key-value cache by selecting "
        "important positions per head. On LongBench, SnapKV reduces memory by 8.2x and "
        "improves decoding speed by 3.6x while matching full-cache accuracy. Code is available."
    )
    context = SourceContext(link="https://arxiv.org/abs/2501.01234")

    assert item_kind("SnapKV", text, context) is Kind.PAPER
    summary = summarize("SnapKV: cache compression", text, context)

    assert summary.tldr.startswith("We propose SnapKV")
    assert any("8.2x" in p and "3.6x" in p for p in summary.key_points)
    assert "Announce Type" not in summary.text


@pytest.mark.parametrize(
    ("link", "feed_url", "kind"),
    [
        ("https://github.com/vllm-project/vllm/releases/tag/v0.7.0", None, Kind.RELEASE),
        ("https://example.org/x", "https://github.com/ollama/ollama/releases.atom", Kind.RELEASE),
        ("https://arxiv.org/abs/2501.01234", None, Kind.PAPER),
        ("https://huggingface.co/Qwen/Qwen3.5-32B", None, Kind.MODEL_CARD),
        ("https://huggingface.co/blog/open-r1", None, Kind.NEWS),
        ("https://www.reddit.com/r/LocalLLaMA/comments/abc123/slug/def456/", None, Kind.COMMENT),
    ],
)
def test_the_address_or_feed_says_what_kind_an_item_is(
    link: str, feed_url: str | None, kind: Kind
) -> None:
    text = "Qwen released a model today. It is good at code and math, people say."
    assert item_kind("A title", text, SourceContext(link=link, feed_url=feed_url)) is kind


def test_no_summary_is_longer_than_a_post_shows() -> None:
    from bot.discussions.recap import POST_SUMMARY_CHARS
    from bot.posts import SUMMARY_LIMIT
    from bot.summarize.extractive import SUMMARY_CHARS

    assert SUMMARY_CHARS <= SUMMARY_LIMIT and POST_SUMMARY_CHARS <= SUMMARY_LIMIT
    sentences = [
        f"Model {n} from lab {n} ships open weights under Apache 2.0 with a {n}k context, "
        f"runs locally with llama.cpp on a laptop, and beats model {n - 1} on every benchmark."
        for n in range(1, 12)
    ]
    summary = ExtractiveSummarizer(max_key_points=8).summarize_sync(
        title="Eleven models", text="\n".join(sentences)
    )
    assert len(summary.key_points) >= 2 and len(summary.text) <= SUMMARY_CHARS
    assert not any(line.endswith("…") for line in shown(summary))
