"""Standard Webhooks signatures (https://www.standardwebhooks.com/): what receivers verify.

The secret is ``whsec_`` + base64 of 24 random bytes; the key is the decoded bytes. The signed
content is ``{webhook-id}.{webhook-timestamp}.{body}`` and the header value is
``v1,<base64 HMAC-SHA256>`` (several, space-separated, while a secret rotates).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(raw)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, signature_header: str) -> bool:
    """True when any ``v1,`` signature in the header matches (receivers' side; used in tests
    and documented in docs/events.md)."""
    expected = sign(secret, msg_id, timestamp, body)
    return any(
        hmac.compare_digest(candidate.encode(), expected.encode())
        for candidate in signature_header.split(" ")
    )
