"""What kind of item a text is, from its address, its feed and its shape: each kind is
summarized the way its readers need (a release by its changes, a roundup by its links…)."""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from bot.summarize.source import SourceContext


class Kind(StrEnum):
    NEWS = "news"
    ROUNDUP = "roundup"  # a newsletter or link roundup: the news is in its links
    RELEASE = "release"  # release notes of a project version
    ESSAY = "essay"  # an opinion: a thesis and its arguments
    PAPER = "paper"  # a paper's abstract
    MODEL_CARD = "model_card"
    DISCUSSION = "discussion"  # a thread of comments
    COMMENT = "comment"  # one comment, from a comments feed


# A title that is only a tag: "v0.6.0", "b7214", "Release 2.1".
_VERSION_TITLE = re.compile(
    r"^(?:release\s+|version\s+)?v?\d+(?:\.\d+){1,3}(?:[-.+]?\w+)?$|^b\d{3,6}$", re.IGNORECASE
)
# A project and version: "Ollama 0.9", "vLLM v0.6.3".
_NAMED_VERSION = re.compile(r"^[\w.\-]+(?:\s+[\w.\-]+)?\s+v?\d+(?:\.\d+){1,3}\S*$")
_RELEASE_TITLE = re.compile(
    r"\b(?:v?\d+\.\d+(?:\.\d+)*)\b.*\b(?:released?|release notes?)\b|\brelease notes\b",
    re.IGNORECASE,
)
_RELEASE_HEADINGS = re.compile(
    r"^(?:what'?s changed|what'?s new|new features?|features|bug ?fix(?:es)?|fixes|fixed"
    r"|breaking changes?|improvements|enhancements|deprecations?|new contributors"
    r"|full changelog\b.*|changelog|changes|highlights|added|removed|changed|security"
    r"|performance|other changes|documentation|notable changes|upgrade notes?)\s*:?$",
    re.IGNORECASE | re.MULTILINE,
)
_PAPER_CUES = re.compile(
    r"\b(?:we (?:propose|present|introduce|develop|study|show|demonstrate|find|investigate"
    r"|train|provide|evaluate|analy[sz]e|release|observe|conduct|design|achieve|report)"
    r"|in this (?:paper|work)|this paper|our (?:method|approach|model|results|findings))\b",
    re.IGNORECASE,
)
_PAPER_TERMS = re.compile(
    r"\b(?:state-of-the-art|outperforms?|baselines?|benchmarks?|experiments?|datasets?"
    r"|evaluations?|perplexity|accuracy|ablations?)\b",
    re.IGNORECASE,
)
_CARD_CUES = re.compile(
    r"^(?:model (?:details|description|card|summary|architecture|sources)|intended uses?"
    r"|(?:out-of-scope|direct|downstream) use|training (?:data|details|procedure)"
    r"|evaluation(?: results)?|limitations|bias, risks|license|licence|how to (?:use|get started)"
    r"|citation|uses|model type)\b",
    re.IGNORECASE | re.MULTILINE,
)
_ROUNDUP_TITLE = re.compile(
    r"\b(?:weekly|roundup|round-up|newsletter|digest|this week in|links?\b|issue\s*#?\d+"
    r"|#\d+|edition|recap|last week in|news in brief|what i'?m reading)\b",
    re.IGNORECASE,
)
_ESSAY_CUES = re.compile(
    r"\b(?:i think|i believe|i argue|i'd argue|in my (?:view|opinion)|my (?:point|argument)"
    r"|we should|should not|shouldn't|must not|the (?:real )?(?:problem|point|question) is"
    r"|the case for|the case against|i'm not sure|it seems to me|argue|argument|instead"
    r"|rather than|because|why)\b",
)
_ESSAY_TITLE = re.compile(
    r"^(?:why|on|against|in defen[cs]e of|the case (?:for|against)|how i|what i|thoughts)\b"
    r"|\b(?:considered harmful|is dead|is not|isn'?t|is more than|is still|all you need|should"
    r"|essay|opinion|manifesto|reflections|lessons|advantages|harmful|myths?)\b",
    re.IGNORECASE,
)
_NEWS_TITLE = re.compile(
    r"\b(?:announc\w*|launch\w*|releas\w*|introducing|now (?:supported|available)|is out"
    r"|what'?s new|ships?|raises?|acquires?|v?\d+\.\d+)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|my|we|our|us)\b")
