"""WeChat's callback signatures: ``hex(sha1(join(sorted(parts))))``, no separator.

Plain mode signs ``(token, timestamp, nonce)``: it proves the caller knows our token, not what
the body says (WeChat's design; safe mode's ``msg_signature`` adds the encrypted body). The GET
URL-verification and every POST carry ``signature``, ``timestamp``, ``nonce`` in the query.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's algorithm)


def verify(token: str, timestamp: str, nonce: str, signature: str | None) -> bool:
    """Plain-mode check; False when anything is missing, always with an empty token."""
    if not token or not timestamp or not nonce or not signature:
        return False
    return hmac.compare_digest(sign(token, timestamp, nonce).encode(), signature.strip().encode())


def verify_message(
    token: str, timestamp: str, nonce: str, encrypted: str, msg_signature: str | None
) -> bool:
    """Safe-mode check: the signature covers the ``Encrypt`` element too."""
    if not token or not timestamp or not nonce or not encrypted or not msg_signature:
        return False
    expected = sign(token, timestamp, nonce, encrypted)
    return hmac.compare_digest(expected.encode(), msg_signature.strip().encode())
