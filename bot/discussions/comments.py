"""Discussion threads on Hacker News and Reddit: recognising them and reading their comments.

    link, <comments> URL | discussion_url -> DiscussionRef | CommentFetcher.fetch -> [Comment]

A popular thread has thousands of comments, so fetching is bounded on every axis it can grow:
comments requested, reply depth, bytes received and wall-clock time. Hitting a bound ends the
fetch with what was read so far (top-ranked comments come first, so that is the useful part);
only a thread that cannot be read at all raises `FetchError`.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.content.text import collapse_whitespace, html_to_text
from bot.http.fetch import FetchedBody, FetchError, fetch

HN_API = "https://hacker-news.firebaseio.com/v0"
REDDIT_BASE = "https://www.reddit.com"

# One HN comment is a few KB; a story's list of kids can reach tens of KB.
_HN_STORY_MAX_BYTES = 512_000
_HN_COMMENT_MAX_BYTES = 64_000
_JSON = "application/json"
_GONE_BODIES = {"[deleted]", "[removed]"}
# Boilerplate, not discussion: rules reminders and bot replies.
_IGNORED_AUTHORS = {"[deleted]", "automoderator"}


@dataclass(frozen=True)
class Comment:
    """One live comment as plain text; `parent_id` is None for replies to the story itself."""

    id: str
    author: str
    text: str
    score: int | None
    parent_id: str | None
    depth: int  # 0 for top-level comments


@dataclass(frozen=True)
class DiscussionRef:
    """Where a discussion lives: an HN item id, or a canonical Reddit thread URL."""

    kind: Literal["hn", "reddit"]
    id_or_url: str

    @property
    def page_url(self) -> str:
        """The thread as a person would open it in a browser."""
        if self.kind == "hn":
            return f"https://news.ycombinator.com/item?id={self.id_or_url}"
        return self.id_or_url


# --- Recognising discussion URLs ---------------------------------------------------------------

_REDDIT_HOSTS = {"reddit.com", "www.reddit.com", "old.reddit.com", "new.reddit.com",
                 "np.reddit.com", "m.reddit.com"}  # fmt: skip
_REDDIT_PATH = re.compile(
    r"^/r/(?P<sub>[A-Za-z0-9_]{2,21})/comments/(?P<id>[a-z0-9]{1,12})(?:/(?P<slug>[^/]*))?"
)
_HN_ID = re.compile(r"[0-9]{1,12}")


def discussion_url(link: str | None, comments_url: str | None) -> DiscussionRef | None:
    """The HN or Reddit thread an entry is or links to, or None.

    The <comments> URL is checked first: when a feed names one it is the discussion, while
    the link may point at the article being discussed.
    """
    for candidate in (comments_url, link):
        ref = _parse_discussion(candidate) if candidate else None
        if ref is not None:
            return ref
    return None


def _parse_discussion(url: str) -> DiscussionRef | None:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    if host == "news.ycombinator.com" and parts.path == "/item":
        ids = parse_qs(parts.query).get("id", [])
        if len(ids) == 1 and _HN_ID.fullmatch(ids[0]):
            return DiscussionRef("hn", str(int(ids[0])))
        return None
    if host in _REDDIT_HOSTS:
        match = _REDDIT_PATH.match(parts.path)
        if match is None:
            return None
        # A comment permalink (…/slug/commentid/) still names the thread; recap the whole thread.
        slug = f"{match['slug']}/" if match["slug"] else ""
        return DiscussionRef(
            "reddit", f"{REDDIT_BASE}/r/{match['sub']}/comments/{match['id']}/{slug}"
        )
    return None


# --- Cleaning comment text ---------------------------------------------------------------------

_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MD_SPOILER = re.compile(r">!.*?!<")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|\*|`+|\^)")
_MD_LINE_START = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+)")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")


def hn_text(markup: str) -> str:
    """Plain text of an HN comment (HTML with <p>, <a>, <i>, entities); quoted lines dropped."""
    return _without_quotes(html_to_text(markup).splitlines())


def reddit_text(body: str) -> str:
    """Plain text of a Reddit comment body (entity-escaped markdown); quoted lines dropped."""
    # Reddit escapes &, < and > in `body`; unescape once so "&gt; quote" is seen as a quote.
    kept = []
    for line in html.unescape(body).splitlines():
        if _is_quote(line):
            continue
        # A spoiler is hidden on Reddit; a recap must not give it away.
        line = _MD_IMAGE_OR_LINK.sub(r"\1", _MD_SPOILER.sub("", line))
        line = _MD_EMPHASIS.sub("", _MD_LINE_START.sub("", line))
        # Markdown itself may hold entities (&#x200B; for spacing, &amp;) that Reddit renders.
        kept.append(html.unescape(line))
    return _without_quotes(kept)


def _is_quote(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(">") and not stripped.startswith(">!")  # ">!" opens a spoiler


def _without_quotes(lines: list[str]) -> str:
    # "> …" lines repeat someone else's words; attributing them to the replier would misquote.
    kept = []
    for line in lines:
        line = collapse_whitespace(_INVISIBLE.sub("", line))
        if line and not _is_quote(line):
            kept.append(line)
    return "\n".join(kept)


# --- Parsing API payloads ----------------------------------------------------------------------


def hn_comment(item: object, *, parent_id: str | None, depth: int) -> Comment | None:
    """The live comment in an HN item, or None for stories, deleted, dead or empty items."""
    if not isinstance(item, dict) or item.get("type") != "comment":
        return None
    if item.get("deleted") or item.get("dead"):
        return None
    author, text = item.get("by"), hn_text(str(item.get("text") or ""))
    if not isinstance(author, str) or not author or not text:
        return None
    return Comment(str(item.get("id")), author, text, None, parent_id, depth)


def hn_kids(item: object) -> list[int]:
    """The ids of an HN item's replies, in the site's ranking order."""
    if not isinstance(item, dict) or not isinstance(item.get("kids"), list):
        return []
    return [kid for kid in item["kids"] if type(kid) is int and kid > 0]


def parse_reddit_thread(payload: object, *, max_comments: int, max_depth: int) -> list[Comment]:
    """Live comments of a Reddit thread's `.json`, breadth-first, within the given bounds.

    "more" stubs (comments Reddit did not include) are skipped, not fetched.
    """
    if not (isinstance(payload, list) and len(payload) >= 2):
        raise FetchError("the page is not a Reddit thread (expected [post, comments] listings)")
    queue: deque[tuple[object, str | None, int]] = deque(
        (child, None, 0) for child in _listing_children(payload[1])
    )
    comments: list[Comment] = []
    seen: set[str] = set()
    visited = 0
    while queue and visited < max_comments:
        node, parent_id, depth = queue.popleft()
        data = node.get("data") if isinstance(node, dict) and node.get("kind") == "t1" else None
        if not isinstance(data, dict) or str(data.get("id")) in seen:
            continue
        visited += 1
        comment_id = str(data.get("id"))
        seen.add(comment_id)
        comment = _reddit_comment(data, comment_id, parent_id, depth)
        if comment is not None:
            comments.append(comment)
        if depth < max_depth:
            queue.extend((c, comment_id, depth + 1) for c in _listing_children(data.get("replies")))
    return comments


def _reddit_comment(
    data: dict[str, Any], comment_id: str, parent_id: str | None, depth: int
) -> Comment | None:
    author, body = data.get("author"), data.get("body")
    if not isinstance(author, str) or not isinstance(body, str):
        return None
    if author.lower() in _IGNORED_AUTHORS or body.strip() in _GONE_BODIES or data.get("stickied"):
        return None
    text = reddit_text(body)
    if not text:
        return None
    score = data.get("score")
    return Comment(
        comment_id,
        author,
        text,
        score if type(score) is int else None,
        parent_id,
        depth,
    )


def _listing_children(listing: object) -> Iterator[object]:
    if isinstance(listing, dict) and isinstance(listing.get("data"), dict):
        children = listing["data"].get("children")
        if isinstance(children, list):
            yield from children


# --- Fetching ----------------------------------------------------------------------------------


class _OutOfBudget(Exception):
    """The fetch's time or byte allowance is used up; stop asking, keep what was read."""


