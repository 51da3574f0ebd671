"""Outbound HTTP for outgoing events (subscribers' webhook endpoints), over aiohttp.

Only this module knows the HTTP client: the deliverer hands it a URL, a body and headers and gets
back a ``PostOutcome`` (a status code, or an error string when no response came back).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

# A subscriber that takes longer than this is treated as down; the delivery is retried.
DEFAULT_TIMEOUT_S = 10.0
# Kept in the delivery log: enough to see what the receiver said, never the whole page.
_MAX_BODY_KEPT = 300


@dataclass(frozen=True)
class PostOutcome:
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookPoster:
    """One shared connection pool for every subscriber (created lazily inside the loop)."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(limit=50)
            )
        return self._session

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostOutcome:
        try:
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                if 200 <= response.status < 300:
                    return PostOutcome(response.status)
                text = (await response.text(errors="replace"))[:_MAX_BODY_KEPT]
                return PostOutcome(response.status, f"HTTP {response.status}: {text}".strip())
        except TimeoutError:
            return PostOutcome(None, "timed out")
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            return PostOutcome(None, f"{type(exc).__name__}: {exc}"[:_MAX_BODY_KEPT])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
