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

import lxml.html
import trafilatura
from lxml.etree import LxmlError, _Element
from lxml.html import HtmlElement
from trafilatura.utils import decode_file

from bot.content.text import collapse_whitespace, html_to_text


@dataclass(frozen=True)
class Article:
    """The readable part of a web page."""

    text: str  # plain, one paragraph per line, no tags or entities, whitespace normalized
    title: str | None
    partial: bool  # the page is a paywall / members-only / login stub, not the whole article
    partial_reason: str | None  # plain words for a reader, e.g. "the article is for members only"


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
    _drop_hidden(tree)
    title = _page_title(tree)
    _drop_glued_articles(tree, title)
    text = _trafilatura_text(tree, url) or _fallback_text(tree)
    reason = _paywall_reason(tree, len(text))
    if reason is not None:
        text = "\n".join(line for line in text.split("\n") if not _is_paywall_prompt(line))
    if title and text.split("\n", 1)[0].casefold() == title.casefold():
        text = text.partition("\n")[2]
    return Article(text=text, title=title, partial=reason is not None, partial_reason=reason)


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


# --- title and glued articles -----------------------------------------------------------------

_SITE_CHROME = re.compile(r"site-(?:title|name|logo|branding)|\blogo\b|\bbrand\b|masthead", re.I)
_NEXT_ARTICLE_MARKER = re.compile(
    r"^\W*(?:read next|up next|next (?:article|story|post|up)|more stories)\W*$",
    re.I,
)
# Enough paragraph text to be an article in its own right rather than a teaser card.
_FULL_ARTICLE_CHARS = 500


def _page_title(tree: HtmlElement) -> str | None:
    for path in ('//meta[@property="og:title"]/@content', '//meta[@name="twitter:title"]/@content'):
        for value in tree.xpath(path):
            if title := collapse_whitespace(unescape(str(value))):
                return title
    document_title = collapse_whitespace(unescape(tree.findtext(".//title") or "")) or None
    heading = _primary_heading(_content_headings(tree), document_title)
    # The heading, when there is one, is the <title> without the " | Site name" around it.
    return _text(heading) if heading is not None else document_title


def _drop_glued_articles(tree: HtmlElement, title: str | None) -> None:
    """Cut whatever the page appends after the first article that is an article of its own.

    trafilatura (and the readability fallback it consults) happily returns a second, longer
    article glued under the first, or both, so the tree is cut before extraction. A later
    heading or article counts as glued only when it sits in a separate top-level <article>
    or follows a "Read next"-style marker: an <h1> used as a section heading inside one
    article must not cut it short.
    """
    order = {element: index for index, element in enumerate(tree.iter())}
    headings = _content_headings(tree)
    primary = _primary_heading(headings, title)
    articles = [a for a in tree.iter("article") if _outermost_article(a) is a and not _in_chrome(a)]
    full = [a for a in articles if _is_full_article(a)]
    primary_article = _outermost_article(primary) if primary is not None else None
    if primary_article is None:
        # The title may sit above its <article>, or there may be no title: the article is then
        # the first one after the title, or the first full one.
        after = [a for a in articles if primary is not None and order[a] > order[primary]]
        primary_article = next(iter(after or full), None)
    anchor = primary_article if primary_article is not None else primary
    if anchor is None:
        return

    starts: list[HtmlElement] = []
    for heading in headings:
        if primary is None or order[heading] <= order[primary]:
            continue
        own = _outermost_article(heading)
        in_other_article = (
            own is not None and primary_article is not None and own is not primary_article
        )
        if in_other_article or _marker_between(tree, order, primary, heading):
            starts.append(heading)
    if primary_article is not None:
        starts += [a for a in full if order[a] > order[primary_article]]
    if starts:
        _cut_from(anchor, min(starts, key=order.__getitem__))


def _content_headings(tree: HtmlElement) -> list[HtmlElement]:
    """<h1> elements that title content, not the site's name in its header or menus."""
    return [h for h in tree.iter("h1") if _text(h) and not _in_chrome(h)]


