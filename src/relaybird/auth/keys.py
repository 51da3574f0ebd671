"""API key material: generation and hashing. Keys carry 256 bits of entropy, so a plain SHA-256
(not a slow password hash) is the right digest: it is looked up on every request."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "rbk_"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]
