"""The feeds of the benchmark's farm: generated AI-news entries, rendered as RSS or Atom.

Deterministic for a seed. Entries have a few paragraphs of HTML, titles like real AI news,
links, guids and dates within the last few days; about one entry in six is a story that
other feeds carry too (same title and link, another guid), so stories overlap across feeds.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

ENTRIES_PER_FEED = 40
BUMP_ENTRIES = 2
SHARED_FRACTION = 0.16  # of entries telling a story some other feed tells too
FEEDS_PER_SHARED_STORY = 3  # on average
HISTORY = timedelta(days=4)  # entries are dated within this long before the farm starts

ORGS = (
    "Meta", "Mistral AI", "Hugging Face", "Google DeepMind", "Alibaba's Qwen team", "DeepSeek",
    "Ai2", "Stability AI", "EleutherAI", "Microsoft", "NVIDIA", "Cohere", "IBM", "Apple",
    "01.AI", "Databricks", "Snowflake", "Nous Research", "LAION", "Together AI",
)  # fmt: skip
MODELS = (
    "Llama 4 Scout", "Mixtral 8x22B", "Qwen3-32B", "DeepSeek-V3", "OLMo 2", "Gemma 3",
    "Phi-4", "Granite 3.1", "Command R+", "Falcon 3", "StarCoder2", "Pixtral Large",
    "Codestral", "SmolLM2", "Yi-Lightning", "DBRX", "Arctic", "Hermes 3", "Stable Diffusion 3.5",
    "Whisper large-v3", "Nemotron-4", "Jamba 1.5", "MiniCPM-V", "InternLM3",
)  # fmt: skip
TOOLS = (
    "vLLM", "llama.cpp", "Ollama", "transformers", "PEFT", "TGI", "SGLang", "ExLlamaV2",
    "MLX", "Axolotl", "Unsloth", "LangChain", "LlamaIndex", "DSPy", "ONNX Runtime",
    "TensorRT-LLM", "bitsandbytes", "Diffusers", "Open WebUI", "LocalAI",
)  # fmt: skip
TASKS = (
    "long-context inference", "speculative decoding", "LoRA fine-tuning", "4-bit quantization",
    "structured output", "tool calling", "multimodal retrieval", "RLHF", "code completion",
    "speech recognition", "batch serving", "KV-cache offloading", "model merging", "evals",
)  # fmt: skip
BENCHMARKS = ("MMLU-Pro", "HumanEval", "SWE-bench", "GPQA", "MT-Bench", "LiveCodeBench", "ARC")
TEMPLATES = (
    "{org} releases {model}, an open-weight model with {n}K context",
    "{model} tops {bench} among open models, beating closed rivals",
    "{org} open-sources {tool}-based stack for {task}",
    "{tool} {v} brings faster {task} on consumer GPUs",
    "How {org} trained {model} on {n},000 GPUs",
    "{model} now runs locally with {tool} in {n} GB of memory",
    "Benchmark: {tool} vs {tool2} for {task}",
    "{org} publishes weights and data for {model} under Apache 2.0",
    "A close look at {model}: what {bench} scores miss",
    "{tool} {v} adds {task} and drops Python 3.8",
)
SITES = (
    "news.example.com", "ml-digest.example.org", "weights.example.net", "aiweekly.example.com",
    "opensource-ai.example.org", "lab-notes.example.net", "inference.example.com",
)  # fmt: skip
_TEXT = (
    "model weights training inference tokens context window benchmark open-source release "
    "license dataset fine-tuning quantization GPU memory throughput latency evaluation "
    "researchers community checkpoint parameters architecture attention transformer mixture "
    "experts routing alignment safety preference data synthetic distillation reasoning code "
    "math multilingual vision audio serving kernel cache batch scheduler compiler runtime "
    "repository maintainers contributors roadmap API endpoint server client library framework "
    "the a of to and in for with on that this is are was by from as it its their new faster "
    "smaller larger than more less early results show improves reduces supports adds"
)
WORDS = tuple(_TEXT.split())


@dataclass(frozen=True)
class Story:
    title: str
    link: str
    published: datetime


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    story: Story
    html: str


@dataclass
class FeedDocument:
    """One feed of the farm: its entries (newest first) and the body they render to."""

    index: int
    atom: bool
    site: str
    entries: list[FeedEntry]
    version: int = 1

    @property
    def path(self) -> str:
        return f"/feeds/{self.index}.{'atom' if self.atom else 'rss'}"

    @property
    def content_type(self) -> str:
        kind = "atom" if self.atom else "rss"
        return f"application/{kind}+xml; charset=utf-8"

    def render(self, base_url: str, updated: datetime) -> bytes:
        render = _render_atom if self.atom else _render_rss
        return render(self, base_url, updated).encode()


class ContentGenerator:
    """Makes stories, entries and feeds from one seeded random generator."""

    def __init__(self, seed: int, feeds: int) -> None:
        self._rng = random.Random(seed)
        self._paragraphs = [self._paragraph() for _ in range(800)]
        self._story_count = 0
        self._feeds = feeds

    def feeds(self, now: datetime) -> list[FeedDocument]:
        shared = self.stories(self._shared_pool_size(ENTRIES_PER_FEED), now - HISTORY, now)
        return [self._feed(index, shared, now) for index in range(self._feeds)]

    def bump(self, documents: list[FeedDocument], now: datetime) -> None:
        """Add BUMP_ENTRIES new entries at the top of every feed, some of them shared."""
        start = now - timedelta(minutes=10)
        shared = self.stories(self._shared_pool_size(BUMP_ENTRIES), start, now)
        for document in documents:
            document.version += 1  # before making entries: their guids carry it
            fresh = self._entries(document, BUMP_ENTRIES, shared, start, now)
            document.entries[:0] = fresh

    def stories(self, count: int, start: datetime, end: datetime) -> list[Story]:
        return [self._story(start, end) for _ in range(count)]

    def _shared_pool_size(self, per_feed: int) -> int:
        return max(4, round(self._feeds * per_feed * SHARED_FRACTION / FEEDS_PER_SHARED_STORY))

    def _feed(self, index: int, shared: list[Story], now: datetime) -> FeedDocument:
        document = FeedDocument(
            index, atom=index % 3 == 0, site=f"feed{index}.{SITES[index % len(SITES)]}", entries=[]
        )
        document.entries = self._entries(document, ENTRIES_PER_FEED, shared, now - HISTORY, now)
        return document

    def _entries(
        self,
        document: FeedDocument,
        count: int,
        shared: list[Story],
        start: datetime,
        end: datetime,
    ) -> list[FeedEntry]:
        rng = self._rng
        told = {entry.story.link for entry in document.entries}
        # Feeds differ in how much text they carry: about 50 to 110 KB for 40 entries.
        paragraphs = 1 + document.index % 4
        entries = []
        for _ in range(count):
            story = rng.choice(shared) if rng.random() < SHARED_FRACTION else None
            if story is None or story.link in told:
                story = self._story(start, end, site=document.site)
            told.add(story.link)
            guid = f"{document.site}-v{document.version}-{len(entries)}"
            body = rng.sample(self._paragraphs, rng.randint(paragraphs, paragraphs + 1))
            entries.append(FeedEntry(guid, story, "".join(body)))
        entries.sort(key=lambda e: e.story.published, reverse=True)
        return entries

    def _story(self, start: datetime, end: datetime, site: str | None = None) -> Story:
        rng = self._rng
        self._story_count += 1
        tool, tool2 = rng.sample(TOOLS, 2)
        title = rng.choice(TEMPLATES).format(
            org=rng.choice(ORGS),
            model=rng.choice(MODELS),
            tool=tool,
            tool2=tool2,
            task=rng.choice(TASKS),
            bench=rng.choice(BENCHMARKS),
            n=rng.choice((8, 16, 32, 64, 128, 256, 512, 1000)),
            v=f"{rng.randint(0, 3)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
        )
        published = start + (end - start) * rng.random()
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        site = site or rng.choice(SITES)
        link = f"https://{site}/{published:%Y/%m/%d}/{slug}-{self._story_count}"
        return Story(title, link, published)

    def _paragraph(self) -> str:
        rng = self._rng
        sentences = []
        for _ in range(rng.randint(2, 4)):
            words = rng.choices(WORDS, k=rng.randint(10, 22))
            if rng.random() < 0.3:
                words[rng.randrange(len(words))] = rng.choice(MODELS + TOOLS)
            sentence = " ".join(words)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        text = " ".join(sentences)
        if rng.random() < 0.4:
            anchor = rng.choice(TOOLS)
            text += f' See <a href="https://{rng.choice(SITES)}/{anchor.lower()}">{anchor}</a>.'
        return f"<p>{text}</p>\n"


def _render_rss(document: FeedDocument, base_url: str, updated: datetime) -> str:
    items = "".join(
        f"""<item>
