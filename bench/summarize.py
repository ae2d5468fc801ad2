"""Benchmark: our extractive summarizer against sumy's LexRank, for speed and ROUGE.

    python bench/summarize.py            # whole corpus, best of 5 timed runs after a warm-up
    python bench/summarize.py --quick    # 5 documents, one run (a smoke test for CI)
    python bench/summarize.py --show     # also print each reference and both summaries

Both summarizers read the same texts (bench/data/corpus.json) in the same process, split into
sentences by the same splitter (bot.summarize.sentences), and return two sentences each: sumy
is asked for 2, ours gives a TL;DR and one key point. ROUGE-1/2/L F1 (rouge-score, with
stemming) compares each with a 1–2 sentence reference summary written by hand. The text's
first two sentences (lead-2) are scored too, as the baseline any news summarizer must beat.

Needs the bench extra: pip install 'sumy==0.13.*' rouge-score
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python bench/summarize.py`

from bot.summarize.extractive import ExtractiveSummarizer  # noqa: E402
from bot.summarize.sentences import split_sentences, words  # noqa: E402

CORPUS = ROOT / "bench" / "data" / "corpus.json"
SENTENCES = 2
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
QUICK_DOCUMENTS = 5


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    reference: str


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float  # best time for one pass over all documents
    summaries: tuple[str, ...]
    rouge: dict[str, float]  # mean F1 per ROUGE type


Summarize = Callable[[Document], str]


class SentenceTokenizer:
    """Our splitter in the shape sumy's parsers expect, so both rank the same sentences."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))


def load_corpus(limit: int | None = None) -> list[Document]:
    entries = json.loads(CORPUS.read_text(encoding="utf-8"))["documents"][:limit]
    return [
        Document(
            id=entry["id"],
            title=entry["title"],
            text=(CORPUS.parent / entry["text"]).read_text(encoding="utf-8"),
            reference=entry["reference"],
        )
        for entry in entries
    ]


def ours() -> Summarize:
    summarizer = ExtractiveSummarizer(max_key_points=SENTENCES - 1)

    def summarize(document: Document) -> str:
        summary = summarizer.summarize_sync(title=document.title, text=document.text)
        return " ".join((summary.tldr, *summary.key_points))

    return summarize


def sumy_lexrank() -> Summarize:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = SentenceTokenizer()

    def summarize(document: Document) -> str:
        # sumy joins the lines of a paragraph; a blank line between ours keeps each line (one
        # paragraph of ours) whole, so sumy sees exactly the sentences our splitter gives.
        paragraphs = "\n\n".join(document.text.splitlines())
        parsed = PlaintextParser.from_string(paragraphs, tokenizer)
        return " ".join(str(sentence) for sentence in summarizer(parsed.document, SENTENCES))

    return summarize


def lead() -> Summarize:
    """The first sentences as split, nothing else: the classic news baseline, for context."""

    def summarize(document: Document) -> str:
        return " ".join(split_sentences(document.text)[:SENTENCES])

    return summarize


def run(name: str, summarize: Summarize, documents: list[Document], repeat: int) -> Result:
    """Summarize every document `repeat` times (after one untimed warm-up pass if repeating);
    keep the fastest pass, so other load on the machine counts as little as possible."""
    if repeat > 1:
        for document in documents:
            summarize(document)
    best = float("inf")
    summaries: tuple[str, ...] = ()
    for _ in range(repeat):
        started = time.perf_counter()
        summaries = tuple(summarize(document) for document in documents)
        best = min(best, time.perf_counter() - started)
    return Result(name, best, summaries, rouge_means(documents, summaries))


def rouge_means(documents: list[Document], summaries: tuple[str, ...]) -> dict[str, float]:
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    scores = [scorer.score(d.reference, s) for d, s in zip(documents, summaries, strict=True)]
    return {
        kind: statistics.fmean(score[kind].fmeasure for score in scores) for kind in ROUGE_TYPES
    }


def report(documents: list[Document], results: list[Result], repeat: int) -> str:
    timing = f"best of {repeat} after a warm-up" if repeat > 1 else "one pass, no warm-up"
    lines = [
        f"{len(documents)} documents, {sum(len(d.text.split()) for d in documents):,} words;"
        f" {SENTENCES} sentences per summary; time: {timing}",
        "",
        f"{'summarizer':<16}{'docs/s':>9}{'ms/doc':>9}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}",
    ]
    for result in results:
        per_second = len(documents) / result.seconds
        lines.append(
            f"{result.name:<16}{per_second:>9.1f}{1000 / per_second:>9.2f}"
            + "".join(f"{result.rouge[kind]:>9.4f}" for kind in ROUGE_TYPES)
        )
    mine, theirs, *_ = results
    speed = theirs.seconds / mine.seconds
    lines += [
        "",
        f"ours / sumy: speed {speed:.1f}x (target ≥ 10x)"
        + "".join(f", {kind} {mine.rouge[kind] / theirs.rouge[kind]:.3f}" for kind in ROUGE_TYPES)
        + " (target ≥ 1)",
    ]
    met = speed >= 10 and all(mine.rouge[kind] >= theirs.rouge[kind] for kind in ROUGE_TYPES)
    lines.append("targets: " + ("met" if met else "NOT met"))
    return "\n".join(lines)


def show(documents: list[Document], results: list[Result]) -> str:
    blocks = []
    for i, document in enumerate(documents):
        block = [f"== {document.id}", f"reference: {document.reference}"]
        block += [f"{result.name}: {result.summaries[i]}" for result in results]
        blocks.append("\n".join(block))
    return "\n\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few documents, one pass")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--show", action="store_true", help="print every summary")
    args = parser.parse_args(argv)
    try:
        import rouge_score  # noqa: F401
        import sumy  # noqa: F401
    except ImportError as missing:
        print(f"{missing.name} is missing: pip install 'sumy==0.13.*' rouge-score", file=sys.stderr)
        return 2
    documents = load_corpus(QUICK_DOCUMENTS if args.quick else None)
    repeat = 1 if args.quick else max(1, args.repeat)
    results = [
        run("ours", ours(), documents, repeat),
        run("sumy LexRank", sumy_lexrank(), documents, repeat),
        run(f"lead-{SENTENCES}", lead(), documents, repeat),
    ]
    if args.show:
        print(show(documents, results), end="\n\n")
    print(report(documents, results, repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
