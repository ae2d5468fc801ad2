"""A real HTTP server on 127.0.0.1 that serves feeds (and pages) the tests control."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from tests.local_server import LocalServer

# When an Atom document says it was updated, unless a test says otherwise.
UPDATED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class Resource:
    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True
    drip_seconds: float = 0.0  # pause between bytes: a server that never quite finishes

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    status: int
    arrived: float


class FeedServer(LocalServer):
    """Serve `Resource`s by path; answer 304 when the client's ETag still matches."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.resources: dict[str, Resource] = {}
        self.requests: list[SeenRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay_seconds = 0.0  # added to every response: lets tests see overlapping requests

    def serve(
        self,
        path: str,
        body: str | bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
        conditional: bool = True,
        drip_seconds: float = 0.0,
    ) -> str:
        """Serve `body` at `path` from now on; return its URL."""
        data = body.encode() if isinstance(body, str) else body
        self.resources[path] = Resource(
            data, content_type, status, headers or {}, conditional, drip_seconds
        )
        return self.url(path)

    def redirect(self, path: str, to: str, *, status: int = 301) -> str:
        """Answer `path` with a redirect to `to` (a path here or a full URL)."""
        location = to if "://" in to else self.url(to)
        return self.serve(
            path, "", status=status, headers={"Location": location}, conditional=False
        )

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hits(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("GET", "/{tail:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        arrived = time.monotonic()
        try:
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            response = await self._respond(request)
            self.requests.append(
                SeenRequest(request.path, dict(request.headers), response.status, arrived)
            )
            return response
        finally:
            self.in_flight -= 1

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        resource = self.resources.get(request.path)
        if resource is None:
            return web.Response(status=404, text="not found")
        if resource.conditional and request.headers.get("If-None-Match") == resource.etag:
            return web.Response(status=304)
        headers = {"Content-Type": resource.content_type, **resource.headers}
        if resource.conditional:
            headers["ETag"] = resource.etag
        if resource.drip_seconds:
            return await self._drip(request, resource, headers)
        response = web.Response(status=resource.status, body=resource.body, headers=headers)
        return response

    async def _drip(
        self, request: web.Request, resource: Resource, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=resource.status, headers=headers)
        await response.prepare(request)
        try:
            for byte in resource.body:
                await response.write(bytes([byte]))
                await asyncio.sleep(resource.drip_seconds)
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the client gave up, as it should
        return response


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    description: str = ""
    guid: str | None = None
    published: datetime | None = None
    comments: str | None = None
    image: str | None = None  # an image enclosure


def rss(title: str, items: list[FeedItem], *, link: str = "https://example.org/") -> str:
    """An RSS 2.0 document."""
    entries = "".join(
        "<item>"
        f"<title>{escape(item.title)}</title><link>{escape(item.link)}</link>"
        f"<description>{escape(item.description)}</description>"
        + (f"<guid isPermaLink='false'>{escape(item.guid)}</guid>" if item.guid else "")
        + (f"<pubDate>{format_datetime(item.published)}</pubDate>" if item.published else "")
        + (f"<comments>{escape(item.comments)}</comments>" if item.comments else "")
        + (
            f"<enclosure url='{escape(item.image)}' type='image/jpeg' length='1000'/>"
            if item.image
            else ""
        )
        + "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>test feed</description>{entries}</channel></rss>"
    )


def atom(title: str, items: list[FeedItem], *, updated: datetime = UPDATED) -> str:
    """An Atom 1.0 document; items without a guid use their link as id, items without a
    published time carry `updated`."""
    now = updated.isoformat()
    entries = "".join(
        "<entry>"
        f"<title>{escape(item.title)}</title><link href='{escape(item.link)}'/>"
        f"<id>{escape(item.guid or item.link)}</id>"
        f"<updated>{(item.published or updated).isoformat()}</updated>"
        f"<content type='html'>{escape(item.description)}</content>"
        + (
            f"<link rel='enclosure' type='image/png' href='{escape(item.image)}'/>"
            if item.image
            else ""
        )
        + "</entry>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id><updated>{now}</updated>"
        f"{entries}</feed>"
    )
