"""Where an outgoing webhook may go: https to public addresses only (SSRF, security checklist).

A URL is checked by resolving its host and refusing it when ANY address it resolves to is not
public: private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16 with
the cloud metadata address 169.254.169.254, fe80::/10), multicast, reserved, unspecified,
shared (100.64/10), documentation, and IPv4-mapped / NAT64 / 6to4 forms of those. The check runs
at creation and again before every delivery, which then connects to the very address checked
(DNS rebinding cannot move it between the check and the connection).
GUICHET_WEBHOOK_ALLOW_PRIVATE=true allows http and any address (development and tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from guichet.domain.errors import DomainError, ErrorCode

# host -> the addresses it resolves to (strings); tests pass a stub.
Resolver = Callable[[str], Awaitable[list[str]]]

URL_MAX = 2048
FIELD = ["input", "url"]
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
# Ranges Python's is_global does not refuse on its own in every version.
EXTRA_REFUSED = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (shared address space)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to ask for there (host, port, path)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    def connect_url(self) -> str:
        """The URL naming the checked address itself (brackets for IPv6)."""
        literal = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{literal}:{self.port}{self.path}"


async def system_resolver(host: str) -> list[str]:
    """Every address the system resolver gives for `host` (A and AAAA)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::, 6to4, compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(text: str) -> bool:
    """Whether an address is a public unicast one a webhook may reach."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            return is_public(str(inner))
    if address in METADATA_ADDRESSES or any(address in network for network in EXTRA_REFUSED):
        return False
    return bool(
        address.is_global
        and not address.is_private
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
    )


def parse(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query); raise DomainError(WEBHOOK_URL_NOT_ALLOWED) on input.url."""
    refused = DomainError(ErrorCode.WEBHOOK_URL_NOT_ALLOWED, "webhook_url_not_https", field=FIELD)
    if len(url) > URL_MAX or any(c.isspace() for c in url):
        raise refused
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise refused from None
    allowed_schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed_schemes or not parts.hostname or parts.username or parts.password:
        raise refused
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


async def check_url(url: str, *, resolver: Resolver, allow_private: bool) -> Target:
    """Resolve the URL's host and answer where to connect; refuse unless every address is public.

    Raise DomainError(WEBHOOK_URL_NOT_ALLOWED) on input.url: not https, credentials in the URL,
    a host that does not resolve, or any address private, loopback, link-local, multicast,
    reserved or otherwise not public (unless `allow_private`).
    """
    scheme, host, port, path = parse(url, allow_private=allow_private)
    try:
        literal = ipaddress.ip_address(host)
        addresses = [str(literal)]
    except ValueError:
        try:
            addresses = await resolver(host)
        except (OSError, UnicodeError):
            addresses = []
    if not addresses:
        raise DomainError(ErrorCode.WEBHOOK_URL_NOT_ALLOWED, "webhook_url_unresolved", field=FIELD)
    if not allow_private and not all(is_public(a) for a in addresses):
        raise DomainError(ErrorCode.WEBHOOK_URL_NOT_ALLOWED, "webhook_url_not_public", field=FIELD)
    return Target(scheme, host, port, path, addresses[0])
