"""What an item's HTML says beyond its text: the links it makes and the paragraphs it quotes.

A newsletter's news is in its links (each with the list item or paragraph around it), and a
comment's quoted block is its parent's words, not its own: `html_to_text` keeps neither
distinction, so this reads them from the same HTML, in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from bot.content.text import collapse_whitespace
from bot.models import Link

# Elements whose text is a context of its own for the links inside it.
_CONTEXTS = {
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "dd", "dt",
    "figcaption", "div", "section", "article", "ul", "ol", "table", "tr", "dl",
}  # fmt: skip
# A start tag that ends an open element of the same kind: HTML's implied end tags.
_ENDS_OPEN = {"li": {"li"}, "p": {"p"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}, "tr": {"tr"},
              "td": {"td"}}  # fmt: skip
_DROPPED = {"script", "style", "iframe", "noscript", "template", "svg", "head", "object", "form"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr"}
# A page links this many at most; past it, the rest is navigation or a link farm.
MAX_LINKS = 200


@dataclass(frozen=True)
class Structure:
    links: tuple[Link, ...] = ()
    quoted: tuple[str, ...] = ()


@dataclass
class _Block:
    tag: str
    text: list[str] = field(default_factory=list)
    links: list[tuple[int, str, str]] = field(default_factory=list)  # (order, text, url)


class _StructureReader(HTMLParser):
    def __init__(self, base: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self._base = base
        self.blocks: list[_Block] = [_Block("root")]
        self.links: list[tuple[int, Link]] = []
        self._count = 0
        self.quoted: list[str] = []
        self._quote_depth = 0
        self._dropped_depth = 0
        self._anchor: tuple[str, list[str]] | None = None  # (href, its text so far)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropped_depth += 1
        elif tag == "a":
            href = urljoin(self._base or "", (dict(attrs).get("href") or "").strip())
            self._anchor = (href, []) if href.startswith(("http://", "https://")) else None
        elif tag in _CONTEXTS:
            if self.blocks[-1].tag in _ENDS_OPEN.get(tag, ()) or self.blocks[-1].tag == "p":
                self._close(self.blocks.pop())  # "<li>a<li>b", "<p>a<p>b", "<p>a<div>"
            self.blocks.append(_Block(tag))
            if tag == "blockquote":
                self._quote_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropped_depth = max(0, self._dropped_depth - 1)
        elif tag == "a":
            self._end_anchor()
        elif tag in _CONTEXTS and any(b.tag == tag for b in self.blocks[1:]):
            # Close up to the matching block: feed HTML often leaves <p> and <li> open.
            while True:
                block = self.blocks.pop()
                self._close(block)
                if block.tag == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self._dropped_depth:
            return
        self.blocks[-1].text.append(data)
        if self._anchor is not None:
            self._anchor[1].append(data)

    def close(self) -> None:
        super().close()
        self._end_anchor()
        while len(self.blocks) > 1:
            self._close(self.blocks.pop())
        self._close(self.blocks[0])

    def _end_anchor(self) -> None:
        if self._anchor is None:
            return
        href, parts = self._anchor
        self._anchor = None
        text = collapse_whitespace("".join(parts))
        if text and self._count < MAX_LINKS:
            self.blocks[-1].links.append((self._count, text, href))
            self._count += 1

    def _close(self, block: _Block) -> None:
        context = collapse_whitespace("".join(block.text))
        self.links += [(order, Link(text, url, context)) for order, text, url in block.links]
        if block.tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
            if context:
                self.quoted.append(context)
        elif self._quote_depth and context and block.tag != "root":
            self.quoted.append(context)
        if block is not self.blocks[0]:
            # The parent reads its children's words too (a <div> around <p>s), but only as text.
            self.blocks[-1].text.append(" " + context + " ")


def read_structure(markup: str, *, base: str | None = None) -> Structure:
    """The links (in document order, relative ones resolved against `base`) and quoted
    paragraphs of `markup`."""
    lowered = markup.lower()
    if "<a" not in lowered and "<blockquote" not in lowered:
        return Structure()
    reader = _StructureReader(base)
    reader.feed(markup)
    reader.close()
    links = tuple(link for _, link in sorted(reader.links, key=lambda pair: pair[0]))
    return Structure(links, tuple(dict.fromkeys(reader.quoted)))
