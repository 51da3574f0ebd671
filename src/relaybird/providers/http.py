"""The outbound HTTP of the Direct-network adapters: one pooled aiohttp session per adapter, and
transport failures turned into classified errors at the boundary.

A failure before the request was written (cannot connect, connect timeout) is a plain
sender-transient error; one after it (timeout waiting for the answer, connection dropped) is
``ambiguous``: the provider may have acted on it, so a blind retry could send twice.
Titles never carry the URL: WeChat puts its access token in the query string.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from relaybird.providers.port import ErrorKind, ProviderError

# Bodies kept from an unreadable answer: enough to see what it was, never a whole page.
_KEEP = 300


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    text: str

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text) if self.text else None
        except ValueError:
            return None

    @property
    def excerpt(self) -> str:
        return self.text[:_KEEP]


class TransportFailed(Exception):
    def __init__(self, error: ProviderError) -> None:
        super().__init__(error.title)
        self.error = error


def transport_error(title: str, *, ambiguous: bool) -> ProviderError:
    return ProviderError(
        kind=ErrorKind.SENDER_TRANSIENT, code=None, title=title, ambiguous=ambiguous, isolated=True
    )


class ProviderHttp:
    """Created lazily inside the running loop (an aiohttp session belongs to its loop)."""

    def __init__(
        self, *, timeout: float = 15.0, connect_timeout: float = 5.0, max_connections: int = 100
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=30),
                timeout=self._timeout,
                headers={"User-Agent": "relaybird"},
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
    ) -> HttpAnswer:
        """One request; raises ``TransportFailed`` when no complete answer came back."""
        data: Any = None
        sent_headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        elif form is not None:
            data = aiohttp.FormData(dict(form))
        if basic_auth is not None:
            sent_headers["Authorization"] = aiohttp.encode_basic_auth(*basic_auth)
        try:
            async with self._http().request(
                method,
                url,
                params=params,
                data=data,
                headers=sent_headers,
                allow_redirects=False,
            ) as response:
                text = await response.text(errors="replace")
                names = {k.lower(): v for k, v in response.headers.items()}
                return HttpAnswer(response.status, names, text)
        except aiohttp.ConnectionTimeoutError:
            raise TransportFailed(transport_error("connect timeout", ambiguous=False)) from None
        except aiohttp.ClientConnectorError as exc:
            raise TransportFailed(
                transport_error(f"cannot connect to {exc.host}:{exc.port}", ambiguous=False)
            ) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            # Past the connect phase: the request was written, the provider may have acted.
            raise TransportFailed(
                transport_error("timeout waiting for the answer", ambiguous=True)
            ) from None
        except aiohttp.ClientError as exc:
            raise TransportFailed(
                transport_error(f"connection error: {type(exc).__name__}", ambiguous=True)
            ) from None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
