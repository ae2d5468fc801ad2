"""A feed's keyword filter in a channel: words or phrases it must have, words it must not
have, and a regular expression, over an item's title and text.

Validated when an admin sets it (`keyword_filter` raises `FilterError` with the reason), and
checked per item by `filter_verdict`: None when the item passes, else the reason in plain
words ("it has the excluded word "rumor""), which is what `/feeds explain` shows.

The regular expression runs on the `regex` engine with a time limit: a catastrophic pattern
(`(x+x+)+y`) stops after `REGEX_SECONDS` and the item is held back with that reason, never
stalling the bot.
"""

from __future__ import annotations

import functools
import re

import regex

from bot.models import KeywordFilter

MAX_WORDS = 20  # per list
MAX_WORD_CHARS = 60
MAX_PATTERN_CHARS = 300
REGEX_SECONDS = 0.05

_ITEM = re.compile(r'\s*"([^"]*)"|([^,]+)')


class FilterError(ValueError):
    """A filter an admin typed that cannot be used; `str()` says why, for them."""


def keyword_filter(
    include: str | None = None, exclude: str | None = None, pattern: str | None = None
) -> KeywordFilter:
    """The filter from what an admin typed: comma-separated words or "quoted phrases", and
    a regular expression. Raises `FilterError` with the reason."""
    return KeywordFilter(
        include=keywords(include or "", "include"),
        exclude=keywords(exclude or "", "exclude"),
        pattern=checked_pattern(pattern) if pattern and pattern.strip() else None,
    )


def keywords(text: str, what: str = "keywords") -> tuple[str, ...]:
    """Comma-separated words or phrases ("quotes" keep a comma inside), lowercased, each
    once, in order."""
    found: list[str] = []
    for quoted, plain in _ITEM.findall(text):
        word = " ".join((quoted or plain).split()).lower()
        if not word or word in found:
            continue
        if len(word) > MAX_WORD_CHARS:
            raise FilterError(f"{what}: “{word[:30]}…” is longer than {MAX_WORD_CHARS} characters")
        found.append(word)
    if len(found) > MAX_WORDS:
        raise FilterError(f"{what}: at most {MAX_WORDS} words or phrases (got {len(found)})")
    return tuple(found)


def checked_pattern(pattern: str) -> str:
    pattern = pattern.strip()
    if len(pattern) > MAX_PATTERN_CHARS:
        raise FilterError(f"the regular expression is longer than {MAX_PATTERN_CHARS} characters")
    try:
        _compiled(pattern)
    except regex.error as exc:
        raise FilterError(f"the regular expression is not valid: {exc}") from None
    return pattern


def filter_verdict(rules: KeywordFilter, title: str, text: str) -> str | None:
    """None if an item with this title and text passes `rules`, else why it does not."""
    if not rules:
        return None
    haystack = f"{title}\n{text}"
    for word in rules.exclude:
        if _has_word(haystack, word):
            return f'it has the excluded word "{word}"'
    if rules.include and not any(_has_word(haystack, word) for word in rules.include):
        return "it has none of the words " + ", ".join(f'"{w}"' for w in rules.include)
    if rules.pattern:
        try:
            found = _compiled(rules.pattern).search(haystack, timeout=REGEX_SECONDS)
        except TimeoutError:
            return f"the regular expression took too long on it (over {REGEX_SECONDS:g} s)"
        if found is None:
            return f"it does not match the regular expression /{rules.pattern}/"
    return None


def _has_word(text: str, word: str) -> bool:
    """`word` (or phrase) in `text` as whole words, any case, any spacing between words."""
    return _word_pattern(word).search(text) is not None


@functools.lru_cache(maxsize=1024)
def _word_pattern(word: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(part) for part in word.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.IGNORECASE | regex.V0)
