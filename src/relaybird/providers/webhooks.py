"""Outbound HTTP for outgoing events (subscribers' webhook endpoints), over aiohttp.

Only this module knows the HTTP client: the deliverer hands it a URL, a body and headers and gets
back a ``PostOutcome``. Every connection obeys kit/destinations.py: the URL is parsed again, an IP
host is checked before the request, and a name is resolved by ``GuardedResolver``, which checks
every address it returns; aiohttp connects only to those addresses, so a name that changes its
answer between two lookups (DNS rebinding) cannot reach an address that was not checked.

What a workspace sees of an attempt is status-only: ``HTTP 503``, or one text for every way of
getting no answer (refused, timed out, no such name, not allowed), so the delivery log is no port
scanner and never shows what an internal service said.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from relaybird.kit import destinations
from relaybird.kit.destinations import Network

# A subscriber that takes longer than this is treated as down; the delivery is retried.
DEFAULT_TIMEOUT_S = 10.0
NO_ANSWER = "no HTTP answer from the receiver"


@dataclass(frozen=True)
class PostOutcome:
    status_code: int | None
    error: str | None = None
    # For the operator's log only (never stored): why the destination was not connected to.
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DestinationRefused(OSError):
    """A resolved address the destination rule forbids (raised inside aiohttp's connect)."""


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's threaded resolver, then refuses unless every address is allowed."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self._inner = ThreadedResolver()
        self._allowed = tuple(allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            problem = destinations.refusal(
                ipaddress.ip_address(result["host"]), port, self._allowed
            )
            if problem is not None:
                raise DestinationRefused(problem)
        return results

    async def close(self) -> None:
        await self._inner.close()


class WebhookPoster:
    """One shared connection pool for every subscriber (created lazily inside the loop)."""

    def __init__(
        self, timeout_s: float = DEFAULT_TIMEOUT_S, allowed: Sequence[Network] = ()
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._allowed = tuple(allowed)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=50, resolver=GuardedResolver(self._allowed))
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostOutcome:
        try:
            destination = destinations.parse(url)
            destinations.check_addresses(destination, [], self._allowed)
        except destinations.DestinationError as exc:
            return PostOutcome(None, NO_ANSWER, refused=str(exc))
        try:
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                return PostOutcome(
                    response.status,
                    None if 200 <= response.status < 300 else f"HTTP {response.status}",
                )
        except aiohttp.ClientConnectorError as exc:
            refused = exc.os_error if isinstance(exc.os_error, DestinationRefused) else None
            return PostOutcome(None, NO_ANSWER, refused=str(refused) if refused else None)
        except (TimeoutError, aiohttp.ClientError, OSError, asyncio.IncompleteReadError):
            return PostOutcome(None, NO_ANSWER)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
