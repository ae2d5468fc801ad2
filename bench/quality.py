"""Benchmark: what a post says, per kind of item, against sumy's LexRank and lead-3.

    python bench/quality.py            # the whole corpus, the table per kind, timed 5 times
    python bench/quality.py --quick    # two items of each kind, one pass (a smoke test for CI)
    python bench/quality.py --show     # also print each reference and the three summaries
    python bench/quality.py --kind roundup --show

The corpus (bench/data/quality/part-*.json, provenance in SOURCES-*.md) holds real items of
eight kinds, each with a reference summary and the facts a good summary must contain, written
before any summarizer ran on them. Every item is read the way the bot reads it: its HTML
cleaned to text, its links and quotes read from it, a release's title given its project.
Ours is the bot's offline summary (TL;DR, key points, why it matters; a discussion's recap);
LexRank (sumy) gets as many sentences as fit in as many words as ours has (at least 3), so
neither wins by saying more; lead-3 is the first three sentences.

Per kind and summarizer:
  R1/R2/RL   ROUGE F1 against the reference (rouge-score, stemmed; links left out)
  facts      share of the required facts the summary states (any listed form, any case)
  alone      share of lines (TL;DR, each point) that stand alone: no leading "It", "This
             is", "But"…
  leaks      lines of feed furniture (hnrss "Comments URL:", "appeared first on", share and
             subscribe lines, "Full Changelog", a downloads list)
  cut        lines cut mid-sentence (ending in "…", or quoting a cut sentence)
  words      mean length of a summary

Needs the bench extra: pip install 'sumy==0.13.*' rouge-score
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python bench/quality.py`

from bench.summarize import SentenceTokenizer  # noqa: E402
from bot.content.structure import read_structure  # noqa: E402
from bot.content.text import html_to_text, unwrap_plain_text  # noqa: E402
from bot.discussions.comments import Comment  # noqa: E402
from bot.discussions.recap import recap_comments  # noqa: E402
from bot.summarize.extractive import ExtractiveSummarizer  # noqa: E402
from bot.summarize.release import release_title  # noqa: E402
from bot.summarize.sentences import split_sentences  # noqa: E402
from bot.summarize.source import SourceContext  # noqa: E402

CORPUS = ROOT / "bench" / "data" / "quality"
KINDS = ("news", "roundup", "release", "essay", "paper", "model_card", "discussion", "comment")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
LEAD = 3
QUICK_PER_KIND = 2

_URL = re.compile(r"\s*https?://\S+")
_DANGLING = re.compile(
    r"^(?:it|its|it's|they|their|them|he|she|his|her|which|but|and|so|yet|or|also|however"
    r"|still|then|plus|here's|the (?:twist|catch|kicker) is"
    r"|(?:this|that|these|those)\s+(?:is|are|was|were|means|has|have|will|would|can|could"
    r"|shows|makes|matters|said|does)\b|(?:this|that)[,.])\b",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"article url:|comments url:|^points:|# comments:|appeared first on|subscribe|share this"
    r"|share on|sign up|thanks for reading|view in browser|full changelog|new contributors"
    r"|made their first contribution|all rights reserved|©|\bread more\b|\bsponsored\b"
    r"|^(?:macos|windows|linux|ubuntu|android|ios)\b[^.]{0,60}\b(?:x64|x86_64|arm64|aarch64"
    r"|apple silicon|cuda|vulkan|rocm|metal)\b[^.]{0,40}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    title: str
    text: str  # as the bot reads it (for a discussion: every comment's text, one per line)
    context: SourceContext
    comments: tuple[Comment, ...]  # a discussion's thread; empty otherwise
    reference: str
    facts: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Scores:
    rouge: dict[str, float]
    facts: float
    alone: float
    leaks: int
    cut: int
    words: float


Summarize = Callable[[Item], list[str]]  # the lines a summary shows


def load_corpus(per_kind: int | None = None, kind: str | None = None) -> list[Item]:
    items = []
    for part in sorted(CORPUS.glob("part-*.json")):
        items += json.loads(part.read_text(encoding="utf-8"))["items"]
    loaded = [_item(entry) for entry in items if kind in (None, entry["kind"])]
    if per_kind is None:
        return loaded
    return [i for k in KINDS for i in [x for x in loaded if x.kind == k][:per_kind]]


def _item(entry: dict) -> Item:
    path = CORPUS / entry["file"]
    raw = path.read_text(encoding="utf-8")
    feed_url, link = entry.get("feed_url"), entry.get("link")
    comments: tuple[Comment, ...] = ()
    links, quoted = (), ()
    if path.suffix == ".json":
        comments = _thread(json.loads(raw)["comments"])
        text = "\n".join(c.text.replace("\n", " ") for c in comments)
    elif path.suffix == ".html":
        text = html_to_text(raw)
        structure = read_structure(raw, base=feed_url or link)
        links, quoted = structure.links, structure.quoted
    else:
        text = unwrap_plain_text(raw.strip())  # as `python -m bot summarize file.txt` reads it
    context = SourceContext(
        link=link,
        feed_url=feed_url,
        feed_title=entry.get("feed_title"),
        links=links,
        quoted=quoted,
    )
    return Item(
        id=entry["id"],
        kind=entry["kind"],
        title=release_title(entry["title"], context),  # as the bot's feed reader titles it
        text=text,
        context=context,
        comments=comments,
        reference=entry["reference"],
        facts=tuple(tuple(forms) for forms in entry["facts"]),
    )


def _thread(raw: list[dict]) -> tuple[Comment, ...]:
    depth: dict[str, int] = {}
    comments = []
    for c in raw:
        parent = c.get("parent")
        depth[c["id"]] = depth.get(parent, -1) + 1 if parent else 0
        comments.append(
            Comment(c["id"], c["author"], c["text"], c.get("score"), parent, depth[c["id"]])
        )
    return tuple(comments)


# --- the three summarizers ---------------------------------------------------------------------


def ours() -> Summarize:
    summarizer = ExtractiveSummarizer()

    def summarize(item: Item) -> list[str]:
        if item.comments:
            recap = recap_comments(item.comments, source_url=item.context.link or "")
            summary = recap.as_summary() if recap else None
        else:
            summary = summarizer.summarize_sync(
                title=item.title, text=item.text, context=item.context
            )
        if summary is None:
            return []
        lines = [summary.tldr, *summary.key_points]
        return lines + ([summary.why_it_matters] if summary.why_it_matters else [])

    return summarize


def lexrank(counts: dict[str, int] | None = None) -> Summarize:
    """sumy's LexRank over our sentences: `counts[item.id]` sentences (3 by default)."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = SentenceTokenizer()

    def summarize(item: Item) -> list[str]:
        # A blank line between our lines keeps each one a paragraph of its own for sumy.
        parsed = PlaintextParser.from_string("\n\n".join(item.text.splitlines()), tokenizer)
        count = (counts or {}).get(item.id, LEAD)
        return [str(sentence) for sentence in summarizer(parsed.document, count)]

    return summarize


