"""Check: our fast feed reader gives what feedparser gives, on feedparser's own test corpus.

    python bench/parse_corpus.py                  # pip-downloads feedparser's sdist: ~2,250 files
    python bench/parse_corpus.py --corpus DIR     # an extracted sdist, its tests/, or any feeds
    python bench/parse_corpus.py --quick          # the first 200 files (sorted by path)
    python bench/parse_corpus.py --show 20        # up to 20 differences per field (default 5)
    python bench/parse_corpus.py --headers        # also pass each file's Content-type header

feedparser's sdist ships the feeds its own tests run on (tests/wellformed, illformed,
encoding, entities, http, compression): RSS 0.9x/1.0/2.0, Atom 0.3/1.0, CDF, broken XML, odd
encodings, relative links, dates of every shape. Without `--corpus`, the sdist of the
installed feedparser version is fetched with `pip download --no-deps --no-binary :all:` into
a temporary directory and extracted there.

Every file is read by `bot.feeds.parse.read_feed(body, url=URL)` twice: with `fast=True` (the
fast reader, `bot.feeds.fastparse.read_simple_feed`, falling back to feedparser when it
returns None) and with `fast=False` (feedparser only). An exception on either side is
recorded; both raising `NotAFeedError` counts as equal. The two `FeedDocument`s are compared
field by field (title, link, every entry's fields, the html blocks by entry key,
interval_hint), and for the files the fast reader handled itself, `parse_feed`'s cleaned
entry texts too. The header comment of each test file (what feedparser's tests expect) is
not used, except its `Header: Content-type:` line with `--headers`.

It prints how many files the fast reader handled and how many fell back to feedparser (where
both sides are feedparser: a check of the comparison itself), how many of each gave equal
results, how many of the differing ones differ in html blocks only (their cleaned texts the
same: feedparser resolves relative links and sanitizes the markup it keeps, the fast reader
leaves that to `html_to_text`), then the differences grouped by field (indices shown as
[]; fields other than html first), the first `--show` of each with both values truncated.
The exit code is 0 whatever it finds (it is a report); 2 only if the corpus cannot be had.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python bench/parse_corpus.py`

from bot.feeds.fastparse import read_simple_feed  # noqa: E402
from bot.feeds.parse import FeedDocument, NotAFeedError, parse_feed, read_feed  # noqa: E402

URL = "http://example.org/feed.xml"
QUICK_FILES = 200
VALUE_CHARS = 160
SKIPPED_SUFFIXES = (".py", ".pyc", ".cfg", ".txt", ".rst", ".md")
_CONTENT_TYPE = re.compile(rb"^Header:\s+Content-type:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_INDEX = re.compile(r"\[[^\]]*\]")


class CorpusError(Exception):
    """The corpus could not be downloaded, extracted or found."""


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


@dataclass(frozen=True)
class Failure:
    """What read_feed raised instead of giving a document."""

    kind: str  # "NotAFeedError", or the exception's type name
    message: str

    def __repr__(self) -> str:
        return f"{self.kind}({self.message!r})"


@dataclass(frozen=True)
class Difference:
    file: str
    field: str  # the path in the FeedDocument, e.g. entries[3].published_at
    fast: str
    slow: str

    @property
    def group(self) -> str:
        return _INDEX.sub("[]", self.field)


@dataclass
class Tally:
    files: int = 0
    equal: int = 0
    not_a_feed: int = 0  # both sides raised NotAFeedError (counted as equal)
    html_only: int = 0  # differing only in html blocks, parse_feed's texts the same

    @property
    def differing(self) -> int:
        return self.files - self.equal


@dataclass
class Report:
    corpus: Path
    handled: Tally = field(default_factory=Tally)  # read_simple_feed gave a result
    fell_back: Tally = field(default_factory=Tally)  # read_simple_feed gave None (or raised)
    differences: list[Difference] = field(default_factory=list)
    fast_seconds: float = 0.0  # read_feed(fast=True) on the handled files
    slow_seconds: float = 0.0  # read_feed(fast=False) on the handled files
    wall_seconds: float = 0.0


# --- the corpus ---------------------------------------------------------------------------


def download_corpus(workdir: Path) -> Path:
    """feedparser's sdist (the installed version) downloaded and extracted under `workdir`:
    the path of its tests/ directory."""
    wanted = f"feedparser=={version('feedparser')}"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    done = subprocess.run(
        [*command, "--dest", str(workdir), wanted], capture_output=True, text=True, check=False
    )
    archives = sorted(workdir.glob("feedparser-*.tar.gz"))
    if done.returncode != 0 or not archives:
        raise CorpusError(f"pip download {wanted} failed: {done.stderr.strip()[-500:]}")
    with tarfile.open(archives[0]) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(workdir, filter="data")
        else:  # Python < 3.11.4
            archive.extractall(workdir)
    return tests_dir(workdir)


def tests_dir(corpus: Path) -> Path:
    """The directory whose files are the feeds: `corpus` itself, or the tests/ in it (or in
    the one sdist directory it holds)."""
    if not corpus.is_dir():
        raise CorpusError(f"{corpus} is not a directory")
    for candidate in (corpus / "tests", *sorted(corpus.glob("*/tests"))):
        if candidate.is_dir():
            return candidate
    return corpus


def feed_files(corpus: Path) -> list[Path]:
    files = [
        path
        for path in corpus.rglob("*")
        if path.is_file() and not path.name.startswith(".") and path.suffix not in SKIPPED_SUFFIXES
    ]
    return sorted(files, key=lambda path: path.relative_to(corpus).as_posix())


def declared_content_type(body: bytes) -> str | None:
    """The `Header: Content-type:` of a test file's leading comment (what feedparser's test
    server sends with it), if it has one."""
    found = _CONTENT_TYPE.search(body[:4096])
    return found.group(1).decode("latin-1") if found else None


# --- comparing ----------------------------------------------------------------------------


def read_either(body: bytes, content_type: str | None, fast: bool) -> FeedDocument | Failure:
    try:
        return read_feed(body, url=URL, content_type=content_type, fast=fast)
    except NotAFeedError as exc:
        return Failure("NotAFeedError", str(exc))
    except Exception as exc:  # a crash is a finding, not the end of the report
        return Failure(type(exc).__name__, str(exc))


def differences(path: str, fast: Any, slow: Any) -> Iterator[tuple[str, Any, Any]]:
    """(path, fast value, slow value) for every place where the two values differ:
    dataclasses field by field, tuples of them item by item, dicts key by key."""
    if is_dataclass(fast) and type(fast) is type(slow):
        for item in fields(fast):
            name = f"{path}.{item.name}" if path else item.name
            yield from differences(name, getattr(fast, item.name), getattr(slow, item.name))
    elif _records(fast) and _records(slow):
        if len(fast) != len(slow):
            yield f"{path} (count)", len(fast), len(slow)
        for index, (a, b) in enumerate(zip(fast, slow, strict=False)):
            yield from differences(f"{path}[{index}]", a, b)
    elif isinstance(fast, dict) and isinstance(slow, dict):
        for key in sorted(fast.keys() | slow.keys(), key=str):
            a, b = fast.get(key, MISSING), slow.get(key, MISSING)
            yield from differences(f"{path}[{key}]", a, b)
    elif fast != slow:
        yield path, fast, slow


def _records(value: Any) -> bool:
    """A tuple of dataclasses (the entries), compared item by item; other tuples (an entry's
    html blocks) are compared whole."""
    return isinstance(value, tuple) and all(is_dataclass(item) for item in value)


def compare_file(path: Path, name: str, report: Report, *, headers: bool) -> None:
    body = path.read_bytes()
    compare_body(body, name, report, declared_content_type(body) if headers else None)


def compare_body(body: bytes, name: str, report: Report, content_type: str | None) -> None:
    """Read `body` both ways, count it in `report` and add its differences there."""
    found: list[tuple[str, Any, Any]] = []
    try:
        handled = read_simple_feed(body, url=URL, content_type=content_type) is not None
    except Exception as exc:
        handled = False
        found.append(("read_simple_feed raised", repr(exc), "-"))
    started = time.perf_counter()
    fast = read_either(body, content_type, fast=True)
    middle = time.perf_counter()
    slow = read_either(body, content_type, fast=False)
    if handled:
        report.fast_seconds += middle - started
        report.slow_seconds += time.perf_counter() - middle
    tally = report.handled if handled else report.fell_back
    tally.files += 1
    same_texts = True
    if isinstance(fast, Failure) or isinstance(slow, Failure):
        both_not_feeds = (
            isinstance(fast, Failure)
            and isinstance(slow, Failure)
            and fast.kind == slow.kind == "NotAFeedError"
        )
        if both_not_feeds:
            tally.not_a_feed += 1
        elif fast != slow:
            found.append(("outcome", fast, slow))
    else:
        found.extend(differences("", fast, slow))
        if handled:
            texts = list(text_differences(body, content_type))
            same_texts = not texts
            found.extend(texts)
    if not found:
        tally.equal += 1
    elif same_texts and all(where.startswith("html[") for where, _, _ in found):
        tally.html_only += 1
    report.differences.extend(
        Difference(name, where, _short(a), _short(b)) for where, a, b in found
    )


def text_differences(body: bytes, content_type: str | None) -> Iterator[tuple[str, Any, Any]]:
    """Where `parse_feed`'s cleaned entry texts differ between the two readers."""
    fast = parse_feed(body, url=URL, content_type=content_type, fast=True)
    slow = parse_feed(body, url=URL, content_type=content_type, fast=False)
    for index, (a, b) in enumerate(zip(fast.entries, slow.entries, strict=False)):
        if a.text != b.text:
            yield f"parse_feed entries[{index}].text", a.text, b.text


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


