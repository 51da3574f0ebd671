"""x-line-signature against LINE's published vectors; forged or altered bodies refused."""

from __future__ import annotations

from typing import Any

import pytest

from relaybird.providers.line import signature
from tests.providers.helpers import fixture, fixture_json

VECTORS = fixture_json("line", "signature-vectors.json")["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=["docs", "sdk"])
def test_published_vectors(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    assert signature.sign(body, vector["channel_secret"]) == vector["x_line_signature"]
    assert signature.verify(body, vector["x_line_signature"], vector["channel_secret"])


def test_the_docs_vector_covers_the_fixture_file_byte_for_byte() -> None:
    docs = VECTORS[0]
    raw = fixture("line", docs["body_file"])
    assert signature.verify(raw, docs["x_line_signature"], docs["channel_secret"])


def test_forgeries_are_refused() -> None:
    docs = VECTORS[0]
    body, good, secret = docs["body"].encode(), docs["x_line_signature"], docs["channel_secret"]
    assert not signature.verify(body + b" ", good, secret)  # any whitespace change breaks it
    assert not signature.verify(body, good, "another-secret")
    assert not signature.verify(body, "invalid_signature", secret)
    assert not signature.verify(body, None, secret)
    assert not signature.verify(body, signature.sign(body, ""), "")
