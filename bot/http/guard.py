"""SSRF guard at connect time: an httpx transport that only opens sockets to public addresses.

Checking a URL before fetching it is not enough: the host name can resolve differently a moment
later (DNS rebinding), and a public page can redirect to http://169.254.169.254/. So the check
lives in httpcore's network backend, which every connection goes through, redirects included:

    host, port -> resolve once -> refuse if any address is not public -> connect to that address

The socket is opened to the address that was vetted, never to the name, so nothing re-resolves.
TLS still verifies the certificate against the host name: httpcore passes the request's host to
`start_tls` as `server_hostname`, independent of the address the socket was connected to.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
AddressPolicy = Callable[[IPAddress], bool]

_CONFIG_KEY = "network.allow_private_networks"


class BlockedAddressError(Exception):
    """Refused to connect: the host is or resolves to a non-public address.

    `str()` is a plain sentence for an admin, naming the host and the address, and mentioning
    the config key network.allow_private_networks. Deliberately not an `httpx.HTTPError`, so it
    passes through httpx unchanged and callers can tell the user why the URL was refused.
    """

    def __init__(self, host: str, address: IPAddress) -> None:
        self.host = host
        self.address = address
        if host == str(address):
            where = f"{host}, which is not a public internet address"
        else:
            where = f"{host}, which resolves to {address}, not a public internet address"
        super().__init__(
            f"Refused to connect to {where}. To let the bot reach private networks, "
            f"set {_CONFIG_KEY} = true in the config."
        )


# Ranges no user-supplied URL may reach. Listed explicitly rather than trusting
# `ipaddress.is_global` alone, whose answers have changed between Python patch releases
# (and which calls multicast, 3fff::/20 and NAT64 "global").
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", includes the unspecified 0.0.0.0
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, includes cloud metadata 169.254.169.254
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation TEST-NET-1
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation TEST-NET-2
        "203.0.113.0/24",  # documentation TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast 255.255.255.255
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "64:ff9b:1::/48",  # local-use NAT64: translates into the operator's own network
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, includes Teredo (hides a v4 address)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 segment identifiers
        "fc00::/7",  # unique local, includes cloud metadata fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
# Only global unicast is allocated to the public internet; anything else is reserved.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for an address on the public internet.

    IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64 64:ff9b::/96, 6to4) are
    judged by the IPv4 address they lead to, since that is where the packets end up.
    """
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_global and not any(address in net for net in _BLOCKED_V4)
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return is_public_address(embedded)
    return (
        address in _GLOBAL_UNICAST_V6
        and address.is_global
        and not any(address in net for net in _BLOCKED_V6)
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _V4_COMPATIBLE:
        # :: and ::1 land here too, as 0.0.0.0 and 0.0.0.1: both refused, as they should be.
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


async def resolve_with_event_loop(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, via the event loop's non-blocking getaddrinfo."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


class _GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolve, vet every address, then let httpcore's own backend connect to a vetted one."""

    def __init__(self, *, resolver: Resolver, is_allowed: AddressPolicy) -> None:
        self._resolver = resolver
        self._is_allowed = is_allowed
        # What httpcore itself picks under asyncio; anyio also covers trio.
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # One deadline for resolving and for every connect attempt, so a host with many
        # addresses cannot stretch the caller's connect timeout.
        deadline = None if timeout is None else anyio.current_time() + timeout
        addresses = await self._vetted_addresses(host, port, deadline)
        error: httpcore.ConnectError | None = None
        for address in addresses:
            remaining = None if deadline is None else deadline - anyio.current_time()
            if remaining is not None and remaining <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host} timed out")
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc  # try the next vetted address, as getaddrinfo users do
        assert error is not None  # `addresses` is never empty
        raise error

    async def _vetted_addresses(
        self, host: str, port: int, deadline: float | None
    ) -> list[IPAddress]:
        literal = _parse_address(host)
        if literal is not None:
            candidates = [literal]
        else:
            candidates = await self._resolve(host, port, deadline)
        # Refuse if any address is private, not just the first: the system resolver and a
        # rebinding DNS server decide which one a plain connect would have used.
        for address in candidates:
            if not self._is_allowed(address):
                raise BlockedAddressError(host, address)
        return candidates

    async def _resolve(self, host: str, port: int, deadline: float | None) -> list[IPAddress]:
        try:
            with anyio.fail_after(None if deadline is None else deadline - anyio.current_time()):
                resolved = await self._resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
        addresses = []
        for text in resolved:
            address = _parse_address(text)
            if address is None:
                raise httpcore.ConnectError(f"{host} resolved to {text!r}, not an IP address")
            addresses.append(address)
        if not addresses:
            raise httpcore.ConnectError(f"{host} did not resolve to any address")
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("the guarded transport does not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request building, exception mapping), on the guarded backend."""

    def __init__(self, backend: _GuardedNetworkBackend, **transport_options: Any) -> None:
        # Going through a proxy would let the proxy resolve and connect, past the guard.
        for option in ("proxy", "uds"):
            if transport_options.get(option) is not None:
                raise TypeError(f"guarded_transport does not support {option}=")
        # Build the SSL context once and hand it to both pools.
        ssl_context = httpx.create_ssl_context(
            verify=transport_options.pop("verify", True),
            cert=transport_options.pop("cert", None),
            trust_env=transport_options.pop("trust_env", True),
        )
        super().__init__(verify=ssl_context, **transport_options)
        limits: httpx.Limits = transport_options.get("limits") or _httpx_default_limits()
        # httpx offers no hook for a network backend, so its pool is replaced with an
        # identically configured one. Fail closed if httpx ever stops using `_pool`.
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("this httpx version is not supported by guarded_transport")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=transport_options.get("http1", True),
            http2=transport_options.get("http2", False),
            local_address=transport_options.get("local_address"),
            retries=transport_options.get("retries", 0),
            socket_options=transport_options.get("socket_options"),
            network_backend=backend,
        )


def _httpx_default_limits() -> httpx.Limits:
    # httpx keeps its default private; read it from the signature instead of copying it.
    default = inspect.signature(httpx.AsyncHTTPTransport).parameters["limits"].default
    assert isinstance(default, httpx.Limits)
    return default


def guarded_transport(
    *,
    allow_private_networks: bool,
    resolver: Resolver | None = None,
    is_allowed: AddressPolicy | None = None,
    **transport_options: Any,
) -> httpx.AsyncBaseTransport:
    """An httpx async transport that refuses to connect to non-public addresses.

    With `allow_private_networks=True` it is a plain `httpx.AsyncHTTPTransport`. Otherwise
    every TCP connection (redirect hops included) resolves its host once with `resolver`
    (default: the event loop's getaddrinfo), raises `BlockedAddressError` if any address
    fails `is_allowed` (default: `is_public_address`), and connects to a vetted address.
    `transport_options` go to `httpx.AsyncHTTPTransport`; `proxy` and `uds` are refused.
    """
    if allow_private_networks:
        return httpx.AsyncHTTPTransport(**transport_options)
    backend = _GuardedNetworkBackend(
        resolver=resolve_with_event_loop if resolver is None else resolver,
        is_allowed=is_public_address if is_allowed is None else is_allowed,
    )
    return _GuardedTransport(backend, **transport_options)
