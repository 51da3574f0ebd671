"""Audiences: contact tags and attributes (PATCH, bulk CSV), a campaign's recipients from a
segment (filtered, deduplicated, parameters from the contact, suppressed numbers opted out)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.models import Recipient
from tests.campaigns.helpers import new_campaign, upload
from tests.contacts.helpers import make_user, payload
from tests.factories import KeyMaker


def _contact(client: TestClient, admin: dict[str, str], phone: str, first: str) -> int:
    owner = client.get("/api/v1/users", headers=admin).json()
    owner_id = owner["items"][0]["id"] if owner.get("items") else make_user(client, admin)
    body = payload(
        "WHATSAPP", owner_id, phone=phone, first_name=first, email=f"{first.lower()}@example.com"
    )
    r = client.post("/api/v1/contacts", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_tags_attributes_and_a_segment_campaign(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    admin = keys.headers()
    ana = _contact(client, admin, "+12125550100", "Ana")
    bea = _contact(client, admin, "+12125550101", "Bea")
    cid_ = _contact(client, admin, "+12125550102", "Cid")
    _contact(client, admin, "+12125550103", "Dan")
    r = client.patch(
        f"/api/v1/contacts/{ana}",
        json={"tags": ["VIP", " vip ", "news"], "attributes": {"city": "Paris", "tier": "1"}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["tags"], r.json()["attributes"]) == (
        ["news", "vip"],
        {"city": "Paris", "tier": "1"},
    )
    r = client.patch(f"/api/v1/contacts/{ana}", json={"attributes": {"tier": None}}, headers=admin)
    assert r.json()["attributes"] == {"city": "Paris"}
    csv = "phone,tags\n+12125550101,vip;news\n2125550102,vip\n+12125550199,vip\nnope,vip\n"
    r = client.post(
        "/api/v1/contacts/tags/import", files={"file": ("t.csv", csv.encode())}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert (r.json()["tagged"], r.json()["not_found"], r.json()["invalid"]) == (2, 1, 1)
    client.patch(f"/api/v1/contacts/{bea}", json={"attributes": {"city": "Paris"}}, headers=admin)
    client.patch(f"/api/v1/contacts/{cid_}", json={"attributes": {"city": "Rome"}}, headers=admin)
    # Bea opted out; Ana is already in the campaign from a file.
    assert (
        client.post(
            "/api/v1/suppressions", json={"phone": "+12125550101"}, headers=admin
        ).status_code
        == 201
    )
    campaign = new_campaign(client, ctx, admin, body_params=["first_name", "city"])
    assert (
        upload(
            client, admin, campaign["id"], "phone,first_name,city\n+12125550100,A,P\n"
        ).status_code
        == 200
    )
    segment = {"tags_all": ["vip"], "tags_none": ["blocked"], "attributes": {"city": "Paris"}}
    r = client.post(
        f"/api/v1/campaigns/{campaign['id']}/recipients/from-segment", json=segment, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"contacts": 2, "added": 0, "duplicates": 1, "opted_out": 1, "no_phone": 0}
    r = client.post(
        f"/api/v1/campaigns/{campaign['id']}/recipients/from-segment",
        json={"tags_any": ["vip", "news"]},
        headers=admin,
    )
    assert r.json()["added"] == 1 and r.json()["duplicates"] == 2  # Cid new; Ana, Bea there
    with ctx.db.read() as session:
        rows = session.execute(
            select(Recipient.row_number, Recipient.phone, Recipient.state, Recipient.params)
            .where(Recipient.campaign_id == campaign["id"])
            .order_by(Recipient.row_number)
        ).all()
    assert [tuple(r) for r in rows] == [
        (2, "+12125550100", "INITIAL", ["A", "P"]),
        (3, "+12125550101", "INVALID_RECORD", ["Bea", "Paris"]),
        (4, "+12125550102", "INITIAL", ["Cid", "Rome"]),
    ]
    bad = client.post(
        f"/api/v1/campaigns/{campaign['id']}/recipients/from-segment",
        json={"network": "LINE"},
        headers=admin,
    )
    assert bad.status_code == 422
