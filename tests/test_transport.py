"""httpx over aiohttp, against raw TCP servers on 127.0.0.1 that misbehave on purpose: what
a feed's admin reads when a server hangs up, lies or never stops, and that connections are
pooled like httpx's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from bot.http.fetch import Fetcher, FetchError, make_http_client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """A TCP server running `handler` per connection; yields its URL and a list that gets
    one entry per connection accepted."""
    connections: list[int] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", connections
    finally:
        server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def response(body: bytes, *extra: bytes) -> bytes:
    headers = [b"HTTP/1.1 200 OK", b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


@asynccontextmanager
async def fetcher() -> AsyncIterator[Fetcher]:
    async with make_http_client(timeout=2, allow_private_networks=True) as client:
        yield Fetcher(client, max_bytes=10_000, deadline=5)


async def test_keep_alive_reuses_one_connection_for_many_requests() -> None:
    async def answer_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(response(b"<rss/>"))
            await writer.drain()

    async with raw_server(answer_forever) as (url, connections), fetcher() as fetch:
        bodies = [await fetch.get_body(f"{url}/feed/{n}") for n in range(5)]
    assert [b.body for b in bodies] == [b"<rss/>"] * 5
    assert len(connections) == 1


async def test_a_server_hanging_up_before_answering_is_a_failure_not_a_timeout() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async with raw_server(hang_up) as (url, _), fetcher() as fetch:
        with pytest.raises(FetchError) as failed:
            await fetch.get_body(f"{url}/feed")
    assert "in time" not in str(failed.value)
    assert "RemoteProtocolError" in str(failed.value)


async def test_a_body_shorter_than_its_content_length_is_a_failure() -> None:
    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response(b"<rss>" + b"x" * 100)[:-50])
        await writer.drain()

    async with raw_server(cut_short) as (url, _), fetcher() as fetch:
        with pytest.raises(FetchError, match="request failed"):
            await fetch.get_body(f"{url}/feed")


async def test_a_malformed_status_line_is_a_protocol_error() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SPDY/9 what\r\n\r\n")
        await writer.drain()

    async with raw_server(garbage) as (url, _), fetcher() as fetch:
        with pytest.raises(FetchError, match="malformed response"):
            await fetch.get_body(f"{url}/feed")


async def test_long_headers_are_read_like_httpx_reads_them() -> None:
    long_cookie = b"Set-Cookie: session=" + b"a" * 20_000

    async def big_header(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response(b"<rss/>", long_cookie))
        await writer.drain()

    async with raw_server(big_header) as (url, _), fetcher() as fetch:
        assert (await fetch.get_body(f"{url}/feed")).body == b"<rss/>"


async def test_a_body_over_the_cap_closes_its_connection_and_the_next_fetch_works() -> None:
    async def huge_then_small(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        path = (await read_request(reader)).split()[1]
        if path == b"/huge":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 50_000)
            await writer.drain()
            await reader.read()  # until the client gives up
        else:
            writer.write(response(b"<rss/>"))
            await writer.drain()

    async with raw_server(huge_then_small) as (url, connections), fetcher() as fetch:
        with pytest.raises(FetchError, match="10,000 byte limit"):
            await fetch.get_body(f"{url}/huge")
        assert (await fetch.get_body(f"{url}/small")).body == b"<rss/>"
    assert len(connections) == 2


async def test_the_request_carries_httpx_headers_not_aiohttps() -> None:
    seen: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(response(b"<rss/>"))
        await writer.drain()

    async with raw_server(record) as (url, _), fetcher() as fetch:
        await fetch.get(f"{url}/feed", etag='"v1"')
    request = seen[0].lower()
    assert b"user-agent: bazaar/" in request
    assert b'if-none-match: "v1"' in request
    assert b"aiohttp" not in request
    assert request.count(b"accept-encoding") == 1


async def test_a_gzip_body_is_decoded_once() -> None:
    import gzip

    packed = gzip.compress(b"<rss>" + b"news " * 100 + b"</rss>")

    async def gzipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response(packed, b"Content-Encoding: gzip"))
        await writer.drain()

    async with raw_server(gzipped) as (url, _), fetcher() as fetch:
        body = (await fetch.get_body(f"{url}/feed")).body
    assert body.startswith(b"<rss>news news") and body.endswith(b"</rss>")


async def test_a_refused_connection_is_an_httpx_connect_error() -> None:
    async with raw_server(read_request) as (url, _):
        pass  # closed: nothing listens on that port any more
    async with make_http_client(timeout=2, allow_private_networks=True) as client:
        with pytest.raises(httpx.ConnectError, match=r"cannot connect to 127\.0\.0\.1"):
            await client.get(f"{url}/feed")


async def test_a_cookie_one_feed_sets_is_never_sent_with_the_next_request() -> None:
    requests: list[bytes] = []

    async def set_a_cookie(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                requests.append(await read_request(reader))
            except asyncio.IncompleteReadError:
                return
            writer.write(response(b"<rss/>", b"Set-Cookie: session=abc; Path=/"))
            await writer.drain()

    async with raw_server(set_a_cookie) as (url, _), fetcher() as fetch:
        await fetch.get(url + "/a.xml")
        await fetch.get(url + "/b.xml")

    assert len(requests) == 2
    assert all(b"cookie" not in request.lower() for request in requests)


async def test_the_headers_kept_for_the_schedule_are_read_whatever_their_case_and_repeats() -> None:
    async def cache_hints(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            response(
                b"<rss/>",
                b"CACHE-CONTROL: public",
                b"Cache-Control: max-age=600",
                b"retry-after: 120",
                b"X-Other: not kept",
            )
        )
        await writer.drain()

    async with raw_server(cache_hints) as (url, _), fetcher() as fetch:
        fetched = await fetch.get_body(f"{url}/feed")
    assert fetched.headers == {"cache-control": "public, max-age=600", "retry-after": "120"}
