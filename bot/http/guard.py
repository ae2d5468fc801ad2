"""SSRF guard at connect time: an httpx transport that only opens sockets to public addresses.

Checking a URL before fetching it is not enough: the host name can resolve differently a moment
later (DNS rebinding), and a public page can redirect to http://169.254.169.254/. So the check
lives in the resolver of the transport's connector, which every new connection goes through,
redirects included:

    host, port -> resolve once -> refuse if any address is not public -> connect to that address

The socket is opened to an address that was vetted, never to the name, so nothing re-resolves
(and nothing is cached: the next connection resolves and is vetted again). TLS still verifies
the certificate against the host name, which aiohttp passes as `server_hostname`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.http.transport import AiohttpTransport

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
AddressPolicy = Callable[[IPAddress], bool]


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
            f"Refused to connect to {where}. To let the bot reach private networks, set "
            "network.allow_private_networks = true in a config file passed with --config "
            "(python -m bot init writes one)."
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


class _GuardedResolver(AbstractResolver):
    """aiohttp's resolver for every new connection: resolve once, refuse the host if any
    address is not allowed, else hand aiohttp exactly the vetted addresses to connect to."""

    def __init__(self, *, resolver: Resolver, is_allowed: AddressPolicy) -> None:
        self._resolver = resolver
        self._is_allowed = is_allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self._addresses(host, port)
        # Refuse if any address is private, not just the first: the system resolver and a
        # rebinding DNS server decide which one a plain connect would have used.
        for address in addresses:
            if not self._is_allowed(address):
                raise BlockedAddressError(host, address)
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        # OSError is what aiohttp expects of a resolver: it becomes a connect error.
        try:
            resolved = await self._resolver(host, port)
        except OSError as exc:
            raise OSError(exc.errno, f"could not resolve {host}: {exc.strerror or exc}") from exc
        addresses = []
        for text in resolved:
            address = _parse_address(text)
            if address is None:
                raise OSError(f"{host} resolved to {text!r}, not an IP address")
            addresses.append(address)
        if not addresses:
            raise OSError(f"{host} did not resolve to any address")
        return addresses

    async def close(self) -> None:
        pass


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in a form the C library still reads ("2130706433", "0x7f.1"), which
    ipaddress rejects; refused here by what it points to, with a clear reason."""
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _literal_check(is_allowed: AddressPolicy) -> Callable[[str], None]:
    """Refuses a URL whose host is itself a non-public IP address (aiohttp connects to an
    address without resolving it; an address cannot rebind, so checking it first is
    checking it at connect time)."""

    def check(host: str) -> None:
        address = _parse_address(host.strip("[]")) or _legacy_ipv4(host)
        if address is not None and not is_allowed(address):
            raise BlockedAddressError(host, address)

    return check


def literal_address_refusal(host: str) -> BlockedAddressError | None:
    """The refusal a connection to `host` will meet if it is itself a non-public IP address
    (in any form the C library reads), without resolving anything: a name is vetted when
    the connection is made, since what it resolves to can change until then."""
    try:
        _literal_check(is_public_address)(host)
    except BlockedAddressError as refusal:
        return refusal
    return None


def guarded_transport(
    *,
    allow_private_networks: bool,
    resolver: Resolver | None = None,
    is_allowed: AddressPolicy | None = None,
) -> httpx.AsyncBaseTransport:
    """An httpx async transport that refuses to connect to non-public addresses.

    With `allow_private_networks=True` it connects anywhere. Otherwise every TCP
    connection (redirect hops included) resolves its host once with `resolver` (default:
    the event loop's getaddrinfo), raises `BlockedAddressError` if any address fails
    `is_allowed` (default: `is_public_address`), and connects only to a vetted address.
    Never through a proxy: a proxy would resolve and connect past the guard.
    """
    if allow_private_networks:
        return AiohttpTransport()
    policy = is_public_address if is_allowed is None else is_allowed
    return AiohttpTransport(
        resolver=_GuardedResolver(
            resolver=resolve_with_event_loop if resolver is None else resolver,
            is_allowed=policy,
        ),
        check_literal=_literal_check(policy),
    )