def _in_chrome(element: HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in ("nav", "footer", "aside") or node.get("role") in ("banner", "navigation"):
            return True
        if _SITE_CHROME.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    return False


def _primary_heading(headings: list[HtmlElement], title: str | None) -> HtmlElement | None:
    if title:
        wanted = title.casefold()
        # The longest heading found in the page title: "Site" is inside "Story | Site" too.
        matching = [h for h in headings if (t := _text(h).casefold()) in wanted or wanted in t]
        if matching:
            return max(matching, key=lambda h: len(_text(h)))
    # Without a title to go by, skip a heading in the page's own <header> (the site's name).
    return next((h for h in headings if not _in_page_header(h)), headings[0] if headings else None)


def _in_page_header(element: HtmlElement) -> bool:
    header = next(element.iterancestors("header"), None)
    return header is not None and next(header.iterancestors("article", "main"), None) is None


def _outermost_article(element: HtmlElement) -> HtmlElement | None:
    found = element if element.tag == "article" else None
    for ancestor in element.iterancestors("article"):
        found = ancestor
    return found


def _is_full_article(article: HtmlElement) -> bool:
    has_heading = next(article.iter("h1", "h2"), None) is not None
    paragraphs = sum(len(_text(p)) for p in article.iter("p"))
    return has_heading and paragraphs >= _FULL_ARTICLE_CHARS


def _marker_between(
    tree: HtmlElement, order: dict[HtmlElement, int], start: HtmlElement, end: HtmlElement
) -> bool:
    for element in tree.iter():
        if order[start] < order[element] < order[end] and _is_next_article_marker(element):
            return True
    return False


def _is_next_article_marker(element: HtmlElement) -> bool:
    text = _text(element)
    return len(text) <= 80 and bool(_NEXT_ARTICLE_MARKER.match(text)) and not _in_chrome(element)


def _cut_from(anchor: HtmlElement, start: HtmlElement) -> None:
    """Remove `start`'s branch, everything after it, and "Read next" markers before it.

    Works at the level of the closest element holding both the first article and `start`, so
    the first article itself is never touched.
    """
    # A set of the elements themselves: it keeps their lxml proxies alive, so identity holds.
    anchor_path = {anchor, *anchor.iterancestors()}
    branch = start
    for node in start.iterancestors():
        if node in anchor_path:
            break
        branch = node
    parent = branch.getparent()
    if parent is None:
        return
    doomed = [branch, *branch.itersiblings()]
    for sibling in branch.itersiblings(preceding=True):
        if sibling in anchor_path:
            break
        if _is_next_article_marker(sibling) or any(map(_is_next_article_marker, sibling.iter())):
            doomed.append(sibling)
    for node in doomed:
        parent.remove(node)


# --- text -------------------------------------------------------------------------------------


def _trafilatura_text(tree: HtmlElement, url: str) -> str:
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
        max(tree.iter("article"), key=lambda a: len(_text(a)), default=None),
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
    while lines and _NEXT_ARTICLE_MARKER.match(lines[-1]):
        lines.pop()
    return "\n".join(lines)


def _text(element: HtmlElement) -> str:
    return collapse_whitespace(element.text_content())


# --- paywalls ---------------------------------------------------------------------------------

_PAID = "the article is for paid subscribers only"
_MEMBERS = "the article is for members only"
_SUBSCRIBERS = "the rest of the article is for subscribers only"
_SIGN_IN = "the article can only be read after signing in"
_LIMIT = "the site's limit of free articles was reached"
_NOT_FREE = "the publisher marks the article as not free to read"

# Phrases that state outright that the text stops here. A long article hardly ever carries
# them, so they count up to a generous length (a Substack preview can run several paragraphs).
_STUB_STATEMENTS = (
    (r"this (?:post|article|story|issue|episode) is for paid subscribers", _PAID),
    (r"this (?:post|article|story|content) is (?:only )?for paying (?:subscribers|members)", _PAID),
    (r"keep reading with a \d+-day free trial", _PAID),
    (
        r"this (?:post|article|story|content|page) is (?:only )?for (?:members|subscribers)",
        _MEMBERS,
    ),
    (r"(?:subscribe|sign up|register) (?:now )?to (?:continue|keep) reading", _SUBSCRIBERS),
    (r"to (?:continue|keep) reading,? (?:please )?(?:subscribe|become a)", _SUBSCRIBERS),
    (r"the rest of this (?:post|article|story) is (?:only )?(?:for|available to)", _SUBSCRIBERS),
    (r"you(?:'ve| have) reached your (?:free )?(?:article|story|monthly) limit", _LIMIT),
    (r"(?:log|sign) ?in to (?:continue|keep) reading", _SIGN_IN),
)
# Prompts that also appear around full articles (site headers, footers, comment boxes): they
# mark a stub only when little text came out.
_STUB_HINTS = (
    (r"already a paid subscriber\?", _PAID),
    (r"\bmembers[- ]only\b|\bfor members only\b", _MEMBERS),
    (r"already a member\? ?(?:sign|log) ?in", _MEMBERS),
    (r"to (?:continue|keep) reading,? (?:please )?(?:sign|log) ?in", _SIGN_IN),
    (r"(?:log|sign) ?in to read\b", _SIGN_IN),  # also "Log in to read comments"
)
_STATEMENT_MAX_CHARS = 5000
_HINT_MAX_CHARS = 1500
_STATEMENTS = [(re.compile(p), reason) for p, reason in _STUB_STATEMENTS]
_HINTS = [(re.compile(p), reason) for p, reason in _STUB_HINTS]
_NOT_ACCESSIBLE_FOR_FREE = re.compile(r'"isAccessibleForFree"\s*:\s*"?false\b', re.I)
_PROMPT_LINE = re.compile(
    r"^(?:subscribe(?: now)?|sign in|log in|sign up|upgrade|become a (?:member|subscriber)"
    r"|start (?:your )?free trial|already a (?:paid )?(?:member|subscriber)\?.*)$",
    re.I,
)


def _paywall_reason(tree: HtmlElement, text_chars: int) -> str | None:
    if text_chars >= _STATEMENT_MAX_CHARS:
        return None
    visible = _visible_text(tree)
    for pattern, reason in _STATEMENTS:
        if pattern.search(visible):
            return reason
    if text_chars >= _HINT_MAX_CHARS:
        return None
    for pattern, reason in _HINTS:
        if pattern.search(visible):
            return reason
    if _declared_not_free(tree):
        return _NOT_FREE
    return None


def _visible_text(tree: HtmlElement) -> str:
    # Scripts are skipped: app bundles carry paywall strings on free pages too.
    nodes = tree.xpath(
        "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
        " or ancestor::template)]"
    )
    return collapse_whitespace(" ".join(nodes)).casefold().replace("\u2019", "'")


def _declared_not_free(tree: HtmlElement) -> bool:
    """JSON-LD isAccessibleForFree=false, or a locked content tier in the page's meta tags."""
    tiers = tree.xpath('//meta[@property="article:content_tier" or @name="article:content_tier"]')
    if any(meta.get("content", "").strip().lower() == "locked" for meta in tiers):
        return True
    # A pattern, not json.loads: JSON-LD in the wild is often invalid JSON.
    scripts = tree.xpath('//script[@type="application/ld+json"]/text()')
    return any(_NOT_ACCESSIBLE_FOR_FREE.search(script) for script in scripts)


def _is_paywall_prompt(line: str) -> bool:
    folded = line.casefold().replace("\u2019", "'")
    if len(line) <= 60 and _PROMPT_LINE.match(line):
        return True
    return any(p.search(folded) for p, _ in (*_STATEMENTS, *_HINTS)) and len(line) <= 120
