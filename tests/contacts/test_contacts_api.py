"""The contacts API: creation per network, validation, duplicates, the status matrix, lists,
history, delete, workspace isolation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.contacts.helpers import PHONES, make_user, payload
from tests.factories import KeyMaker


def test_first_status_per_network(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    expected = {
        "WHATSAPP": None,
        "WHATSAPP_DIRECT": None,
        "SMS_DIRECT": "CONFIRMED",
        "WECHAT": "PENDING_CONFIRMATION",
        "LINE": "PENDING_CONFIRMATION",
    }
    for network, status in expected.items():
        r = client.post("/api/v1/contacts", json=payload(network, owner), headers=h)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == status, network
        assert (body["invitation"] is not None) == (status == "PENDING_CONFIRMATION")
        hist = client.get(f"/api/v1/contacts/{body['id']}/history", headers=h).json()
        assert [(x["from_state"], x["to_state"]) for x in hist] == [(None, status)]
    wa = client.post(
        "/api/v1/contacts",
        json=payload("WHATSAPP", owner, phone=PHONES[1], invite=True),
        headers=h,
    )
    assert wa.json()["status"] == "PENDING_CONFIRMATION"
    emails = client.get("/api/v1/emails?kind=invitation", headers=h).json()["items"]
    assert len(emails) == 3
    assert all("http://relaybird.test/invitations/" in e["body"] for e in emails)