_COMMENT_TITLE = re.compile(r"^(?:re:|new comment by|comment (?:on|by)|.* commented on)", re.I)
_HF_NOT_MODELS = {"blog", "papers", "datasets", "spaces", "docs", "learn", "posts", "collections"}


def item_kind(title: str, text: str, context: SourceContext) -> Kind:
    """The kind of the item: its address or feed first (a GitHub release, an arXiv entry,
    a Hugging Face model page), then the shape of its text."""
    by_address = _kind_by_address(context)
    if by_address is not None:
        return by_address
    if _COMMENT_TITLE.match(title.strip()):
        return Kind.COMMENT
    if _looks_like_release(title, text):
        return Kind.RELEASE
    if _looks_like_paper(text):
        return Kind.PAPER
    if len(_CARD_CUES.findall(text)) >= 3:
        return Kind.MODEL_CARD
    if _looks_like_roundup(title, text, context):
        return Kind.ROUNDUP
    if _looks_like_essay(title, text):
        return Kind.ESSAY
    if context.quoted and len(text) < 1500 and _FIRST_PERSON.search(text.lower()):
        return Kind.COMMENT  # a short reply quoting what it answers
    return Kind.NEWS


def _kind_by_address(context: SourceContext) -> Kind | None:
    link = urlsplit(context.link or "")
    feed = urlsplit(context.feed_url or "")
    host, path = link.netloc.lower().removeprefix("www."), link.path
    if "/releases/tag/" in path or "/-/releases/" in path or feed.path.endswith("/releases.atom"):
        return Kind.RELEASE
    if (context.feed_title or "").startswith("Release notes from "):
        return Kind.RELEASE  # GitHub's release feeds are titled so
    if host.endswith("arxiv.org") and path.startswith(("/abs/", "/pdf/")):
        return Kind.PAPER
    if feed.netloc.endswith("arxiv.org"):
        return Kind.PAPER
    if host == "huggingface.co":
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] not in _HF_NOT_MODELS:
            return Kind.MODEL_CARD
    if feed.netloc == "hnrss.org" and "comments" in feed.path:
        return Kind.COMMENT
    if host.endswith("reddit.com"):
        parts = [p for p in path.split("/") if p]
        # /r/<sub>/comments/<post>/<slug>/<comment>: one comment, not the thread
        if len(parts) >= 6 and parts[2] == "comments":
            return Kind.COMMENT
    return None


def _looks_like_release(title: str, text: str) -> bool:
    headings = len(_RELEASE_HEADINGS.findall(text))
    bare = title.strip()
    if _VERSION_TITLE.match(bare):
        return True
    named = bool(_RELEASE_TITLE.search(bare) or _NAMED_VERSION.match(bare))
    return headings >= 2 or (headings >= 1 and named)


def _looks_like_paper(text: str) -> bool:
    """An abstract: short, in the first person plural of research ("we propose", "we
    show"), with its terms (benchmarks, baselines, state of the art)."""
    head = text.lstrip()[:400].lower()
    if head.startswith(("arxiv:", "abstract")) or "announce type:" in head:
        return True
    if len(text) >= 4000:
        return False
    moves = {m.lower() for m in _PAPER_CUES.findall(text)}
    return len(moves) >= 2 and bool(_PAPER_TERMS.search(text))


def _looks_like_roundup(title: str, text: str, context: SourceContext) -> bool:
    """A roundup's items are links that open their own heading, list item or paragraph;
    an essay or a news story links inside its sentences."""
    items = {
        link.url
        for link in context.links
        if _is_outward(link.url, context.link) and link.context.startswith(link.text)
    }
    return len(items) >= 4 or (len(items) >= 3 and bool(_ROUNDUP_TITLE.search(title)))


def _is_outward(url: str, own: str | None) -> bool:
    host = urlsplit(url).netloc.lower().removeprefix("www.")
    return bool(host) and host != urlsplit(own or "").netloc.lower().removeprefix("www.")


def _looks_like_essay(title: str, text: str) -> bool:
    """An argument at length: a long text whose title asks or claims something ("Why…",
    "…is still all you need") or that argues throughout; never an announcement."""
    words = len(text.split())
    if words < 500 or _NEWS_TITLE.search(title):
        return False
    if _ESSAY_TITLE.search(title):
        return True
    if words < 900:
        return False
    lowered = text.lower()
    cues = len(_ESSAY_CUES.findall(lowered)) / words * 1000
    if cues >= 3:
        return True
    return cues >= 1.5 and len(_FIRST_PERSON.findall(lowered)) / words * 1000 >= 8
