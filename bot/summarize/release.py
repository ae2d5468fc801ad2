"""Release notes → what changed: the project and version, then breaking changes, features
and fixes as the notes list them; never the downloads list or the contributor roll."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.content.text import shorten
from bot.models import Summary
from bot.summarize.points import is_furniture, standalone
from bot.summarize.sentences import first_sentence
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
    ("breaking", r"breaking|backwards?[- ]incompatible|removed|removals|upgrad"),
    ("deprecation", r"deprecat"),
    ("feature", r"feature|added|new\b|highlight|what'?s new|improve|enhance|support|model"),
    ("fix", r"\bfix|bug|patch|resolved"),
    (
        "skip",
        r"asset|download|binar|install|checksum|sha256|docker|contributors?|full changelog"
        r"|acknowledg|thank|sponsor|artifacts?|packages?$|wheels?$|builds?$",
    ),
    ("minor", r"chores?|documentation|docs|dependenc|maintenance|\bci\b|tests?\b|refactor"),
)
# The headings release notes use, whole: "Bug fixes", "What's Changed", "🚀 Features".
_HEADING_WORDS = re.compile(
    r"(?:[^\w\s]+\s*)?(?:(?:new|major|minor|other|notable|breaking|api|core|misc(?:ellaneous)?"
    r"|internal|security|performance|documentation|docs|bug|dependency|build)\s+)*"
    r"(?:what'?s (?:changed|new)|features?|fix(?:es|ed)?|bug ?fixes|changes?|changelog"
    r"|improvements?|enhancements?|deprecations?|removals?|removed|added|highlights|updates?"
    r"|new contributors|contributors|assets|downloads?|binaries|installation|install"
    r"|checksums|notes|upgrade notes|upgrading|breaking changes|security|performance"
    r"|documentation|docs|dependencies|maintenance|refactor(?:ing)?|other|misc|chores?|tests?"
    r"|internal|ci)"
    r"(?:\s+and\s+\w+)?\s*:?",
    re.IGNORECASE,
)
_ITEM_KINDS = _patterns(
    (
        "breaking",
        r"^(?:\[?breaking\]?|breaking change|⚠️|drop(?:ped|s)? support|remove[ds]?\b)"
        r"|\b(?:has|have) (?:now )?been removed\b|\bis (?:now )?removed\b|\bno longer supported\b",
    ),
    ("deprecation", r"\bdeprecat"),
    (
        "minor",
        r"^(?:deps(?:-dev)?|chore|ci|docs?|test|tests|build|style|refactor|bump)\b"
        r"|\bbump(?:ed|s)? \S+ from\b|\bdependabot\b"
        r"|^update (?:the )?(?:docs|documentation|readme|changelog)\b",
    ),
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
_ORDER = {"breaking": 0, "feature": 1, "deprecation": 2, "other": 3, "fix": 4, "minor": 5}
_HEADLINE_ORDER = {"feature": 0, "other": 1, "breaking": 2, "deprecation": 3, "fix": 4, "minor": 5}
_LABELS = {"breaking": "Breaking", "deprecation": "Deprecated", "fix": "Fix"}
# "feat(ci): ", "fix: ", "api: ": conventional commits' type and scope.
_COMMIT_TYPE = re.compile(r"^(?P<type>[a-z][\w-]{1,15})(?:\([\w ./-]{1,30}\))?!?:\s+")
_COMMIT_KINDS = {"feat": "feature", "feature": "feature", "fix": "fix", "bugfix": "fix",
                 "perf": "feature", "deps": "minor", "chore": "minor", "ci": "minor",
                 "docs": "minor", "doc": "minor", "test": "minor", "tests": "minor",
                 "build": "minor", "style": "minor", "refactor": "minor"}  # fmt: skip
# Prefixes a changelog tool puts before a change, with no kind of their own: "api: ".
_COMMIT_TYPES = frozenset(_COMMIT_KINDS) | {"api", "core", "server", "model", "misc"}
# Trailing references: "(#4251)", "(c6fc264)", "(#8422 4221290)", ", thanks to @l0rinc!"
_TRAILING_REFS = re.compile(
    r"(?:\s*\((?:#\d+|[0-9a-f]{7,40})(?:[ ,]+(?:#\d+|[0-9a-f]{7,40}))*\))+\s*$"
    r"|,?\s+(?:thanks|thank you|props|kudos) to (?:@[\w-]+(?:,? (?:and )?)?)+!?\s*$",
    re.IGNORECASE,
)
# A line that is only the version and maybe its date: "0.28.0 (28th November, 2024)".
_VERSION_LINE = re.compile(r"^\[?v?\d+(?:\.\d+)+\S*\]?(?:\s*[-–(].{0,40})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Change:
    text: str
    kind: str  # breaking, feature, fix or other
    position: int


def release_title(title: str, context: SourceContext) -> str:
    """The title a release should be shown under: "b7214" from llama.cpp's feed becomes
    "llama.cpp b7214"; a title that names its project already is kept."""
    bare = " ".join(title.split())
    # The tag first: every entry of every feed passes here, and nearly none is a bare tag.
    if not _BARE_VERSION.match(bare):
        return bare
    project = release_project(context)
    if not project or project.lower() in bare.lower():
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
    headline = lead
    if headline is None and ranked:
        # The headline is what the release brings; a breaking change is flagged as a point.
        first = min(ranked, key=lambda c: (_HEADLINE_ORDER[c.kind], c.position))
        headline = _first_sentence_of(first.text)
        ranked = [c for c in ranked if c is not first]
    if headline is None:
        return Summary(tldr=name)
    # Dependency bumps and CI chores only when the release has little else to say.
    major = [c for c in ranked if c.kind != "minor"]
    points = [p for p in map(_point, major if len(major) >= 2 else ranked) if p][:MAX_CHANGES]
    return Summary(tldr=_fit(f"{name}: {headline}", TLDR_MAX_CHARS), key_points=tuple(points))


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
        if section == "skip" or _ASSET.search(line) or _VERSION_LINE.match(line):
            continue
        if "made their first contribution" in lowered:
            continue
        change, commit_kind = _clean_change(line)
        if len(change.split()) < 2 or change.lower() in seen:
            continue
        seen.add(change.lower())
        if lead is None and not changes and _is_prose(line):
            lead = _first_sentence_of(_TRAILING_REFS.sub("", line).strip())
            continue
        if _is_code(line):
            continue
        changes.append(Change(change, _change_kind(change, section, commit_kind), len(changes)))
    return lead, changes


def _clean_change(line: str) -> tuple[str, str | None]:
    """The change as a reader wants it: no credit, pull request or commit hash; no
    conventional-commit prefix (whose type is returned: "feat", "fix"…)."""
    change = _CREDIT.sub("", line).strip()
    change = _TRAILING_REFS.sub("", change).strip()
    commit = _COMMIT_TYPE.match(change)
    kind = None
    if commit and commit.group("type") in _COMMIT_TYPES:
        kind = _COMMIT_KINDS.get(commit.group("type"))
        change = change[commit.end() :]
        change = change[:1].upper() + change[1:]
    return change.rstrip(" ."), kind


def _change_kind(change: str, section: str, commit_kind: str | None) -> str:
    if section in ("breaking", "deprecation", "minor"):
        return section
    if commit_kind:
        return commit_kind
    by_words = _item_kind(change)
    return by_words if by_words != "other" or section not in _ORDER else section


_CODE = re.compile(
    r"[({\[]\s*[\"'{]|\w\(.*\)\s*$|^\s*(?:\$|>>>|pip install|(?:import|from|return|def|class"
    r"|async|await|yield|raise|print|if|for|with)\s)|^[\w.\[\]'\"]+\s*[+-]?=\s"
)


def _is_code(line: str) -> bool:
    """A line of an example ("history.append({...})", "pip install x"), not a change."""
    if not _CODE.search(line):
        return False
    # Prose that mentions a call ("Add copy() method to Module") ends like a sentence.
    return not line.rstrip().endswith((".", "!")) or line.count("(") > 2


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
    body = _without_component(change)
    for kind, pattern in _ITEM_KINDS:
        if pattern.search(body):
            return kind
    return "other"


# llama.cpp and ggml name the part a change is in: "server : fix a crash", "ggml: add …".
_COMPONENT = re.compile(r"^[\w./-]{1,24}(?:\s*,\s*[\w./-]{1,24})*\s?:\s+")


def _without_component(change: str) -> str:
    return _COMPONENT.sub("", change, count=1)


def _is_prose(line: str) -> bool:
    return (
        len(line.split()) >= 8
        and line.rstrip().endswith((".", "!"))
        and bool(standalone(_first_sentence_of(line)))
    )


def _first_sentence_of(line: str) -> str:
    return first_sentence(line) or line


def _point(change: Change) -> str | None:
    """The change as one key point, whole: its first sentence if it runs on; None when even
    that would have to be cut."""
    text = _first_sentence_of(change.text)
    label = _LABELS.get(change.kind)
    said = _without_component(text).lower()
    if label and not said.startswith((label.lower(), "fix", "remov", "deprecat")):
        text = f"{label}: {text}"
    text = " ".join(text.split())
    return text if len(text) <= CHANGE_MAX_CHARS else None


def _sentence(change: str) -> str:
    return change.strip()


def _fit(text: str, limit: int) -> str:
    return shorten(" ".join(text.split()), limit)
