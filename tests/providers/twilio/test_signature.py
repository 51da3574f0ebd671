"""X-Twilio-Signature against Twilio's published vectors (twilio-python, twilio-node), and forged
or altered requests refused."""

from __future__ import annotations

from typing import Any

import pytest

from relaybird.providers.twilio import signature
from tests.providers.helpers import fixture_json

VECTORS = fixture_json("twilio", "signature-vectors.json")
TOKEN = VECTORS["auth_token"]
FORM = [v for v in VECTORS["vectors"] if "body" not in v]
JSON = [v for v in VECTORS["vectors"] if "body" in v]


@pytest.mark.parametrize("vector", FORM, ids=[v["name"] for v in FORM])
def test_published_form_vectors_verify(vector: dict[str, Any]) -> None:
    url = vector.get("validate_against_url", vector["url"])
    assert signature.verify(url, vector["params"], vector["signature"], TOKEN)


def test_the_signature_is_computed_exactly_as_published() -> None:
    first = FORM[0]
    assert signature.compute(first["url"], first["params"], TOKEN) == first["signature"]
    repeated = next(v for v in FORM if "repeated" in v["name"])
    assert signature.compute(repeated["url"], repeated["params"], TOKEN) == repeated["signature"]


@pytest.mark.parametrize("vector", JSON, ids=[v["name"] for v in JSON])
def test_published_json_body_vectors_verify(vector: dict[str, Any]) -> None:
    url = vector.get("validate_against_url", vector["url"])
    assert signature.body_hash(vector["body"].encode()) == url.rsplit("bodySHA256=", 1)[1]
    assert signature.verify_json(url, vector["body"].encode(), vector["signature"], TOKEN)


def test_forgeries_are_refused() -> None:
    v = FORM[0]
    url, params, good = v["url"], v["params"], v["signature"]
    assert not signature.verify(url, {**params, "Digits": "9999"}, good, TOKEN)
    assert not signature.verify(url, {**params, "Extra": "1"}, good, TOKEN)
    assert not signature.verify(url.replace("foo=1", "foo=2"), params, good, TOKEN)
    assert not signature.verify(url.replace("https", "http"), params, good, TOKEN)
    assert not signature.verify(url, params, good, "54321")
    assert not signature.verify(url, params, None, TOKEN)
    assert not signature.verify(url, params, "", TOKEN)
    # An unconfigured receiver (empty token) accepts nothing, not even a matching signature.
    assert not signature.verify(url, params, signature.compute(url, params, ""), "")


def test_a_json_body_that_does_not_match_its_hash_is_refused() -> None:
    v = JSON[0]
    url = v.get("validate_against_url", v["url"])
    assert not signature.verify_json(url, b'{"property": "other"}', v["signature"], TOKEN)
    assert not signature.verify_json(
        url.split("&bodySHA256")[0], v["body"].encode(), v["signature"], TOKEN
    )
