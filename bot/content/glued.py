"""The page's title, and the articles some sites glue under the one a link points to
("next article" blocks), cut off so only the linked article is read."""

from __future__ import annotations

import re
from html import unescape

from lxml.html import HtmlElement

from bot.content.text import collapse_whitespace

_SITE_CHROME = re.compile(r"site-(?:title|name|logo|branding)|\blogo\b|\bbrand\b|masthead", re.I)
NEXT_ARTICLE_MARKER = re.compile(
    r"^\W*(?:read next|up next|next (?:article|story|post|up)|more stories)\W*$",
    re.I,
)
# Enough paragraph text to be an article in its own right rather than a teaser card.
_FULL_ARTICLE_CHARS = 500


def page_title(tree: HtmlElement) -> str | None:
    for path in ('//meta[@property="og:title"]/@content', '//meta[@name="twitter:title"]/@content'):
        for value in tree.xpath(path):
            if title := collapse_whitespace(unescape(str(value))):
                return title
    document_title = collapse_whitespace(unescape(tree.findtext(".//title") or "")) or None
    heading = _primary_heading(_content_headings(tree), document_title)
    # The heading, when there is one, is the <title> without the " | Site name" around it.
    return element_text(heading) if heading is not None else document_title


def drop_glued_articles(tree: HtmlElement, title: str | None) -> None:
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
    return [h for h in tree.iter("h1") if element_text(h) and not _in_chrome(h)]


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
        matching = [
            h for h in headings if (t := element_text(h).casefold()) in wanted or wanted in t
        ]
        if matching:
            return max(matching, key=lambda h: len(element_text(h)))
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
    paragraphs = sum(len(element_text(p)) for p in article.iter("p"))
    return has_heading and paragraphs >= _FULL_ARTICLE_CHARS


def _marker_between(
    tree: HtmlElement, order: dict[HtmlElement, int], start: HtmlElement, end: HtmlElement
) -> bool:
    for element in tree.iter():
        if order[start] < order[element] < order[end] and _is_next_article_marker(element):
            return True
    return False


def _is_next_article_marker(element: HtmlElement) -> bool:
    text = element_text(element)
    return len(text) <= 80 and bool(NEXT_ARTICLE_MARKER.match(text)) and not _in_chrome(element)


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


def element_text(element: HtmlElement) -> str:
    """An element's text on one line."""
    return collapse_whitespace(element.text_content())
