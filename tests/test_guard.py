"""The SSRF guard, over real HTTP to servers on 127.0.0.x, with fake DNS injected as a resolver.

Host names like feeds.example do not resolve on this machine, so a request to one that
succeeds can only have connected to the address the fake DNS handed to the guard.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web

from bot.http.guard import (
    AddressPolicy,
    BlockedAddressError,
    Resolver,
    guarded_transport,
    is_public_address,
    resolve_with_event_loop,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    requests: list[str]  # "Host header path" for every request the server saw

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        name = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{name}:{self.port}{path}"


async def _ok(request: web.Request) -> web.StreamResponse:
    return web.Response(text="hello")


@asynccontextmanager
async def serving(host: str, handler: Handler = _ok) -> AsyncIterator[Server]:
    requests: list[str] = []

    async def record(request: web.Request) -> web.StreamResponse:
        requests.append(f"{request.host} {request.path_qs}")
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, 0).start()
        yield Server(host, runner.addresses[0][1], requests)
    finally:
        await runner.cleanup()


@dataclass
class FakeDns:
    """Answers from a table; a host with several answers gives the next one on each lookup."""

    answers: dict[str, list[list[str]]]
    lookups: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        queue = self.answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def only(*allowed: str) -> AddressPolicy:
    """An address policy that lets the test treat exactly these loopback addresses as public."""
    addresses = {ipaddress.ip_address(a) for a in allowed}
    return lambda address: address in addresses


def guarded_client(
    *, resolver: Resolver | None = None, is_allowed: AddressPolicy | None = None
) -> httpx.AsyncClient:
    transport = guarded_transport(
        allow_private_networks=False, resolver=resolver, is_allowed=is_allowed
    )
    return httpx.AsyncClient(transport=transport, timeout=2, follow_redirects=True)


# --- the guard refuses private destinations, before any byte is sent -------------------------


@pytest.mark.parametrize(
    ("bind", "url_host"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "2130706433"),  # decimal form; the system resolver turns it into 127.0.0.1
        ("127.0.0.1", "localhost"),
        ("127.0.0.1", "[::ffff:127.0.0.1]"),
        ("::1", "[::1]"),
    ],
)
async def test_loopback_is_refused_and_the_server_sees_nothing(bind: str, url_host: str) -> None:
    async with serving(bind) as server, guarded_client() as client:
        with pytest.raises(BlockedAddressError) as refused:
            await client.get(server.url(host=url_host))
    assert server.requests == []
    assert "network.allow_private_networks" in str(refused.value)
    assert not is_public_address(refused.value.address)


async def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    dns = FakeDns({"feeds.example": [["127.0.0.1"]]})
    async with serving("127.0.0.1") as server, guarded_client(resolver=dns) as client:
        with pytest.raises(BlockedAddressError) as refused:
            async with client.stream("GET", server.url(host="feeds.example")):
                pass
    assert server.requests == []
    assert (refused.value.host, str(refused.value.address)) == ("feeds.example", "127.0.0.1")
    assert "feeds.example" in str(refused.value)
    assert "127.0.0.1" in str(refused.value)


async def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    dns = FakeDns({"feeds.example": [["93.184.216.34", "127.0.0.1"]]})
    async with serving("127.0.0.1") as server, guarded_client(resolver=dns) as client:
        with pytest.raises(BlockedAddressError) as refused:
            await client.get(server.url(host="feeds.example"))
    assert server.requests == []
    assert str(refused.value.address) == "127.0.0.1"


# --- the socket goes to the vetted address, and every connection is vetted -------------------


async def test_the_socket_connects_to_the_address_that_was_vetted() -> None:
    dns = FakeDns({"feeds.example": [["127.0.0.3"]]})
    async with (
        serving("127.0.0.3") as server,
        guarded_client(resolver=dns, is_allowed=only("127.0.0.3")) as client,
    ):
        first = await client.get(server.url(host="feeds.example"))
        second = await client.get(server.url("/again", host="feeds.example"))

    # Only 127.0.0.3 listens on that port: the answers came over a socket to that address.
    assert (first.text, second.text) == ("hello", "hello")
    # One lookup for the one pooled connection: nothing resolved the name a second time.
    assert dns.lookups == ["feeds.example"]
    # The server still sees the name, not the address, in the Host header.
    assert server.requests == [
        f"feeds.example:{server.port} /",
        f"feeds.example:{server.port} /again",
    ]


async def test_dns_rebinding_is_caught_on_the_next_connection() -> None:
    async def close_after_answering(request: web.Request) -> web.StreamResponse:
        return web.Response(text="hello", headers={"Connection": "close"})

    # A rebinding DNS server: a harmless answer first, a private one once trusted.
    dns = FakeDns({"feeds.example": [["127.0.0.3"], ["127.0.0.1"]]})
    async with (
        serving("127.0.0.3", close_after_answering) as server,
        guarded_client(resolver=dns, is_allowed=only("127.0.0.3")) as client,
    ):
        assert (await client.get(server.url(host="feeds.example"))).text == "hello"
        with pytest.raises(BlockedAddressError) as refused:
            await client.get(server.url(host="feeds.example"))

    assert str(refused.value.address) == "127.0.0.1"
    assert dns.lookups == ["feeds.example", "feeds.example"]
    assert len(server.requests) == 1


# --- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("target_host", ["127.0.0.2", "intranet.example"])
async def test_a_redirect_to_a_private_address_is_refused(target_host: str) -> None:
    async with serving("127.0.0.2") as intranet:

        async def redirect(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(intranet.url("/admin", host=target_host))

        dns = FakeDns({"feeds.example": [["127.0.0.1"]], "intranet.example": [["127.0.0.2"]]})
        async with (
            serving("127.0.0.1", redirect) as feeds,
            guarded_client(resolver=dns, is_allowed=only("127.0.0.1")) as client,
        ):
            with pytest.raises(BlockedAddressError) as refused:
                await client.get(feeds.url("/feed", host="feeds.example"))

    assert feeds.requests == [f"feeds.example:{feeds.port} /feed"]
    assert intranet.requests == []
    assert (refused.value.host, str(refused.value.address)) == (target_host, "127.0.0.2")


async def test_the_same_redirect_is_followed_when_the_policy_allows_it() -> None:
    # Control for the test above: without the refusal the redirect really reaches the target.
    async with serving("127.0.0.2") as intranet:

        async def redirect(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(intranet.url("/admin"))

        dns = FakeDns({"feeds.example": [["127.0.0.1"]]})
        async with (
            serving("127.0.0.1", redirect) as feeds,
            guarded_client(resolver=dns, is_allowed=only("127.0.0.1", "127.0.0.2")) as client,
        ):
            response = await client.get(feeds.url("/feed", host="feeds.example"))

    assert response.text == "hello"
    assert intranet.requests == [f"127.0.0.2:{intranet.port} /admin"]


# --- opting out, proxies, TLS, errors --------------------------------------------------------


async def test_allow_private_networks_fetches_from_loopback() -> None:
    transport = guarded_transport(allow_private_networks=True)
    async with serving("127.0.0.1") as server, httpx.AsyncClient(transport=transport) as client:
        response = await client.get(server.url("/feed"))
    assert response.text == "hello"
    assert server.requests == [f"127.0.0.1:{server.port} /feed"]


async def test_a_proxy_from_the_environment_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving("127.0.0.1") as proxy, serving("127.0.0.2") as intranet:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url())
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        async with guarded_client() as client:
            with pytest.raises(BlockedAddressError):
                await client.get(intranet.url())
    assert proxy.requests == []
    assert intranet.requests == []


def test_an_explicit_proxy_is_rejected() -> None:
    with pytest.raises(TypeError, match="proxy"):
        guarded_transport(allow_private_networks=False, proxy="http://proxy.example:3128")


async def test_tls_is_started_with_the_host_name_not_the_address() -> None:
    client_hello = asyncio.get_running_loop().create_future()

    async def capture_client_hello(reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        client_hello.set_result(await reader.read(4096))
        w.close()

    server = await asyncio.start_server(capture_client_hello, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    dns = FakeDns({"feeds.example": [["127.0.0.1"]]})
    try:
        async with guarded_client(resolver=dns, is_allowed=only("127.0.0.1")) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"https://feeds.example:{port}/")
    finally:
        server.close()
    # The server stored the ClientHello before hanging up, so it is there by now. Its SNI
    # extension travels in clear text; ssl checks the certificate against the same name.
    assert client_hello.done()
    assert b"feeds.example" in client_hello.result()


async def test_a_name_that_does_not_resolve_is_an_httpx_connect_error() -> None:
    async with guarded_client(resolver=FakeDns({})) as client:
        with pytest.raises(httpx.ConnectError, match=r"nowhere\.example"):
            await client.get("http://nowhere.example/")


async def test_the_default_resolver_uses_the_system_resolver() -> None:
    assert await resolve_with_event_loop("127.0.0.1", 80) == ["127.0.0.1"]


def test_the_refusal_reads_as_advice_for_an_admin() -> None:
    error = BlockedAddressError("feeds.example", ipaddress.ip_address("10.0.0.5"))
    assert str(error) == (
        "Refused to connect to feeds.example, which resolves to 10.0.0.5, not a public "
        "internet address. To let the bot reach private networks, set "
        "network.allow_private_networks = true in a config file passed with --config "
        "(python -m bot init writes one)."
    )


# --- timeouts still surface as httpx timeouts ------------------------------------------------


async def test_a_server_that_never_answers_times_out() -> None:
    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # returns when the client gives up and closes
        writer.close()

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    dns = FakeDns({"slow.example": [["127.0.0.1"]]})
    try:
        async with guarded_client(resolver=dns, is_allowed=only("127.0.0.1")) as client:
            with pytest.raises(httpx.TimeoutException):
                await client.get(f"http://slow.example:{port}/", timeout=0.2)
    finally:
        server.close()


async def test_a_resolver_that_never_answers_is_a_connect_timeout() -> None:
    async def silent_dns(host: str, port: int) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with guarded_client(resolver=silent_dns) as client:
        with pytest.raises(httpx.ConnectTimeout):
            await client.get("http://feeds.example/", timeout=0.1)


# --- is_public_address -----------------------------------------------------------------------

NOT_PUBLIC = [
    # IPv4
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback, end of range"),
    ("10.1.2.3", "RFC 1918"),
    ("172.16.0.1", "RFC 1918"),
    ("172.31.255.255", "RFC 1918, end of range"),
    ("192.168.1.1", "RFC 1918"),
    ("169.254.0.1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("100.64.0.1", "CGNAT"),
    ("100.127.255.255", "CGNAT, end of range"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this network"),
    ("192.0.0.9", "IETF protocol assignments"),
    ("192.0.0.170", "IETF protocol assignments"),
    ("192.0.2.1", "TEST-NET-1"),
    ("198.51.100.1", "TEST-NET-2"),
    ("203.0.113.1", "TEST-NET-3"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking, end of range"),
    ("192.88.99.1", "6to4 relay anycast"),
    # IPv6
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("fd00:ec2::254", "cloud metadata"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("100::1", "discard-only"),
    ("2001::1", "Teredo"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", "IPv4-mapped RFC 1918"),
    ("::ffff:169.254.169.254", "IPv4-mapped metadata"),
    ("::127.0.0.1", "IPv4-compatible loopback"),
    ("::192.168.0.1", "IPv4-compatible RFC 1918"),
    ("64:ff9b::127.0.0.1", "NAT64 of loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of metadata"),
    ("2002:7f00:1::", "6to4 of loopback"),
    ("2002:c0a8:101::1", "6to4 of RFC 1918"),
    ("4000::1", "outside global unicast"),
]

PUBLIC = [
    ("8.8.8.8", "Google DNS"),
    ("1.1.1.1", "Cloudflare DNS"),
    ("93.184.216.34", "example.com"),
    ("2606:4700:4700::1111", "Cloudflare DNS"),
    ("2001:4860:4860::8888", "Google DNS"),
    ("::ffff:8.8.8.8", "IPv4-mapped public"),
    ("::8.8.8.8", "IPv4-compatible public"),
    ("64:ff9b::808:808", "NAT64 of public"),
    ("2002:808:808::1", "6to4 of public"),
]


@pytest.mark.parametrize(("address", "why"), NOT_PUBLIC, ids=[a for a, _ in NOT_PUBLIC])
def test_non_public_addresses(address: str, why: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address)), why


@pytest.mark.parametrize(("address", "why"), PUBLIC, ids=[a for a, _ in PUBLIC])
def test_public_addresses(address: str, why: str) -> None:
    assert is_public_address(ipaddress.ip_address(address)), why