<title>{escape(entry.story.title)}</title>
<link>{escape(entry.story.link)}</link>
<guid isPermaLink="false">{entry.guid}</guid>
<pubDate>{format_datetime(entry.story.published)}</pubDate>
<dc:creator>Staff</dc:creator>
<category>AI</category>
<description><![CDATA[{entry.html.split("</p>", 1)[0]}</p>]]></description>
<content:encoded><![CDATA[{entry.html}]]></content:encoded>
</item>
"""
        for entry in document.entries
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>AI news from {document.site}</title>
<link>https://{document.site}/</link>
<atom:link href="{base_url}{document.path}" rel="self" type="application/rss+xml"/>
<description>Open-source AI news, feed {document.index}</description>
<language>en</language>
<lastBuildDate>{format_datetime(updated)}</lastBuildDate>
{items}</channel>
</rss>
"""


def _render_atom(document: FeedDocument, base_url: str, updated: datetime) -> str:
    entries = "".join(
        f"""<entry>
<title>{escape(entry.story.title)}</title>
<link rel="alternate" type="text/html" href="{escape(entry.story.link)}"/>
<id>tag:{document.site},2026:{entry.guid}</id>
<published>{entry.story.published.isoformat(timespec="seconds")}</published>
<updated>{entry.story.published.isoformat(timespec="seconds")}</updated>
<author><name>Staff</name></author>
<category term="AI"/>
<content type="html">{escape(entry.html)}</content>
</entry>
"""
        for entry in document.entries
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>AI news from {document.site}</title>
<link rel="alternate" href="https://{document.site}/"/>
<link rel="self" href="{base_url}{document.path}"/>
<id>tag:{document.site},2026:feed</id>
<updated>{updated.isoformat(timespec="seconds")}</updated>
{entries}</feed>
"""
