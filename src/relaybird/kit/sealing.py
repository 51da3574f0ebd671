"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under the keys of
RELAYBIRD_SECRET_KEY.

The setting holds one key, or several separated by commas for a rotation: the first seals, every
one opens (``MultiFernet``), and ``reseal`` rewrites a value under the first. A key is 32 random
bytes in URL-safe Base64 (44 characters), as ``new_key()`` (``relaybird connectors new-key``)
makes. Nothing here logs or shows a value.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from relaybird.errors import ServiceUnavailable

GENERATE = "generate one with `relaybird connectors new-key`"
_FERNET_VERSION = 0x80  # the first byte of every Fernet token


class SealError(ValueError):
    """A value no configured key opens (another key, or damaged)."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(value: str) -> list[str]:
    """The keys of the setting, each checked; raises ValueError naming what is wrong (never the
    key itself)."""
    keys = [k.strip() for k in value.split(",") if k.strip()]
    for n, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            which = f"key {n} of {len(keys)}" if len(keys) > 1 else "the key"
            raise ValueError(
                f"{which} is not a Fernet key (32 bytes in URL-safe Base64, 44 characters); "
                + GENERATE
            ) from None
    return keys


def looks_sealed(value: str) -> bool:
    """True when ``value`` has a Fernet token's shape (whichever key made it): what tells a
    value sealed under a key we lack from a plain-text value written before sealing existed."""
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (ValueError, binascii.Error):
        return False
    # version (1) + timestamp (8) + IV (16) + at least one AES block (16) + HMAC (32)
    return len(raw) >= 73 and raw[0] == _FERNET_VERSION and (len(raw) - 57) % 16 == 0


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("no key; " + GENERATE)
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def __repr__(self) -> str:
        return "SecretBox(...)"

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealError("no key of RELAYBIRD_SECRET_KEY opens this value") from None

    def reseal(self, sealed: str) -> str:
        """The same secret under the first key (after a rotation)."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SealError("no key of RELAYBIRD_SECRET_KEY opens this value") from None


class SecretKeyMissing(ServiceUnavailable):
    code = "secret_key_missing"
    title = "No key to encrypt secrets"


NO_KEY = (
    "RELAYBIRD_SECRET_KEY is not set: connectors' secrets are stored encrypted with it; " + GENERATE
)


def box_of(keys: Sequence[str]) -> SecretBox:
    """The box of the setting's keys (``Settings.secret_keys``); SecretKeyMissing when none."""
    if not keys:
        raise SecretKeyMissing(NO_KEY)
    return _box(tuple(keys))


@lru_cache(maxsize=4)
def _box(keys: tuple[str, ...]) -> SecretBox:
    return SecretBox(list(keys))
