"""Refuse user-supplied URLs that point into private networks (SSRF guard, first line)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class PrivateAddressError(ValueError):
    """The URL's host is, or resolves to, an address that is not public."""


async def ensure_public_url(url: str) -> None:
    """Raise `PrivateAddressError` unless every address `url`'s host resolves to is public.

    This check runs before fetching; it does not by itself stop DNS rebinding.
    """
    host = urlsplit(url).hostname
    if not host:
        raise PrivateAddressError("the URL has no host name")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise PrivateAddressError(f"the host name {host!r} does not resolve") from None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global:
            raise PrivateAddressError(
                f"{host} resolves to {address}, a private or reserved address; "
                "set network.allow_private_networks = true to allow it"
            )
