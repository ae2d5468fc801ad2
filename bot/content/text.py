"""HTML → plain text that is safe to show in Discord: paragraphs kept, markup gone."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

# Elements whose content is never text a reader should see.
_DROPPED = {"script", "style", "iframe", "noscript", "template", "svg", "head", "object", "form"}
# Elements that end a paragraph (or a line) when they open or close.
_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "table", "tr", "section", "article", "header", "footer", "figure", "figcaption", "hr",
    "dd", "dt", "dl", "main", "aside", "nav",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
# Elements whose text is shown as written: a "<p>" in code is an example, not a paragraph.
_LITERAL = {"code", "pre", "kbd", "samp", "tt"}
# A tag of an element that feed text uses, or an HTML comment: text that still holds one after
# a decoding was escaped twice (Hacker News comments often are) and is HTML, not prose.
_MARKUP = re.compile(
    r"<!--|</?(?:p|a|br|hr|i|b|u|s|em|strong|code|pre|blockquote|div|span|ul|ol|li|h[1-6]"
    r"|img|sup|sub|del|ins|small|big|font|table|tr|td|th|dl|dt|dd|figure|figcaption)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
# Feeds escape a few times over at most; past this, what is left is shown as text.
_MAX_DECODINGS = 3


@dataclass(frozen=True)
class _Part:
    text: str
    literal: bool  # inside code or pre: never decoded again


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[_Part] = []
        self._dropped_depth = 0
        self._pre_depth = 0
        self._literal_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._pre_depth += 1
        if tag in _LITERAL:
            self._literal_depth += 1
        if tag in _DROPPED:
            self._dropped_depth += 1
        elif tag in _BLOCKS:
            self.parts.append(_BREAK)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append(_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in _LITERAL:
            self._literal_depth = max(0, self._literal_depth - 1)
        if tag in _DROPPED:
            self._dropped_depth = max(0, self._dropped_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append(_BREAK)

    def handle_data(self, data: str) -> None:
        if self._dropped_depth:
            return
        # A newline in the HTML source is only whitespace; paragraphs come from the tags.
        text = data.replace("\n", " ") if not self._pre_depth else data
        self.parts.append(_Part(text, literal=self._literal_depth > 0))


_BREAK = _Part("\n", literal=False)


def html_to_text(markup: str) -> str:
    """Return the readable text of `markup`: one paragraph per line, no tags or entities.

    Scripts, styles and iframes are dropped, whitespace is normalized, and a paragraph
    repeated verbatim is kept once. Text that still holds tags after one decoding (escaped
    twice, as Hacker News comments often are: "models.&lt;p&gt;Whether") is HTML and is
    cleaned again, so its "<p>" breaks the paragraph and a link leaves only its text; markup
    shown inside <code> or <pre> stays as written.
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:  # plain text (most titles): nothing to decode
        return _paragraphs(markup.replace("\n", " "))  # a line break in HTML text is a space
    parts = _decode(markup)
    for _ in range(_MAX_DECODINGS - 1):
        if not any(not part.literal and _MARKUP.search(part.text) for part in parts):
            break
        parts = _decode_again(parts)
    # Some feeds double-escape ("&amp;amp;"); one more unescape pass catches leftovers.
    return _paragraphs(html.unescape("".join(part.text for part in parts)))


def _paragraphs(raw: str) -> str:
    """One paragraph per line, whitespace squashed, a paragraph repeated verbatim kept once."""
    paragraphs: list[str] = []
    seen: set[str] = set()
    for line in raw.split("\n"):
        paragraph = _SPACES.sub(" ", line).strip()
        if paragraph and paragraph not in seen:
            seen.add(paragraph)
            paragraphs.append(paragraph)
    return "\n".join(paragraphs)


def _decode(markup: str) -> list[_Part]:
    """One decoding of `markup`: tags become paragraph breaks, entities become characters."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collector.parts


def _decode_again(parts: list[_Part]) -> list[_Part]:
    """`parts` with each run of non-literal text decoded as HTML once more."""
    decoded: list[_Part] = []
    run: list[str] = []
    for part in [*parts, None]:
        if part is not None and not part.literal:
            run.append(part.text)
            continue
        if run:
            # The paragraphs found so far must survive a decoding that reads "\n" as a space.
            decoded.extend(_decode("".join(run).replace("\n", "<br>")))
            run = []
        if part is not None:
            decoded.append(part)
    return decoded


def unwrap_plain_text(text: str) -> str:
    """Plain text one paragraph per line, as the summarizer reads it: a file wrapped at a
    fixed width (paragraphs split by blank lines, lines under 80 characters) has its lines
    joined; a text that already puts a paragraph on each line is kept as it is."""
    lines = text.splitlines()
    filled = [line for line in lines if line.strip()]
    wrapped = len(filled) >= 3 and sum(len(line) < 80 for line in filled) >= 0.9 * len(filled)
    if not wrapped or not any(not line.strip() for line in lines):
        return text
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def strip_tags(markup: str) -> str:
    """`markup` without its tags and entities, whitespace squashed: a quick reading for
    search, not the careful one of `html_to_text`."""
    return collapse_whitespace(html.unescape(_TAG.sub(" ", markup)))


_TAG = re.compile(r"<[^>]*>")


def searchable_body(text: str, html: Sequence[str]) -> str:
    """What search reads of an item: its text, or (only stored, never cleaned) its HTML
    with the tags taken out, cheaply: words are what matter."""
    return text or (strip_tags(" ".join(html)) if html else "")


def collapse_whitespace(text: str) -> str:
    """Squash any run of whitespace, newlines included, into one space."""
    return " ".join(text.split())


# A web address (bare, or in <…>) is left as written so Discord still links it.
_URL = re.compile(r"<[^: >]+:/[^ >]+>|https?://[^\s<]+[^<.,:;\"'\]\s]", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()])")
# What makes a line a list item: "- ", "+ " or "1. " at its start.
_BULLET = re.compile(r"^(\s*)([-+])(?=\s)", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)
_AT = re.compile(r"@(?!\u200b)")


def escape_text(text: str) -> str:
    """`text` shown in Discord as written: markdown escaped, mentions unable to ping.

    Every markdown character (emphasis, code, spoilers, quotes, headings, masked links) and
    list marker gets a backslash, and every "@" a zero-width space after it, so "@everyone"
    and "<@123>" read as written but neither ping nor format. Web addresses are left as they
    are, so they stay links.
    """
    pieces: list[str] = []
    start = 0
    for url in _URL.finditer(text):
        pieces += [_escape_prose(text[start : url.start()]), url.group()]
        start = url.end()
    pieces.append(_escape_prose(text[start:]))
    return "".join(pieces)


def _escape_prose(text: str) -> str:
    escaped = _MARKDOWN.sub(r"\\\1", text)
    escaped = _NUMBERED.sub(r"\1\\.", _BULLET.sub(r"\1\\\2", escaped))
    # A zero-width space after "@" keeps "@everyone" readable but unable to ping.
    return _AT.sub("@\u200b", escaped)


def escape_within(text: str, limit: int) -> str:
    """`escape_text(text)` in at most `limit` characters: the text is cut (at a word
    boundary) before escaping, as much as the escaping needs, so the limit holds after it."""
    budget = limit
    while True:
        shown = escape_text(shorten(text, budget))
        if len(shown) <= limit or budget <= 1:
            return shown
        # Escaping grows text by up to 2×: shrink the cut in proportion, by 1 at least.
        budget = min(budget - 1, budget * limit // len(shown))


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, ending in "…" if cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—([{\"'“‘") + "…"
