"""A newsletter or link roundup → the items it links, most relevant to open-source AI first,
each as "title — one clause" with its link. The intro ("For the last week or so, I've been
meaning to write…") and the furniture (subscribe, share, sponsor links) are left out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.content.relevance import score_relevance
from bot.content.text import collapse_whitespace, shorten
from bot.models import Link, Summary
from bot.summarize.points import is_furniture
from bot.summarize.sentences import first_sentence
from bot.summarize.source import SourceContext

MAX_ITEMS = 4
# The summary must fit a post (bot.posts.SUMMARY_LIMIT) without being cut.
SUMMARY_CHARS = 1000
TITLE_CHARS = 90
CLAUSE_CHARS = 140
MIN_LINKS = 2

# Links that are the newsletter's own furniture, not its news.
_FURNITURE_HOSTS = {
    "twitter.com", "x.com", "facebook.com", "linkedin.com", "bsky.app", "mastodon.social",
    "t.me", "wa.me", "reddit.com", "news.ycombinator.com", "patreon.com", "buymeacoffee.com",
    "ko-fi.com", "substack.com", "feedburner.com", "feeds.feedburner.com", "mailchi.mp",
}  # fmt: skip
_FURNITURE_TEXT = re.compile(
    r"^(?:subscribe|share|tweet|reply|comment|comments|read more|continue reading|here|this"
    r"|link|source|via|permalink|unsubscribe|sponsor|advertise|donate|follow|rss|home|about"
    r"|archive|previous|next|view (?:online|in browser)|\d+ comments?)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"\s+[—–-]\s+|:\s+|;\s+|,\s+(?:which|and|but|while|with)\s+")
_LEADING = re.compile(r"^[\s:;,.—–\-|)\]]+")


@dataclass(frozen=True)
class RoundupItem:
    title: str
    clause: str
    url: str
    score: float
    position: int

    @property
    def line(self) -> str:
        body = f"{self.title} — {self.clause}" if self.clause else self.title
        return f"{body} {self.url}"


def roundup_items(text: str, context: SourceContext) -> list[RoundupItem]:
    """The roundup's linked items, most relevant first (document order breaks ties)."""
    own = _host(context.link)
    lines = text.splitlines()
    items: list[RoundupItem] = []
    seen: set[str] = set()
    for link in context.links:
        url = link.url.split("#")[0]
        if url in seen or not _is_news_link(link, own):
            continue
        seen.add(url)
        title = _title(link)
        clause = _clause(link, title, lines)
        relevance = score_relevance(title, clause or link.context)
        items.append(RoundupItem(title, clause, link.url, relevance.score, len(items)))
    return sorted(items, key=lambda item: (-item.score, item.position))


def summarize_roundup(text: str, context: SourceContext) -> Summary | None:
    """The top item as the TL;DR and the next ones as key points; None when the text links
    too few items to be summarized this way."""
    items = roundup_items(text, context)
    if len(items) < MIN_LINKS:
        return None
    lines = [items[0].line]
    budget = SUMMARY_CHARS - len(lines[0])
    for item in items[1:MAX_ITEMS]:
        if len(item.line) + 3 > budget:
            continue
        lines.append(item.line)
        budget -= len(item.line) + 3  # "\n• "
    return Summary(tldr=lines[0], key_points=tuple(lines[1:]))


def _is_news_link(link: Link, own: str) -> bool:
    host = _host(link.url)
    if not host or host == own or host in _FURNITURE_HOSTS or host.startswith("share."):
        return False
    words = link.text.split()
    if not words or (_FURNITURE_TEXT.match(link.text) and len(words) <= 3):
        return False
    return not is_furniture(link.context.lower()) and len(link.url) <= 300


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc.lower().removeprefix("www.")


def _title(link: Link) -> str:
    text = collapse_whitespace(link.text).strip(" .:;,")
    if len(text.split()) >= 2 or len(link.context) <= len(text) + 3:
        return shorten(text, TITLE_CHARS)
    # A one-word link ("announced") in a sentence: the sentence's opening names the item.
    head = _CLAUSE_BREAK.split(first_sentence(link.context), maxsplit=1)[0]
    return shorten(head.strip(" .:;,"), TITLE_CHARS)


def _clause(link: Link, title: str, lines: list[str]) -> str:
    """One clause on the item: what its paragraph says after the link's words, or the
    paragraph after a link that stands alone as a heading."""
    context = collapse_whitespace(link.context)
    rest = context
    for words in (link.text, title):
        at = rest.find(words)
        if at != -1:
            rest = rest[:at] + rest[at + len(words) :] if at > 0 else rest[at + len(words) :]
            break
    rest = _LEADING.sub("", rest).strip()
    if len(rest.split()) < 3:
        rest = _following_line(context, lines)
    sentence = first_sentence(rest)
    if len(sentence.split()) < 3 or is_furniture(sentence.lower()):
        return ""
    return _clause_of(sentence)


def _following_line(context: str, lines: list[str]) -> str:
    for index, line in enumerate(lines[:-1]):
        if collapse_whitespace(line) == context:
            return lines[index + 1]
    return ""


def _clause_of(sentence: str) -> str:
    """The sentence if it is short; else its first clause that is long enough to say
    something, ending where the sentence pauses, never mid-phrase."""
    text = sentence.strip()
    if len(text) <= CLAUSE_CHARS:
        return text
    for match in _CLAUSE_BREAK.finditer(text):
        if 20 <= match.start() <= CLAUSE_CHARS:
            return text[: match.start()].rstrip(" ,;:") + "."
    return ""
