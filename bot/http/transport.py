"""httpx over aiohttp: the code speaks httpx, the bytes go through aiohttp's C-accelerated
HTTP/1.1 client (a 304 costs about a tenth of the CPU it costs through httpcore).

httpx keeps everything above the wire: redirects, content decoding (so the body cap
counts decoded bytes), timeouts' meaning and its exception types. aiohttp only sends one
request and streams its raw body back. Errors are mapped to the httpx exception a caller
would have seen from httpx's own transport.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
import yarl
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict

# httpx's defaults (httpx.AsyncHTTPTransport): 100 connections, 5 s keep-alive.
MAX_CONNECTIONS = 100
KEEPALIVE_SECONDS = 5.0
# aiohttp refuses a header line over 8 KiB by default; servers send long cookie and CSP
# headers, and httpx (h11) reads them.
MAX_HEADER_BYTES = 64 * 1024


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport on an aiohttp `ClientSession`, opened on first use (it must be
    made inside the running event loop).

    `resolver` (an aiohttp resolver) sees every connection's host name before it connects,
    and aiohttp connects only to the addresses it returns; `check_literal` sees hosts that
    are IP addresses, which aiohttp never resolves. No DNS cache, so each new connection is
    resolved (and checked) again.
    """

    def __init__(
        self,
        *,
        resolver: AbstractResolver | None = None,
        check_literal: Callable[[str], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self._resolver = resolver
        self._check_literal = check_literal
        self._ssl = ssl_context or httpx.create_ssl_context()
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ssl=self._ssl,
            resolver=self._resolver,
            use_dns_cache=False,
        )
        return aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx decodes, and counts decoded bytes
            trust_env=False,  # no proxy from the environment: it would connect past the guard
            cookie_jar=aiohttp.DummyCookieJar(),  # the bot keeps no cookies (bot.http.fetch)
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            max_line_size=MAX_HEADER_BYTES,
            max_field_size=MAX_HEADER_BYTES,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._check_literal is not None:
            self._check_literal(request.url.host)
        if self._session is None:
            self._session = self._open()
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        with _as_httpx_errors(request):
            response = await self._session.request(
                request.method,
                _yarl_url(str(request.url)),
                headers=CIMultiDict(request.headers.multi_items()),
                data=body or None,
                allow_redirects=False,
                compress=None,
                timeout=_client_timeout(
                    timeout.get("pool"), timeout.get("connect"), timeout.get("read")
                ),
            )
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_ResponseStream(response, request),
            request=request,
            extensions={
                "http_version": f"HTTP/{response.version.major}.{response.version.minor}".encode(),
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # A body read to the end gives its connection back to the pool; one abandoned
        # half-way (over the size cap) closes it, since the rest is still on the wire.
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


# Feeds are fetched every cycle at the same addresses, with the same timeouts: each is
# parsed once (yarl's URLs and aiohttp's timeouts are immutable).
@functools.lru_cache(maxsize=16384)
def _yarl_url(url: str) -> yarl.URL:
    return yarl.URL(url, encoded=True)


@functools.lru_cache(maxsize=64)
def _client_timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    # aiohttp's connect covers waiting for the pool, resolving and connecting.
    return aiohttp.ClientTimeout(total=None, connect=_sum(pool, connect), sock_read=read)


def _sum(*seconds: float | None) -> float | None:
    if any(s is None for s in seconds):
        return None
    return sum(s for s in seconds if s is not None)


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except aiohttp.ClientError as exc:
        raise _httpx_error(exc, request) from exc
    except TimeoutError as exc:  # aiohttp's own timeouts (ours cancel instead)
        raise httpx.ReadTimeout("the server did not answer in time", request=request) from exc


def _httpx_error(exc: aiohttp.ClientError, request: httpx.Request) -> httpx.HTTPError:
    """The httpx exception httpx's own transport raises for the same failure."""
    message = _describe(exc)
    kind: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(exc, aiohttp.ServerTimeoutError):
        kind = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError
    elif isinstance(
        # ClientResponseError, from the transport: a malformed HTTP response.
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        kind = httpx.RemoteProtocolError
    elif isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        kind = httpx.UnsupportedProtocol
    elif isinstance(exc, aiohttp.ClientOSError):
        kind = httpx.ReadError
    else:
        kind = httpx.TransportError
    return kind(message, request=request)


def _describe(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"the server sent a malformed response ({exc.message})"
    return str(exc) or type(exc).__name__
