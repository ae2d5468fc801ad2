"""Release notes → what changed: the project and version, then breaking changes, features
and fixes as the notes list them; never the downloads list or the contributor roll."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.content.text import shorten
from bot.models import Summary
from bot.summarize.points import is_furniture, standalone
from bot.summarize.sentences import split_sentences
from bot.summarize.source import SourceContext

TLDR_MAX_CHARS = 300
CHANGE_MAX_CHARS = 200
MAX_CHANGES = 3

_BARE_VERSION = re.compile(
    r"^(?:v|version\s*|release\s*)?\d+(?:\.\d+){0,3}(?:[-.+]?\w+)?$|^b\d{3,6}$", re.I
)
_LIST_MARKER = re.compile(r"^(?:[•◦▪‣∙·*+\-–—]|\(?\d{1,2}[.)])\s+")
# GitHub's generated notes end each change with its author and pull request.
_CREDIT = re.compile(
    r"\s+(?:by\s+@[\w\-]+(?:\s*(?:,|and)\s*@[\w\-]+)*\s+)?"
    r"in\s+(?:https://github\.com/\S+/pull/\d+|#\d+)\s*$"
    r"|\s+\(#\d+\)\s*$|\s+\((?:@[\w\-]+(?:,\s*)?)+\)\s*$"
)
_HEADING = re.compile(r"^#{1,6}\s*|\s*:$")


def _patterns(*pairs: tuple[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in pairs)


_SECTION_KINDS = _patterns(
    ("breaking", r"breaking|backwards?[- ]incompatible|removed|removals|deprecat|upgrad"),
    ("feature", r"feature|added|new\b|highlight|what'?s new|improve|enhance|support|model"),
    ("fix", r"\bfix|bug|patch|resolved"),
    (
        "skip",
        r"asset|download|binar|install|checksum|sha256|docker|contributors?|full changelog"
        r"|acknowledg|thank|sponsor|artifacts?|packages?$|wheels?$|builds?$",
    ),
)
# The headings release notes use, whole: "Bug fixes", "What's Changed", "🚀 Features".
_HEADING_WORDS = re.compile(
    r"(?:[^\w\s]+\s*)?(?:(?:new|major|minor|other|notable|breaking|api|core|misc(?:ellaneous)?"
    r"|internal|security|performance|documentation|docs|bug|dependency|build)\s+)*"
    r"(?:what'?s (?:changed|new)|features?|fix(?:es|ed)?|bug ?fixes|changes?|changelog"
    r"|improvements?|enhancements?|deprecations?|removals?|removed|added|highlights|updates?"
    r"|new contributors|contributors|assets|downloads?|binaries|installation|install"
    r"|checksums|notes|upgrade notes|upgrading|breaking changes|security|performance"
    r"|documentation|docs|dependencies|maintenance|refactor(?:ing)?|other|misc)"
    r"(?:\s+and\s+\w+)?\s*:?",
    re.IGNORECASE,
)
_ITEM_KINDS = _patterns(
    ("breaking", r"^(?:\[?breaking\]?|breaking change|⚠️|drop(?:ped)? support|remove[ds]?\b)"),
    ("fix", r"^(?:fix(?:e[ds])?\b|fix:|bugfix|resolve[ds]?\b|correct(?:s|ed)?\b|patch)"),
    ("feature", r"^(?:add(?:s|ed)?\b|feat|support|introduc|new\b|implement|enable|allow)"),
)
# A line that names a platform build or a file, not a change.
_ASSET = re.compile(
    r"^(?:macos|windows|linux|ubuntu|debian|android|ios|openeuler|docker|source code)\b"
    r"|\b(?:x64|x86_64|amd64|arm64|aarch64|apple silicon|cuda \d|vulkan|rocm|sycl|hip|cpu only"
    r"|\.zip|\.tar\.gz|\.whl|\.dmg|\.exe|sha256)\b.{0,40}$",
    re.IGNORECASE,
)
_ORDER = {"breaking": 0, "feature": 1, "other": 2, "fix": 3}
_HEADLINE_ORDER = {"feature": 0, "other": 1, "breaking": 2, "fix": 3}


@dataclass(frozen=True)
class Change:
    text: str
    kind: str  # breaking, feature, fix or other
    position: int


def release_title(title: str, context: SourceContext) -> str:
    """The title a release should be shown under: "b7214" from llama.cpp's feed becomes
    "llama.cpp b7214"; a title that names its project already is kept."""
    bare = " ".join(title.split())
    project = release_project(context)
    if not project or not _BARE_VERSION.match(bare) or project.lower() in bare.lower():
        return bare
    return f"{project} {bare}"


def release_project(context: SourceContext) -> str | None:
    """The project a release belongs to, as its feed or address names it."""
    feed_title = (context.feed_title or "").strip()
    if feed_title.startswith("Release notes from "):
        return feed_title.removeprefix("Release notes from ").strip() or None
    for url in (context.link, context.feed_url):
        parts = [p for p in urlsplit(url or "").path.split("/") if p]
        if len(parts) >= 3 and parts[2] in ("releases", "-"):
            return parts[1]
    return None


def summarize_release(title: str, text: str, context: SourceContext) -> Summary:
    """The release's headline (project and version, with its lead sentence if the notes
    open with one) and its most important changes, in the order breaking, features, fixes."""
    name = release_title(title, context)
    lead, changes = read_notes(text)
    ranked = sorted(changes, key=lambda c: (_ORDER[c.kind], c.position))
    if lead:
        tldr = _fit(f"{name}: {lead}", TLDR_MAX_CHARS)
        points = ranked[:MAX_CHANGES]
    elif ranked:
        # The headline is what the release brings; a breaking change is flagged as a point.
        headline = min(ranked, key=lambda c: (_HEADLINE_ORDER[c.kind], c.position))
        tldr = _fit(f"{name}: {_sentence(headline.text)}", TLDR_MAX_CHARS)
        points = [c for c in ranked if c is not headline][:MAX_CHANGES]
    else:
        return Summary(tldr=name)
    return Summary(tldr=tldr, key_points=tuple(_point(c) for c in points if _point(c)))


def read_notes(text: str) -> tuple[str | None, list[Change]]:
    """The notes' opening sentence (prose before any list), and every change they list."""
    section = "other"
    lead: str | None = None
    changes: list[Change] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        line = _LIST_MARKER.sub("", raw.strip()).strip()
        lowered = line.lower()
        if not line or is_furniture(lowered) or lowered.startswith("full changelog"):
            continue
        if _is_heading(line):
            section = _section_kind(line)
            continue
        if section == "skip" or _ASSET.search(line) or "made their first contribution" in lowered:
            continue
        change = _CREDIT.sub("", line).strip().rstrip(" .")
        if len(change.split()) < 2 or change.lower() in seen:
            continue
        seen.add(change.lower())
        if lead is None and not changes and _is_prose(change):
            lead = _first_sentence(line)
            continue
        kind = section if section in _ORDER else _item_kind(change)
        changes.append(Change(change, kind, len(changes)))
    return lead, changes


def _is_heading(line: str) -> bool:
    if line.startswith("#") or _HEADING_WORDS.fullmatch(line):
        return True
    words = line.split()
    return line.endswith(":") and len(words) <= 6


def _section_kind(line: str) -> str:
    heading = _HEADING.sub("", line)
    for kind, pattern in _SECTION_KINDS:
        if pattern.search(heading):
            return kind
    return "other"


def _item_kind(change: str) -> str:
    for kind, pattern in _ITEM_KINDS:
        if pattern.search(change):
            return kind
    return "other"


def _is_prose(line: str) -> bool:
    return (
        len(line.split()) >= 8
        and line.rstrip().endswith((".", "!"))
        and bool(standalone(_first_sentence(line)))
    )


def _first_sentence(line: str) -> str:
    sentences = split_sentences(line)
    return sentences[0] if sentences else line


def _point(change: Change) -> str:
    text = _sentence(change.text)
    if change.kind == "breaking" and not text.lower().startswith("breaking"):
        text = f"Breaking: {text}"
    return _fit(text, CHANGE_MAX_CHARS)


def _sentence(change: str) -> str:
    return change.strip()


def _fit(text: str, limit: int) -> str:
    return shorten(" ".join(text.split()), limit)
