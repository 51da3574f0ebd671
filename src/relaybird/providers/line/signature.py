"""x-line-signature: base64(HMAC-SHA256(channel secret, raw body)).

Always over the bytes as received: any re-serialisation breaks it. LINE publishes no source IPs,
so the signature is the only gate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

HEADER = "x-line-signature"


def sign(body: bytes, channel_secret: str) -> str:
    mac = hmac.new(channel_secret.encode(), body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def verify(body: bytes, header: str | None, channel_secret: str) -> bool:
    """Constant-time check; False when missing or wrong, and always with an empty secret."""
    if not header or not channel_secret:
        return False
    return hmac.compare_digest(sign(body, channel_secret).encode(), header.strip().encode())