def as_long_as(items: Sequence[Item], outputs: Sequence[list[str]]) -> dict[str, int]:
    """For each item, how many LexRank sentences make a summary as long as ours (in words)
    without being longer, so that neither wins by saying more (at least 3, at most 20)."""
    rank = lexrank({item.id: 20 for item in items})
    counts = {}
    for item, ours_lines in zip(items, outputs, strict=True):
        target = len(" ".join(_URL.sub("", line) for line in ours_lines).split())
        ranked = rank(item)
        count, size = 0, 0
        while count < len(ranked):
            words = len(ranked[count].split())
            if count >= LEAD and size + words > target:
                break
            size += words
            count += 1
        counts[item.id] = max(LEAD, count)
    return counts


def lead3(item: Item) -> list[str]:
    return split_sentences(item.text)[:LEAD]


# --- scoring -----------------------------------------------------------------------------------


def normalize(text: str) -> str:
    text = text.casefold().replace("’", "'").replace("‘", "'").replace("“", '"')
    text = re.sub(r"[‐‑‒–—]", "-", text.replace("”", '"'))
    return " ".join(text.split())


def score(items: Sequence[Item], outputs: Sequence[list[str]]) -> Scores:
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    rouge = {kind: [] for kind in ROUGE_TYPES}
    facts, alone, leaks, cut, lengths = [], [], 0, 0, []
    for item, lines in zip(items, outputs, strict=True):
        shown = " ".join(_URL.sub("", line) for line in lines)
        for kind, value in scorer.score(item.reference, shown).items():
            rouge[kind].append(value.fmeasure)
        said = normalize(" ".join(lines))
        found = sum(1 for forms in item.facts if any(normalize(f) in said for f in forms))
        facts.append(found / len(item.facts))
        alone += [not _DANGLING.match(line.lstrip("•-* ")) for line in lines]
        leaks += sum(1 for line in lines if _FURNITURE.search(line))
        cut += sum(1 for line in lines if _is_cut(line))
        lengths.append(len(shown.split()))
    return Scores(
        rouge={kind: statistics.fmean(values) for kind, values in rouge.items()},
        facts=statistics.fmean(facts),
        alone=statistics.fmean(alone) if alone else 1.0,
        leaks=leaks,
        cut=cut,
        words=statistics.fmean(lengths),
    )


def _is_cut(line: str) -> bool:
    """Whether a line, or a phrase or quote in it, stops where its sentence goes on."""
    return line.rstrip().endswith(("…", "...")) or any(m in line for m in ("…”", "… (", "…:"))