# --- running and reporting ----------------------------------------------------------------


def run(corpus: Path, limit: int | None, *, headers: bool) -> Report:
    files = feed_files(corpus)
    if not files:
        raise CorpusError(f"no files under {corpus}")
    report = Report(corpus=corpus)
    started = time.perf_counter()
    for path in files[:limit]:
        compare_file(path, path.relative_to(corpus).as_posix(), report, headers=headers)
    report.wall_seconds = time.perf_counter() - started
    return report


def summary(report: Report, show: int) -> str:
    rows = [
        ("handled by the fast reader", report.handled),
        ("fell back to feedparser", report.fell_back),
    ]
    total = Tally(
        files=report.handled.files + report.fell_back.files,
        equal=report.handled.equal + report.fell_back.equal,
        not_a_feed=report.handled.not_a_feed + report.fell_back.not_a_feed,
        html_only=report.handled.html_only + report.fell_back.html_only,
    )
    lines = [
        f"corpus: {report.corpus}",
        f"{'':28} {'files':>6} {'equal':>6} {'differing':>9} {'html only':>9} {'not a feed':>10}",
    ]
    for label, tally in [*rows, ("all", total)]:
        lines.append(
            f"{label:28} {tally.files:>6} {tally.equal:>6} {tally.differing:>9} "
            f"{tally.html_only:>9} {tally.not_a_feed:>10}"
        )
    lines.append("(html only: of the differing, those whose FeedDocuments differ in html blocks")
    lines.append(" only, parse_feed's cleaned texts the same; not a feed: both sides raised")
    lines.append(" NotAFeedError, counted as equal)")
    speedup = report.slow_seconds / report.fast_seconds if report.fast_seconds else 0.0
    lines.append(
        f"read_feed on the {report.handled.files} handled files: fast {report.fast_seconds:.2f} s, "
        f"feedparser {report.slow_seconds:.2f} s ({speedup:.1f}×); "
        f"whole run {report.wall_seconds:.1f} s"
    )
    groups: dict[str, list[Difference]] = defaultdict(list)
    for difference in report.differences:
        groups[difference.group].append(difference)
    if not groups:
        lines.append("\nno differences")
    for group, found in sorted(groups.items(), key=_group_order):
        files = len({difference.file for difference in found})
        lines.append(f"\n{group}: {len(found)} difference(s) in {files} file(s)")
        for difference in found[:show]:
            lines.append(f"  {difference.file}  [{difference.field}]")
            lines.append(f"    fast:       {difference.fast}")
            lines.append(f"    feedparser: {difference.slow}")
        if len(found) > show:
            lines.append(f"  … and {len(found) - show} more")
    return "\n".join(lines)


def _group_order(item: tuple[str, list[Difference]]) -> tuple[bool, int, str]:
    group, found = item
    return group.startswith("html["), -len(found), group


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        metavar="DIR",
        help="feedparser's extracted sdist or its tests/ (default: pip download it)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"only the first {QUICK_FILES} files (sorted by path)"
    )
    parser.add_argument(
        "--show",
        type=int,
        default=5,
        metavar="N",
        help="differences shown per field (default 5)",
    )
    parser.add_argument(
        "--headers",
        action="store_true",
        help="pass each file's 'Header: Content-type:' line as read_feed's content_type",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limit = QUICK_FILES if args.quick else None
    try:
        if args.corpus is not None:
            report = run(tests_dir(args.corpus), limit, headers=args.headers)
        else:
            with tempfile.TemporaryDirectory(prefix="feedparser-corpus-") as workdir:
                report = run(download_corpus(Path(workdir)), limit, headers=args.headers)
    except CorpusError as exc:
        print(f"no corpus: {exc}", file=sys.stderr)
        return 2
    print(summary(report, max(args.show, 0)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
