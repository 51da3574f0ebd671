from __future__ import annotations

import hashlib
import hmac

from relaybird.providers.whatsapp.signature import sign, verify


def test_sign_is_hmac_sha256_of_the_raw_bytes() -> None:
    body = b'{"a": 1}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign(body, "s3cret") == "sha256=" + expected


def test_verify_accepts_only_the_right_signature() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    good = sign(body, "s3cret")
    assert verify(body, good, "s3cret")
    assert not verify(body + b" ", good, "s3cret")  # any byte change
    assert not verify(body, sign(body, "other"), "s3cret")
    assert not verify(body, None, "s3cret")
    assert not verify(body, "", "s3cret")
    assert not verify(body, good.removeprefix("sha256="), "s3cret")  # prefix required
    assert not verify(body, "sha1=" + good[7:], "s3cret")


def test_an_empty_secret_never_verifies() -> None:
    body = b"{}"
    assert not verify(body, sign(body, ""), "")
