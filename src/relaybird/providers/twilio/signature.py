"""X-Twilio-Signature, as Twilio's SDKs compute it (twilio-python ``RequestValidator``).

``base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + value2 ...))`` over the full URL
Twilio called and the POST parameters sorted by name (each distinct value of a repeated name,
sorted). JSON-bodied webhooks carry ``bodySHA256=<hex sha256 of the body>`` in the URL and sign
the URL alone. Twilio signs sometimes with and sometimes without the default port, so a match of
either form is accepted. Keyed with the account's Auth Token (not an API key secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit, urlunsplit

HEADER = "X-Twilio-Signature"

Params = Mapping[str, str | Sequence[str]]


def _values(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def compute(url: str, params: Params, auth_token: str) -> str:
    """The header value Twilio sends for a request to ``url`` with form ``params``."""
    data = url
    for name in sorted(params):
        for value in sorted(set(_values(params[name]))):
            data += name + value
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _with_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is not None or not parts.hostname:
        return url
    port = 443 if parts.scheme == "https" else 80
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))


def _without_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is None:
        return url
    netloc = parts.netloc.rsplit(":", 1)[0]
    return urlunsplit(parts._replace(netloc=netloc))


def verify(url: str, params: Params, header: str | None, auth_token: str) -> bool:
    """A form (or GET) request: True when ``header`` matches the URL with or without its port.

    An empty token never verifies: an unconfigured receiver must not accept everything.
    """
    if not header or not auth_token:
        return False
    given = header.strip().encode()
    return any(
        hmac.compare_digest(compute(candidate, params, auth_token).encode(), given)
        for candidate in (_with_port(url), _without_port(url))
    )


def verify_json(url: str, body: bytes, header: str | None, auth_token: str) -> bool:
    """A JSON-bodied request: the URL's ``bodySHA256`` must be the body's hash, and the signature
    is over the URL alone."""
    claimed = parse_qs(urlsplit(url).query).get("bodySHA256", [""])[0]
    if not claimed or not hmac.compare_digest(claimed.encode(), body_hash(body).encode()):
        return False
    return verify(url, {}, header, auth_token)
