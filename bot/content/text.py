"""HTML → plain text that is safe to show in Discord: paragraphs kept, markup gone."""

from __future__ import annotations

import html
import re
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


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropped_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._pre_depth += 1
        if tag in _DROPPED:
            self._dropped_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in _DROPPED:
            self._dropped_depth = max(0, self._dropped_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._dropped_depth:
            return
        # A newline in the HTML source is only whitespace; paragraphs come from the tags.
        self.parts.append(data.replace("\n", " ") if not self._preformatted else data)

    @property
    def _preformatted(self) -> bool:
        return self._pre_depth > 0


def html_to_text(markup: str) -> str:
    """Return the readable text of `markup`: one paragraph per line, no tags or entities.

    Scripts, styles and iframes are dropped, whitespace is normalized, and a paragraph
    repeated verbatim is kept once.
    """
    if not markup:
        return ""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    # Some feeds double-escape ("&amp;amp;"); one more unescape pass catches leftovers.
    raw = html.unescape("".join(collector.parts))
    paragraphs: list[str] = []
    seen: set[str] = set()
    for line in raw.split("\n"):
        paragraph = _SPACES.sub(" ", line).strip()
        if paragraph and paragraph not in seen:
            seen.add(paragraph)
            paragraphs.append(paragraph)
    return "\n".join(paragraphs)


def collapse_whitespace(text: str) -> str:
    """Squash any run of whitespace, newlines included, into one space."""
    return " ".join(text.split())


_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()])")


def neutralize_markdown(text: str) -> str:
    """`text` with Discord markdown escaped and @mentions broken, for quoting feed text."""
    escaped = _MARKDOWN.sub(r"\\\1", text)
    # A zero-width space after "@" keeps "@everyone" readable but unable to ping or format.
    return escaped.replace("@", "@\u200b")


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, ending in "…" if cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—([{\"'“‘") + "…"
