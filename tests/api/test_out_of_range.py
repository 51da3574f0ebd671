"""A number no column can hold (an id past 2^63−1) is bad input: 422, nothing changed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from tests.factories import KeyMaker, new_sender

HUGE = 99999999999999999999


def test_an_id_past_64_bits_is_a_clear_422(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers()
    for path in (f"/api/v1/senders/{HUGE}", f"/api/v1/campaigns/{HUGE}"):
        r = client.get(path, headers=h)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "out of range" in r.json()["detail"]


def test_a_huge_id_in_a_body_changes_nothing(
    client: TestClient, keys: KeyMaker, ctx: AppContext
) -> None:
    h = keys.headers()
    before = client.get("/api/v1/campaigns", headers=h).json()["items"]
    body = {"name": "x", "sender_id": HUGE, "template": {"name": "t", "language": "en"}}
    r = client.post("/api/v1/campaigns", json=body, headers=h)
    assert 400 <= r.status_code < 500, r.text
    assert client.get("/api/v1/campaigns", headers=h).json()["items"] == before
    new_sender(ctx)  # the database is still usable after the refused statement
