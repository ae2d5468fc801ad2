"""Paywall, members-only and login-wall stubs: noticed, so the bot says "only part could be
read" instead of summarizing the stub as if it were the article."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from bot.content.text import collapse_whitespace

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


def paywall_reason(tree: HtmlElement, text_chars: int) -> str | None:
    """Why the page is a subscriber, member or login stub (in plain words), or None when
    it is not one; a long article is never taken for a stub."""
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


def is_paywall_prompt(line: str) -> bool:
    """Whether a line of the text is the paywall's own prompt ("Subscribe to continue")."""
    folded = line.casefold().replace("\u2019", "'")
    if len(line) <= 60 and _PROMPT_LINE.match(line):
        return True
    return any(p.search(folded) for p, _ in (*_STATEMENTS, *_HINTS)) and len(line) <= 120
