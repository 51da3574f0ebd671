"""Issue 12 item 8: a 422 lists every problem of the body, on both databases.

The body is checked whole first (types, the fields the network needs, formats), then the
look-ups (owner, sender) add theirs: one answer names them all. Same on POST /campaigns and
POST /users.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import KeyMaker

WECHAT_NEEDS = {"first_name", "last_name", "phone", "company", "email"}


def named(r: Any) -> set[str]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_input"
    return {str(e.get("field") or e["loc"][-1]) for e in body["errors"]}


def test_an_unknown_owner_and_the_missing_fields_in_one_answer(
    client: TestClient, keys: KeyMaker
) -> None:
    h = keys.headers()
    r = client.post(
        "/api/v1/contacts", json={"network": "WECHAT", "owner_user_id": 987654}, headers=h
    )
    assert named(r) == WECHAT_NEEDS | {"owner_user_id"}
    for field in WECHAT_NEEDS | {"owner_user_id"}:
        assert field in r.json()["detail"]


def test_a_type_error_does_not_hide_the_missing_fields(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers()
    r = client.post(
        "/api/v1/contacts",
        json={"network": "WECHAT", "owner_user_id": "abc", "first_name": "Ana"},
        headers=h,
    )
    assert named(r) == (WECHAT_NEEDS - {"first_name"}) | {"owner_user_id"}


def test_bad_formats_a_misused_invite_and_the_owner_together(
    client: TestClient, keys: KeyMaker
) -> None:
    h = keys.headers()
    body = {
        "network": "SMS_DIRECT",
        "first_name": "Ana",
        "last_name": "Lima",
        "phone": "12",
        "email": "not-an-address",
        "invite": True,
        "owner_user_id": 987654,
    }
    r = client.post("/api/v1/contacts", json=body, headers=h)
    assert named(r) == {"phone", "email", "invite", "owner_user_id"}


def test_a_campaign_body_and_its_sender_in_one_answer(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers()
    body = {
        "name": "x",
        "sender_id": 987654,
        "template": {"name": "t", "language": "en", "body_params": ["a", "A"]},
        "start_at": "2026-12-01T09:00:00",
    }
    r = client.post("/api/v1/campaigns", json=body, headers=h)
    assert named(r) == {"sender_id", "template.body_params", "start_at"}


def test_a_user_body_in_one_answer(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers()
    body = {"name": " ", "email": "nope", "virtual_numbers": {"SMS_DIRECT": "12"}}
    r = client.post("/api/v1/users", json=body, headers=h)
    assert named(r) == {"name", "email", "virtual_numbers.SMS_DIRECT"}
    assert client.get("/api/v1/users", headers=h).json()["items"] == []


def test_a_room_body_and_its_owner_in_one_answer(client: TestClient, keys: KeyMaker) -> None:
    h = keys.headers()
    body = {"name": "r", "network": "WHATSAPP", "owner_user_id": 987654}
    r = client.post("/api/v1/rooms", json=body, headers=h)
    assert named(r) == {"sender_id", "owner_user_id"}
    body = {"name": "r", "network": "WHATSAPP", "owner_user_id": 987654, "sender_id": 987654}
    r = client.post("/api/v1/rooms", json=body, headers=h)
    assert named(r) == {"sender_id", "owner_user_id"}
    assert "sender 987654 does not exist" in r.json()["detail"]