class _Allowance:
    """What is left of one fetch's time and bytes, shared by its concurrent requests."""

    def __init__(self, *, seconds: float, max_bytes: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._ends_at = self._loop.time() + seconds
        self.bytes_left = max_bytes
        self.spent = False

    def seconds_left(self) -> float:
        return self._ends_at - self._loop.time()

    def reserve(self, wanted: int, *, sharing: int) -> int:
        """Bytes one request may read, taken from what is left until it gives back the rest.

        With at most `sharing` requests in flight, each taking at most that share of what is
        left, together they can never read more than the budget.
        """
        granted = min(wanted, self.bytes_left // sharing)
        self.bytes_left -= granted
        return granted


class CommentFetcher:
    """Reads the comments of HN and Reddit threads through the bot's shared HTTP client.

    Bounds per `fetch`: at most `max_comments` comments requested (HN) or walked (Reddit),
    none deeper than `max_depth` (top level is 0), at most `max_bytes` received in total and
    `deadline` seconds overall. HN replies are fetched breadth-first, `concurrency` at a time.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        hn_api: str = HN_API,
        reddit_base: str | None = None,
        max_comments: int = 200,
        max_bytes: int = 2_000_000,
        deadline: float = 20.0,
        max_depth: int = 8,
        concurrency: int = 8,
    ) -> None:
        self._http = http
        self._hn_api = hn_api.rstrip("/")
        self._reddit_base = (reddit_base or REDDIT_BASE).rstrip("/")
        self._max_comments = max_comments
        self._max_bytes = max_bytes
        self._deadline = deadline
        self._max_depth = max_depth
        self._concurrency = concurrency

    async def fetch(self, ref: DiscussionRef) -> list[Comment]:
        """The thread's live comments, breadth-first; raises `FetchError` if it cannot be read."""
        allowance = _Allowance(seconds=self._deadline, max_bytes=self._max_bytes)
        if ref.kind == "hn":
            return await self._fetch_hn(ref.id_or_url, allowance)
        return await self._fetch_reddit(ref.id_or_url, allowance)

    async def _fetch_reddit(self, thread_url: str, allowance: _Allowance) -> list[Comment]:
        path = urlsplit(thread_url).path
        path = path if path.endswith("/") else f"{path}/"
        # Ask Reddit itself not to send more than we would read.
        query = f"limit={self._max_comments}&depth={self._max_depth + 1}"
        url = f"{self._reddit_base}{path}.json?{query}"
        try:
            payload = await self._get_json(url, allowance, self._max_bytes, sharing=1)
        except _OutOfBudget:
            raise FetchError("the Reddit thread did not load within the fetch limits") from None
        return parse_reddit_thread(
            payload, max_comments=self._max_comments, max_depth=self._max_depth
        )

    async def _fetch_hn(self, item_id: str, allowance: _Allowance) -> list[Comment]:
        try:
            root = await self._get_json(
                self._hn_item_url(item_id), allowance, _HN_STORY_MAX_BYTES, sharing=1
            )
        except _OutOfBudget:
            raise FetchError("the Hacker News item did not load within the fetch limits") from None
        if not isinstance(root, dict):
            raise FetchError(f"Hacker News has no item {item_id}")
        gate = asyncio.Semaphore(self._concurrency)
        seen = {item_id}  # a reply listed twice, or a cycle in bad data, is fetched once
        queue: deque[tuple[int, str | None, int]] = deque((kid, None, 0) for kid in hn_kids(root))
        comments: list[Comment] = []
        errors: list[FetchError] = []
        requested = 0
        # Breadth-first in waves: each wave is the head of the queue, fetched concurrently;
        # replies found in a wave join the back of the queue, so shallower comments come first.
        while queue and requested < self._max_comments and not allowance.spent:
            wave: list[tuple[int, str | None, int]] = []
            while queue and len(wave) < self._max_comments - requested:
                entry = queue.popleft()
                if str(entry[0]) not in seen:
                    seen.add(str(entry[0]))
                    wave.append(entry)
            requested += len(wave)
            outcomes = await asyncio.gather(
                *(self._hn_item(kid, allowance, gate) for kid, _, _ in wave)
            )
            for (kid, parent_id, depth), outcome in zip(wave, outcomes, strict=True):
                if isinstance(outcome, FetchError):
                    errors.append(outcome)
                    continue
                comment = hn_comment(outcome, parent_id=parent_id, depth=depth)
                if comment is not None:
                    comments.append(comment)
                if depth < self._max_depth:
                    queue.extend((k, str(kid), depth + 1) for k in hn_kids(outcome))
        if not comments and errors:
            raise FetchError(f"none of the comments could be read ({errors[0]})")
        return comments

    async def _hn_item(
        self, item_id: int, allowance: _Allowance, gate: asyncio.Semaphore
    ) -> object | FetchError:
        async with gate:
            try:
                return await self._get_json(
                    self._hn_item_url(str(item_id)),
                    allowance,
                    _HN_COMMENT_MAX_BYTES,
                    sharing=self._concurrency,
                )
            except _OutOfBudget:
                return None
            except FetchError as error:
                return error

    def _hn_item_url(self, item_id: str) -> str:
        return f"{self._hn_api}/item/{item_id}.json"

    async def _get_json(
        self, url: str, allowance: _Allowance, max_bytes: int, *, sharing: int
    ) -> object:
        seconds = allowance.seconds_left()
        if seconds > 0 and not allowance.spent:
            reserved = allowance.reserve(max_bytes, sharing=sharing)
        else:
            reserved = 0
        if reserved <= 0:
            allowance.spent = True
            raise _OutOfBudget
        try:
            result = await fetch(
                self._http, url, max_bytes=reserved, deadline=seconds, accept=_JSON
            )
        except FetchError:
            # A cut-short grant or the clock running out means the budget ended this request.
            if reserved < max_bytes or allowance.seconds_left() <= 0:
                allowance.spent = True
                raise _OutOfBudget from None
            allowance.bytes_left += reserved  # error answers are not read
            raise
        if not isinstance(result, FetchedBody):
            raise FetchError("the server answered 304 Not Modified to an unconditional request")
        allowance.bytes_left += reserved - len(result.body)
        try:
            return json.loads(result.body)
        except (ValueError, RecursionError):
            raise FetchError(f"the server did not send JSON ({url})") from None
