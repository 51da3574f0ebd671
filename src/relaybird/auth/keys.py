"""API key material: generation and hashing. Keys carry 256 bits of entropy, so a plain SHA-256
(not a slow password hash) is the right digest: it is looked up on every request.

A key reads ``rbk_<public id>_<secret>``: the public id (8 hex characters, random, no part of the
secret) is what listings show. Keys made before it existed (``rbk_<secret>``) and keys an
operator chose (RELAYBIRD_BOOTSTRAP_ADMIN_KEY) are shown as ``sha256:<first 8 hex of the
digest>`` instead; every key is still found by the digest of the whole key."""

from __future__ import annotations

import hashlib
import re
import secrets

KEY_PREFIX = "rbk_"
_PUBLIC = re.compile(r"rbk_[0-9a-f]{8}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{8}")


def new_key() -> str:
    return f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What listings show of ``key``: its public id, or a digest's head (never the secret)."""
    head = key[: len(KEY_PREFIX) + 9]
    if _PUBLIC.fullmatch(head[:-1]) and head.endswith("_"):
        return head[:-1]
    return digest_prefix(hash_key(key))


def digest_prefix(key_hash: str) -> str:
    return f"sha256:{key_hash[:8]}"


def shown_prefix(stored: str, key_hash: str) -> str:
    """The stored prefix when it is a public one; else (a key stored before public ids, whose
    prefix was 6 characters of its secret) the digest's head."""
    if _PUBLIC.fullmatch(stored) or _DIGEST.fullmatch(stored):
        return stored
    return digest_prefix(key_hash)
