"""The contacts API: creation per network, validation, duplicates, the status matrix, lists,
history, delete, workspace isolation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from relaybird.contacts import invitations
from tests.contacts.helpers import PHONES, make_user, payload
from tests.factories import KeyMaker


def test_first_status_per_network(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    # WeChat and LINE are invited, but PENDING_CONFIRMATION means "the invitation e-mail was
    # sent" (seed 000): without a mail server nothing is sent, so they have no status yet.
    expected = {
        "WHATSAPP": (None, False),
        "WHATSAPP_DIRECT": (None, False),
        "SMS_DIRECT": ("CONFIRMED", False),
        "WECHAT": (None, True),
        "LINE": (None, True),
    }
    for network, (status, invited) in expected.items():
        r = client.post("/api/v1/contacts", json=payload(network, owner), headers=h)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == status, network
        assert (body["invitation"] is not None) == invited
        if invited:
            assert body["invitation"]["state"] == "unsent"
            assert body["invitation"]["delivery"] == "QUEUED"
            assert "RELAYBIRD_SMTP_URL" in body["invitation"]["delivery_error"]
        hist = client.get(f"/api/v1/contacts/{body['id']}/history", headers=h).json()
        assert [(x["from_state"], x["to_state"]) for x in hist] == [(None, status)]
    wa = client.post(
        "/api/v1/contacts",
        json=payload("WHATSAPP", owner, phone=PHONES[1], invite=True),
        headers=h,
    )
    assert wa.json()["status"] is None
    assert wa.json()["invitation"]["state"] == "unsent"
    emails = client.get("/api/v1/emails?kind=invitation", headers=h).json()["items"]
    assert len(emails) == 3
    assert all(invitations.REDACTED in e["body"] for e in emails)


def _count(client: TestClient, h: dict[str, str], path: str) -> int:
    return len(client.get(path, headers=h).json()["items"])


def test_invalid_fields_are_refused_and_change_nothing(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    bad = [
        payload("LINE", owner, email=None),
        payload("LINE", owner, company="  "),
        payload("WECHAT", owner, email="not-an-address"),
        payload("WHATSAPP", owner, phone="12"),
        payload("SMS_DIRECT", owner, phone=None),
        payload("SMS_DIRECT", owner, first_name=""),
        payload("SMS_DIRECT", owner, last_name="Love\x00lace"),
        payload("SMS_DIRECT", owner, phone="+1415555\x000123"),
        payload("SMS_DIRECT", owner, owner_user_id=owner + 99),
        payload("SMS_DIRECT", owner, invite=True),
        payload("FAX", owner),
        {**payload("LINE", owner), "status": "CONFIRMED"},
    ]
    for body in bad:
        r = client.post("/api/v1/contacts", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = client.post(
        "/api/v1/contacts", json=payload("LINE", owner, email="x@", phone="0"), headers=h
    )
    assert {e["field"] for e in r.json()["errors"]} == {"email", "phone"}
    assert _count(client, h, "/api/v1/contacts") == 0
    assert _count(client, h, "/api/v1/emails") == 0
    # Direct networks need no company or e-mail.
    ok = payload("SMS_DIRECT", owner, company=None, email=None, phone="+1 (415) 555-0123")
    created = client.post("/api/v1/contacts", json=ok, headers=h)
    assert created.status_code == 201
    assert created.json()["phone"] == "+14155550123"


def test_duplicates_refused_per_workspace_and_network(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    assert (
        client.post("/api/v1/contacts", json=payload("LINE", owner), headers=h).status_code == 201
    )
    same_phone = payload("LINE", owner, email="other@example.com")
    same_email = payload("LINE", owner, phone=PHONES[1])
    for body in (same_phone, same_email):
        r = client.post("/api/v1/contacts", json=body, headers=h)
        assert r.status_code == 409
        assert r.json()["code"] == "duplicate_contact"
    # The same person on another network, or in another workspace, is another contact.
    assert (
        client.post("/api/v1/contacts", json=payload("WECHAT", owner), headers=h).status_code == 201
    )
    other_h = keys.headers("admin", workspace="other")
    other_owner = make_user(client, other_h)
    r = client.post("/api/v1/contacts", json=payload("LINE", other_owner), headers=other_h)
    assert r.status_code == 201
    # WhatsApp: a shared company mailbox is fine, the phone decides.
    wa = client.post("/api/v1/contacts", json=payload("WHATSAPP", owner), headers=h)
    wa2 = client.post(
        "/api/v1/contacts", json=payload("WHATSAPP", owner, phone=PHONES[1]), headers=h
    )
    assert (wa.status_code, wa2.status_code) == (201, 201)
    # PATCH cannot create a duplicate either.
    r = client.patch(
        f"/api/v1/contacts/{wa2.json()['id']}", json={"email": "x@example.com"}, headers=h
    )
    assert r.status_code == 200
    assert _count(client, h, "/api/v1/emails") == 2


def test_status_matrix_is_enforced(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    sms = client.post("/api/v1/contacts", json=payload("SMS_DIRECT", owner), headers=h).json()
    r = client.get("/api/v1/contacts?network=WECHAT&status=CONFIRMED", headers=h)
    assert r.status_code == 422
    assert "never have status CONFIRMED" in r.json()["detail"]
    assert (
        client.get("/api/v1/contacts?network=WHATSAPP&status=INCOMPLETE", headers=h).status_code
        == 422
    )
    r = client.post(f"/api/v1/contacts/{sms['id']}/resend-invite", headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "invites_not_used_on_network"
    assert client.get(f"/api/v1/contacts/{sms['id']}", headers=h).json()["status"] == "CONFIRMED"


def test_list_filters_and_pagination(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    for i, network in enumerate(["SMS_DIRECT", "SMS_DIRECT", "WHATSAPP", "LINE", "SMS_DIRECT"]):
        body = payload(network, owner, phone=PHONES[i], email=f"p{i}@example.com")
        assert client.post("/api/v1/contacts", json=body, headers=h).status_code == 201
    seen: list[int] = []
    cursor = None
    while True:
        q = "/api/v1/contacts?network=SMS_DIRECT&status=CONFIRMED&limit=2"
        page = client.get(q + (f"&cursor={cursor}" if cursor else ""), headers=h).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 and seen == sorted(seen)
    none = client.get("/api/v1/contacts?status=NONE", headers=h).json()["items"]
    # The LINE contact's invitation was not sent (no mail server here): no status yet.
    assert [c["network"] for c in none] == ["WHATSAPP", "LINE"]
    assert client.get("/api/v1/contacts?cursor=bogus", headers=h).status_code == 422


def test_other_workspace_sees_404(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    cid = client.post("/api/v1/contacts", json=payload("LINE", owner), headers=h).json()["id"]
    other = keys.headers("admin", workspace="other")
    for method, path in [
        ("GET", f"/api/v1/contacts/{cid}"),
        ("GET", f"/api/v1/contacts/{cid}/history"),
        ("PATCH", f"/api/v1/contacts/{cid}"),
        ("DELETE", f"/api/v1/contacts/{cid}"),
        ("POST", f"/api/v1/contacts/{cid}/resend-invite"),
        ("GET", f"/api/v1/users/{owner}"),
    ]:
        r = client.request(method, path, headers=other, json={} if method == "PATCH" else None)
        assert r.status_code == 404, (method, path)
    assert client.get("/api/v1/contacts", headers=other).json()["items"] == []
    # Nor may another workspace's user own a contact here.
    r = client.post("/api/v1/contacts", json=payload("LINE", owner), headers=other)
    assert r.status_code == 422
    assert client.get(f"/api/v1/contacts/{cid}", headers=h).json()["status"] is None


def test_patch_validates_and_never_moves_status(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    cid = client.post("/api/v1/contacts", json=payload("LINE", owner), headers=h).json()["id"]
    r = client.patch(f"/api/v1/contacts/{cid}", json={"email": "bad"}, headers=h)
    assert r.status_code == 422
    r = client.patch(f"/api/v1/contacts/{cid}", json={"phone": "+14155550123"}, headers=h)
    assert r.status_code == 422
    r = client.patch(f"/api/v1/contacts/{cid}", json={"company": None}, headers=h)
    assert r.status_code == 422
    r = client.patch(
        f"/api/v1/contacts/{cid}", json={"email": "Ada@New.Example", "last_name": "King"}, headers=h
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["email"], body["last_name"], body["status"]) == ("ada@new.example", "King", None)


def test_the_database_refuses_a_duplicate_the_check_missed(
    client: TestClient, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two concurrent creates can both pass the lookup; the unique indexes (phone per network,
    e-mail on WeChat and LINE) decide, and the loser gets the same 409, nothing written."""
    from relaybird.contacts import service

    monkeypatch.setattr(service, "_refuse_duplicate", lambda *a, **k: None)  # the race
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    assert (
        client.post("/api/v1/contacts", json=payload("LINE", owner), headers=h).status_code == 201
    )
    for body in (
        payload("LINE", owner, email="other@example.com"),  # same phone
        payload("LINE", owner, phone=PHONES[1]),  # same e-mail
    ):
        r = client.post("/api/v1/contacts", json=body, headers=h)
        assert (r.status_code, r.json()["code"]) == (409, "duplicate_contact"), r.text
    # PATCH onto another contact's e-mail: the same answer.
    other = client.post(
        "/api/v1/contacts",
        json=payload("LINE", owner, phone=PHONES[1], email="b@example.com"),
        headers=h,
    ).json()
    first_email = payload("LINE", owner)["email"]
    r = client.patch(f"/api/v1/contacts/{other['id']}", json={"email": first_email}, headers=h)
    assert (r.status_code, r.json()["code"]) == (409, "duplicate_contact"), r.text
    assert (
        client.get(f"/api/v1/contacts/{other['id']}", headers=h).json()["email"] == "b@example.com"
    )
    assert _count(client, h, "/api/v1/contacts?network=LINE") == 2