def timed(summarize: Summarize, items: Sequence[Item], repeat: int) -> tuple[float, list]:
    """The fastest of `repeat` passes (after a warm-up pass when repeating), and the output."""
    if repeat > 1:
        for item in items:
            summarize(item)
    best, outputs = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        outputs = [summarize(item) for item in items]
        best = min(best, time.perf_counter() - started)
    return best, outputs


# --- the report --------------------------------------------------------------------------------

NAMES = ("ours", "LexRank", "lead-3")


def table(items: Sequence[Item], outputs: dict[str, list[list[str]]]) -> tuple[str, bool]:
    header = (
        f"{'kind':<11}{'n':>3}  {'summarizer':<9}{'R1':>7}{'R2':>7}{'RL':>7}{'facts':>7}"
        f"{'alone':>7}{'leaks':>6}{'cut':>5}{'words':>7}"
    )
    lines, met = [header, "-" * len(header)], True
    kinds = [k for k in KINDS if any(i.kind == k for i in items)]
    for kind in [*kinds, "all"]:
        chosen = [n for n, i in enumerate(items) if kind in ("all", i.kind)]
        picked = [items[n] for n in chosen]
        scores = {name: score(picked, [outputs[name][n] for n in chosen]) for name in NAMES}
        for name in NAMES:
            s = scores[name]
            label = f"{kind:<11}{len(picked):>3}" if name == "ours" else " " * 14
            lines.append(
                f"{label}  {name:<9}{s.rouge['rouge1']:>7.3f}{s.rouge['rouge2']:>7.3f}"
                f"{s.rouge['rougeL']:>7.3f}{s.facts:>7.2f}{s.alone:>7.2f}{s.leaks:>6}"
                f"{s.cut:>5}{s.words:>7.0f}"
            )
        mine, peers = scores["ours"], [scores["LexRank"], scores["lead-3"]]
        beats = all(
            mine.facts > p.facts and mine.rouge["rouge1"] > p.rouge["rouge1"] for p in peers
        )
        if kind != "all" and not beats:
            met = False
            lines.append(f"{'':14}  ✘ ours does not beat both peers on facts and ROUGE-1")
        if mine.leaks or mine.cut:
            met = False
    return "\n".join(lines), met


def show(items: Sequence[Item], outputs: dict[str, list[list[str]]]) -> str:
    blocks = []
    for n, item in enumerate(items):
        block = [f"== {item.id} ({item.kind}): {item.title}", f"reference: {item.reference}"]
        for name in NAMES:
            block.append(f"{name}:")
            block += [f"  | {line}" for line in outputs[name][n]]
        blocks.append("\n".join(block))
    return "\n\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two items per kind, one pass")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--kind", choices=KINDS, help="only items of this kind")
    parser.add_argument("--show", action="store_true", help="print every summary")
    args = parser.parse_args(argv)
    try:
        import rouge_score  # noqa: F401
        import sumy  # noqa: F401
    except ImportError as missing:
        print(f"{missing.name} is missing: pip install 'sumy==0.13.*' rouge-score", file=sys.stderr)
        return 2
    items = load_corpus(QUICK_PER_KIND if args.quick else None, args.kind)
    repeat = 1 if args.quick else max(1, args.repeat)
    our_lines = [ours()(item) for item in items]
    their_lines = [lexrank(as_long_as(items, our_lines))(item) for item in items]
    outputs = {"ours": our_lines, "LexRank": their_lines, "lead-3": [lead3(i) for i in items]}
    report, met = table(items, outputs)
    print(f"{len(items)} items, {sum(len(i.text.split()) for i in items):,} words\n")
    print(report)
    # Speed: the summarizer (every kind but discussions, whose recap is another algorithm)
    # against LexRank asked for 3 sentences, on the same texts.
    texts = [item for item in items if not item.comments]
    if not texts:
        return 0
    our_seconds, _ = timed(ours(), texts, repeat)
    their_seconds, _ = timed(lexrank(), texts, repeat)
    speed = their_seconds / our_seconds
    timing = f"best of {repeat} after a warm-up" if repeat > 1 else "one pass"
    print(
        f"\nspeed ({len(texts)} items, {timing}): ours {1000 * our_seconds / len(texts):.2f} "
        f"ms/item, LexRank {1000 * their_seconds / len(texts):.2f} ms/item: {speed:.1f}x "
        "(target ≥ 10x)"
    )
    threads = [item for item in items if item.comments]
    if threads:
        recap_seconds, _ = timed(ours(), threads, repeat)
        print(f"discussion recaps: {1000 * recap_seconds / len(threads):.2f} ms/thread")
    met = met and speed >= 10
    print("targets: " + ("met" if met else "NOT met"))
    if args.show:
        print("\n" + show(items, outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
