"""X-Hub-Signature-256: HMAC-SHA256 of the raw body, keyed with the app secret.

Always over the bytes as received: re-serialising the JSON would change them.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The header value Meta sends for ``body``."""
    return _PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """Constant-time check of a header value; False when missing, malformed or wrong.

    An empty secret never verifies: an unconfigured receiver must not accept everything.
    """
    if not header or not secret or not header.startswith(_PREFIX):
        return False
    # Bytes, not str: compare_digest refuses non-ASCII strings (a forged header would be a 500).
    return hmac.compare_digest(sign(body, secret).encode(), header.strip().encode())


def constant_time_equals(given: str, expected: str) -> bool:
    """For the GET handshake's verify token: compare without leaking where they differ."""
    return hmac.compare_digest(given.encode(), expected.encode())
