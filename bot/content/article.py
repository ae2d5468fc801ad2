"""A fetched web page → its main article text, with paywall and login-wall stubs noticed.

Used when a feed carries only a teaser: the bot fetches the linked page and wants what a
reader of that page would read, without navigation, footers, share boxes or cookie banners.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin

import lxml.html
from lxml.etree import LxmlError, _Element
from lxml.html import HtmlElement

from bot.content.glued import (
    NEXT_ARTICLE_MARKER,
    drop_glued_articles,
    element_text,
    page_title,
)
from bot.content.paywall import is_paywall_prompt, paywall_reason
from bot.content.text import collapse_whitespace, html_to_text
from bot.models import Link


@dataclass(frozen=True)
class Article:
    """The readable part of a web page."""

    text: str  # plain, one paragraph per line, no tags or entities, whitespace normalized
    title: str | None
    partial: bool  # the page is a paywall / members-only / login stub, not the whole article
    partial_reason: str | None  # plain words for a reader, e.g. "the article is for members only"
    image: str | None = None  # the picture the page offers for sharing (og:image), absolute
    links: tuple[Link, ...] = ()  # the links the article's own text makes (a roundup's items)


# --- teaser detection -------------------------------------------------------------------------

# WordPress appends this to full-content feeds too, so it says nothing about truncation by
# itself; it is cut before measuring what is left.
_APPEARED_FIRST = re.compile(r"\s*The post .{1,300}? appeared first on .{1,200}?\s*$", re.I | re.S)
# An ellipsis or "(more…)" where the text stops, or a "Read more" link ending it.
_TRUNCATED_ENDING = re.compile(
    r"(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\]|\(more\s*(?:…|\.\.\.)?\))\W*$"
    r"|(?:read more|continue reading|keep reading)\W*$",
    re.I,
)
# A last paragraph that is only a "more" link, possibly naming the article:
# "Continue reading “Title” →", "Read the full story at Example News".
_MORE_LINK = re.compile(
    r"^(?:read more|continue reading|keep reading|read the (?:full|whole|rest)\b)[^\n]{0,150}$",
    re.I,
)


def looks_like_teaser(text: str, *, min_chars: int = 600) -> bool:
    """Say whether feed text is probably only a teaser of the linked article.

    True when the text, without WordPress's "The post … appeared first on …" line, is shorter
    than `min_chars`, or when it visibly stops early ("…", "[…]", "Read more", "Continue
    reading", "(more…)"), whatever its length.
    """
    body = _APPEARED_FIRST.sub("", text).strip()
    last_line = body.rpartition("\n")[2].strip()
    return (
        len(body) < min_chars
        or bool(_TRUNCATED_ENDING.search(body))
        or bool(_MORE_LINK.match(last_line))
    )


# --- extraction -------------------------------------------------------------------------------


def extract_article(html: str | bytes, *, url: str) -> Article:
    """Return the main article of the page `html` fetched from `url`.

    Synchronous and CPU-bound: run it in a worker thread (see `extract_article_async`).
    Bytes are decoded honouring a BOM or the page's declared charset, but valid UTF-8 wins over
    a contrary declaration. Only the first article is kept when the page glues further articles
    under it. `partial` is set when the page is a subscriber/member/login stub and the text is
    short; the short text is kept. A page with no readable text gives an empty `text`.
    """
    markup = _decode(html) if isinstance(html, bytes) else html
    tree = _parse(markup)
    if tree is None:
        return Article(text="", title=None, partial=False, partial_reason=None)
    image = page_image(tree, url)
    _drop_hidden(tree)
    title = page_title(tree)
    drop_glued_articles(tree, title)
    links = page_links(tree, url)
    text = _trafilatura_text(tree, url) or _fallback_text(tree)
    reason = paywall_reason(tree, len(text))
    if reason is not None:
        text = "\n".join(line for line in text.split("\n") if not is_paywall_prompt(line))
    if title and text.split("\n", 1)[0].casefold() == title.casefold():
        text = text.partition("\n")[2]
    return Article(
        text=text,
        title=title,
        partial=reason is not None,
        partial_reason=reason,
        image=image,
        links=links_in_text(links, text),
    )


_LINK_CONTEXTS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "dd", "blockquote"}
_MAX_PAGE_LINKS = 500


def page_links(tree: HtmlElement, url: str) -> list[Link]:
    """Every http(s) link of the page with words, and the paragraph or list item around it."""
    found: list[Link] = []
    for anchor in tree.iter("a"):
        href = urljoin(url, (anchor.get("href") or "").strip())
        words = collapse_whitespace(anchor.text_content())
        if not words or not href.startswith(("http://", "https://")):
            continue
        block = next((e for e in anchor.iterancestors() if e.tag in _LINK_CONTEXTS), None)
        context = collapse_whitespace(block.text_content()) if block is not None else words
        found.append(Link(words, href, context))
        if len(found) >= _MAX_PAGE_LINKS:
            break
    return found


def links_in_text(links: list[Link], text: str) -> tuple[Link, ...]:
    """The links whose paragraph is part of the article's text, not the page's menus."""
    body = collapse_whitespace(text)
    return tuple(link for link in links if link.context[:80] in body)


_IMAGE_META = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")


def page_image(tree: HtmlElement, url: str) -> str | None:
    """The page's picture for sharing (Open Graph, else Twitter card), as an absolute
    http(s) address; None if it names none."""
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name in _IMAGE_META and content:
            absolute = urljoin(url, content)
            if absolute.startswith(("https://", "http://")) and len(absolute) <= 2048:
                return absolute
    return None


async def extract_article_async(html: str | bytes, *, url: str) -> Article:
    """`extract_article` run in a worker thread, so the event loop keeps serving Discord."""
    return await asyncio.to_thread(extract_article, html, url=url)


# --- decoding and parsing ---------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# Browsers read these labels as windows-1252 (WHATWG Encoding), which also maps 0x80–0x9f to
# curly quotes and dashes instead of invisible control characters.
_READ_AS_CP1252 = {"ascii", "iso8859-1", "cp1252"}


def _decode(data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    # Valid UTF-8 with non-ASCII bytes is almost never legacy text by accident, while pages that
    # declare iso-8859-1 over UTF-8 bytes are common; trusting the label would produce mojibake.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_codec(data[:4096])
    if declared not in (None, "utf-8"):
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    # UTF-8 with a few broken bytes: lose those bytes, not every accent on the page.
    lenient = data.decode("utf-8", errors="replace")
    broken = lenient.count("\ufffd")
    if sum(ord(char) > 127 for char in lenient) - broken > broken:
        return lenient
    # Legacy text under a UTF-8 label or none: windows-1252 is what browsers assume here, and
    # on short pages it beats a detector's guess (which reads "é" as Baltic or Central European).
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        from trafilatura.utils import decode_file  # see _trafilatura_text

        return decode_file(data)  # trafilatura's detector (charset_normalizer)


def _declared_codec(head: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii", "replace")).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # a page readable enough to declare this in ASCII is not UTF-16
    return "cp1252" if name in _READ_AS_CP1252 else name


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _parse(markup: str) -> HtmlElement | None:
    # Parsing a str (never bytes) keeps lxml from re-reading a wrong <meta charset>.
    markup = _CONTROL_CHARS.sub("", _XML_DECLARATION.sub("", markup, count=1))
    if not markup.strip():
        return None
    # A parser per call: lxml serialises threads that share one, and they are cheap to make.
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(markup, parser=parser)
    except (LxmlError, ValueError):
        return None


def _drop_hidden(tree: HtmlElement) -> None:
    """Remove what a reader never sees, such as paywall templates hidden on free pages."""
    hidden = tree.xpath(
        "//body//*[@hidden or @aria-hidden='true'"
        " or contains(translate(@style, ' ', ''), 'display:none')]"
    )
    for element in hidden:
        element.drop_tree()


# --- text -------------------------------------------------------------------------------------


def _trafilatura_text(tree: HtmlElement, url: str) -> str:
    # Imported at the first page read, not with the bot: trafilatura and what it loads are
    # 10 MiB of memory that a bot reading only feeds (`full_articles` off) never uses.
    import trafilatura

    # bare_extraction rather than extract(): its txt output keeps the page's own line breaks
    # inside a paragraph on some paths, while the extracted tree says where paragraphs are.
    document = trafilatura.bare_extraction(
        tree,  # trafilatura copies a tree it is handed, so ours stays intact
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        include_formatting=False,
        deduplicate=False,  # its cache is process-wide: the same page would come out empty twice
    )
    body = getattr(document, "body", None)
    if body is None:
        return ""
    return _tidy("\n".join(_paragraphs(body)))


def _paragraphs(body: _Element) -> Iterator[str]:
    """Lines of trafilatura's output tree: one per block (<p>, <head>, <quote>, list <item>).

    Newlines in the text are the page source's wrapping, not breaks; only <lb> breaks a line.
    """
    for block in body:
        for part in block.findall("item") if block.tag == "list" else [block]:
            yield from _lines(part)
        if block.tail:
            yield collapse_whitespace(block.tail)


def _lines(element: _Element) -> list[str]:
    lines = [""]

    def walk(node: _Element) -> None:
        lines[-1] += node.text or ""
        for child in node:
            if child.tag == "lb":
                lines.append("")
            else:
                walk(child)
            lines[-1] += child.tail or ""

    walk(element)
    return [collapse_whitespace(line) for line in lines]


def _fallback_text(tree: HtmlElement) -> str:
    """html_to_text of the page's article, main or body, without its menus and footers."""
    # Explicit None checks: an lxml element without children is falsy.
    candidates = [
        max(tree.iter("article"), key=lambda a: len(element_text(a)), default=None),
        tree.find(".//main"),
        tree.find(".//body"),
    ]
    region = next((c for c in candidates if c is not None), None)
    if region is None:
        return ""
    region = deepcopy(region)
    chrome = region.xpath(
        ".//nav | .//footer | .//aside | .//form | .//button"
        " | .//header[not(ancestor::article) and not(ancestor::main)]"
        " | .//*[@role='navigation' or @role='banner' or @role='contentinfo']"
    )
    for element in chrome:
        element.drop_tree()
    # html_to_text starts a paragraph at every newline, and source newlines are only wrapping.
    for element in region.iter():
        if element.tag in ("pre", "textarea") or any(
            a.tag == "pre" for a in element.iterancestors()
        ):
            continue
        if element.text:
            element.text = element.text.replace("\n", " ")
        if element.tail:
            element.tail = element.tail.replace("\n", " ")
    return _tidy(html_to_text(lxml.html.tostring(region, encoding="unicode")))


def _tidy(text: str) -> str:
    lines: list[str] = []
    seen: set[str] = set()
    for raw in text.split("\n"):
        # One more unescape pass for pages that double-escape ("&amp;amp;"), as in text.py.
        line = collapse_whitespace(unescape(raw).replace("\u200b", ""))
        if line and line not in seen:
            seen.add(line)
            lines.append(line)
    while lines and NEXT_ARTICLE_MARKER.match(lines[-1]):
        lines.pop()
    return "\n".join(lines)
