"""Users and their virtual numbers per Direct network."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import KeyMaker


def test_virtual_numbers_set_listed_cleared_and_unique(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("admin")
    r = client.post(
        "/api/v1/users",
        json={"name": "Grace", "email": "Grace@X.test", "virtual_number": "+1 415 555 0123"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    grace = r.json()
    assert grace["email"] == "grace@x.test"
    assert grace["virtual_numbers"] == {
        "SMS_DIRECT": "+14155550123",
        "WHATSAPP_DIRECT": "+14155550123",
    }
    bob = client.post(
        "/api/v1/users",
        json={
            "name": "Bob",
            "email": "bob@x.test",
            "virtual_numbers": {"SMS_DIRECT": "+12025550143"},
        },
        headers=h,
    ).json()
    assert bob["virtual_numbers"] == {"SMS_DIRECT": "+12025550143"}
    # A number routes to one user per network.
    taken = client.put(
        f"/api/v1/users/{bob['id']}/virtual-numbers/WHATSAPP_DIRECT",
        json={"phone": "+14155550123"},
        headers=h,
    )
    assert taken.status_code == 409
    r = client.delete(f"/api/v1/users/{grace['id']}/virtual-numbers/WHATSAPP_DIRECT", headers=h)
    assert r.json()["virtual_numbers"] == {"SMS_DIRECT": "+14155550123"}
    r = client.put(
        f"/api/v1/users/{bob['id']}/virtual-numbers/WHATSAPP_DIRECT",
        json={"phone": "+14155550123"},
        headers=h,
    )
    assert r.status_code == 200
    assert r.json()["virtual_numbers"]["WHATSAPP_DIRECT"] == "+14155550123"
    # Only Direct networks have virtual numbers; bad numbers are refused.
    assert (
        client.put(
            f"/api/v1/users/{bob['id']}/virtual-numbers/LINE", json={"phone": "+1"}, headers=h
        ).status_code
        == 422
    )
    assert (
        client.put(
            f"/api/v1/users/{bob['id']}/virtual-numbers/SMS_DIRECT", json={"phone": "12"}, headers=h
        ).status_code
        == 422
    )
    listed = client.get("/api/v1/users", headers=h).json()["items"]
    assert [u["name"] for u in listed] == ["Grace", "Bob"]
    dup = client.post("/api/v1/users", json={"name": "G", "email": "grace@x.test"}, headers=h)
    assert dup.status_code == 409
    nul = client.post("/api/v1/users", json={"name": "G\x00", "email": "n@x.test"}, headers=h)
    assert nul.status_code == 422
    agent = keys.headers("agent")
    assert (
        client.post(
            "/api/v1/users", json={"name": "A", "email": "a@x.test"}, headers=agent
        ).status_code
        == 403
    )
