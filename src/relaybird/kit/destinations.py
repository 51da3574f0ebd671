"""Where relaybird may send a request whose URL a workspace chose (event subscriptions).

The rule (docs/events.md, "Where events may go"): http or https, no ``user:password@``, a host
written plainly (a name, four decimal numbers, or ``[IPv6]``), and every address the host stands
for is public (``ipaddress``'s ``is_global``, not multicast) and on port 80, 443 or 1024 and up.
An operator with a self-hosted receiver allows its non-public networks explicitly
(``RELAYBIRD_EVENT_PRIVATE_NETWORKS``); an address inside one of them may use any port.

The same rule is checked twice: when a subscription is created (on the URL, and on the addresses
its name resolves to at that moment) and when each delivery connects (on the addresses resolved
for that connection, which are the ones connected to: DNS rebinding cannot slip past it).
Pure and stdlib only; the HTTP client's half lives in providers/webhooks.py.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = {"http": 80, "https": 443}
# Ports of public destinations: the web's two, or any unprivileged one (no SSH, SMTP, DNS, ...).
PUBLIC_PORTS = (80, 443)
FIRST_UNPRIVILEGED_PORT = 1024

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
# WHATWG URL: a host whose last label is a number is an IPv4 address in some notation
# (2130706433, 0x7f000001, 0177.0.0.1, 127.1); only the dotted-decimal one is accepted.
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")
_LOOPBACK_NAMES = ("localhost", ".localhost")


class DestinationError(ValueError):
    """The URL or one of its addresses breaks the rule; the message says which part."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # lower case, no brackets, no trailing dot
    port: int
    address: Address | None  # when the host is an IP address
    loopback_name: bool  # localhost or *.localhost: loopback whatever DNS says


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1"`` → networks; raises ValueError naming the bad entry."""
    networks: list[Network] = []
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(f"{part!r} is not a network like 10.0.0.0/8 or fd00::/8") from exc
    return tuple(networks)


def _unwrap(address: Address) -> Address:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64, 6to4), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def refusal(address: Address, port: int, allowed: Sequence[Network] = ()) -> str | None:
    """Why a connection to ``address``:``port`` may not be made, or None when it may."""
    inner = _unwrap(address)
    if any(candidate in network for network in allowed for candidate in (address, inner)):
        return None
    if not inner.is_global or inner.is_multicast:
        return (
            "url must lead to a public address (a receiver on a private network needs the "
            "operator's RELAYBIRD_EVENT_PRIVATE_NETWORKS)"
        )
    return None if _public_port(port) else _PORT_RULE


def _public_port(port: int) -> bool:
    return port in PUBLIC_PORTS or FIRST_UNPRIVILEGED_PORT <= port < 65536


_PORT_RULE = "url's port must be 80, 443 or 1024 and up"


def parse(url: str) -> Destination:
    """Parse ``url`` strictly; raises DestinationError with what to change."""
    if any(not 0x21 <= ord(c) <= 0x7E for c in url):
        raise DestinationError(
            "url must not contain spaces, control characters or non-ASCII characters "
            "(percent-encode them; write international host names in punycode)"
        )
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError as exc:
        raise DestinationError(f"url is not a valid URL: {exc}") from exc
    scheme = split.scheme.lower()
    if scheme not in SCHEMES or not url.lower().startswith(f"{scheme}://"):
        raise DestinationError("url must be an http:// or https:// URL")
    if "@" in split.netloc:
        raise DestinationError(
            "url must not contain user:password@ (the webhook-signature header authenticates "
            "relaybird to your receiver)"
        )
    host = (split.hostname or "").rstrip(".")
    if not host:
        raise DestinationError("url has no host")
    if port == 0:
        raise DestinationError("url's port must be between 1 and 65535")
    port = port or SCHEMES[scheme]
    bracketed = split.netloc.startswith("[")
    if bracketed:
        try:
            v6 = ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise DestinationError(f"url's host [{host}] is not an IPv6 address") from exc
        if v6.scope_id:
            raise DestinationError("url's IPv6 address must not carry a zone (%...)")
        return Destination(scheme, host, port, v6, loopback_name=False)
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return Destination(scheme, host, port, ipaddress.IPv4Address(host), False)
        except ValueError as exc:
            raise DestinationError(
                "url's host looks like an IPv4 address: write it as four decimal numbers "
                "(e.g. 203.0.113.7)"
            ) from exc
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise DestinationError(f"url's host {host!r} is not a valid host name")
    loopback = host == _LOOPBACK_NAMES[0] or host.endswith(_LOOPBACK_NAMES[1])
    return Destination(scheme, host, port, None, loopback_name=loopback)


def check_addresses(
    destination: Destination, addresses: Sequence[Address], allowed: Sequence[Network] = ()
) -> None:
    """Raise unless every address (and the port) is allowed. A name that resolves to nothing
    yet passes when its port could be allowed; it is checked again when it is connected to."""
    if destination.address is not None:
        addresses = [destination.address]
    elif destination.loopback_name:  # loopback whatever this host's resolver says
        addresses = [*addresses, ipaddress.IPv4Address("127.0.0.1")]
    elif not addresses and not allowed and not _public_port(destination.port):
        raise DestinationError(_PORT_RULE)
    for address in addresses:
        problem = refusal(address, destination.port, allowed)
        if problem is not None:
            raise DestinationError(problem)


def resolve_now(destination: Destination) -> list[Address]:
    """The addresses the destination's name stands for right now (blocking; none when it does
    not resolve). IP hosts are not looked up."""
    if destination.address is not None:
        return []
    try:
        infos = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check(url: str, allowed: Sequence[Network] = ()) -> Destination:
    """The whole rule at creation time: parse, resolve the name now, check every address."""
    destination = parse(url)
    check_addresses(destination, resolve_now(destination), allowed)
    return destination
