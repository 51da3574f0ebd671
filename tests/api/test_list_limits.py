"""Issue 11 item 10 (part): every list takes a bounded `limit` and a cursor.

The lists answered as plain JSON arrays (sender, contact, template and recipient histories,
blocked numbers, keys, event subscriptions) honour `limit` (1..500, else 422) and page with the
same opaque cursor as the paged lists, given in the `X-Next-Cursor` header; walking the pages
gives exactly the whole list, on both databases.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.models import Transition
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker, new_sender


def walk(client: TestClient, path: str, h: dict[str, str], limit: int) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(100):
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = client.get(path, params=params, headers=h)
        assert r.status_code == 200, r.text
        page = r.json()
        assert isinstance(page, list) and len(page) <= limit
        items += page
        cursor = r.headers.get("x-next-cursor")
        if cursor is None:
            return items
        assert len(page) == limit
    raise AssertionError("the pages never ended")


def add_history(ctx: AppContext, entity: str, entity_id: int, n: int, states: str) -> None:
    """``n`` recorded moves back and forth between the two ``states`` ("A>B")."""
    one, two = states.split(">")
    ws = KeyMaker(ctx).workspace_id()
    with ctx.db.write() as session:
        for i in range(n):
            session.add(
                Transition(
                    workspace_id=ws,
                    entity=entity,
                    entity_id=entity_id,
                    from_state=one if i % 2 == 0 else two,
                    to_state=two if i % 2 == 0 else one,
                    event=f"step_{i}",
                    actor="test",
                    created_at=ctx.clock.now(),
                )
            )


def test_every_plain_list_takes_limit_and_a_cursor(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers("admin")
    sender = new_sender(ctx)
    add_history(ctx, "sender", sender, 5, "PENDING>CONNECTED")
    user = client.post("/api/v1/users", json={"name": "Bea", "email": "bea@example.com"}, headers=h)
    uid = user.json()["id"]
    contact = client.post(
        "/api/v1/contacts",
        json={
            "network": "SMS_DIRECT",
            "phone": "+12025550100",
            "first_name": "Ana",
            "last_name": "Lima",
            "owner_user_id": uid,
        },
        headers=h,
    )
    assert contact.status_code == 201, contact.text
    cid = contact.json()["id"]
    add_history(ctx, "contact", cid, 4, "CONFIRMED>BLOCKED")
    for i in range(5):
        r = client.post(
            f"/api/v1/users/{uid}/blocked-numbers",
            json={"phone": f"+1202555011{i}", "reason": "SPAM"},
            headers=h,
        )
        assert r.status_code == 201, r.text
    for i in range(4):
        client.post("/api/v1/keys", json={"name": f"k{i}", "role": "viewer"}, headers=h)
    for i in range(4):
        r = client.post(
            "/api/v1/event-subscriptions",
            json={"url": f"https://hooks{i}.example.com/relaybird"},
            headers=h,
        )
        assert r.status_code == 201, r.text
    campaign = new_campaign(client, ctx, h, sender_id=sender)["id"]
    upload(client, h, campaign, "phone\n+12125550001\n")
    rid = client.get(f"/api/v1/campaigns/{campaign}/recipients", headers=h).json()["items"][0]
    add_history(ctx, "recipient", rid["id"], 3, "INITIAL>IN_PROGRESS")

    lists = [
        f"/api/v1/senders/{sender}/history",
        f"/api/v1/contacts/{cid}/history",
        f"/api/v1/users/{uid}/blocked-numbers",
        "/api/v1/keys",
        "/api/v1/event-subscriptions",
        f"/api/v1/campaigns/{campaign}/recipients/{rid['id']}/history",
    ]
    for path in lists:
        whole = client.get(path, headers=h)
        assert whole.status_code == 200, (path, whole.text)
        assert len(whole.json()) >= 4, (path, whole.json())
        assert "x-next-cursor" not in whole.headers
        for limit in (1, 2, 3):
            assert walk(client, path, h, limit) == whole.json(), (path, limit)
        one = client.get(path, params={"limit": 1}, headers=h)
        assert len(one.json()) == 1, path
        for bad in (0, 501, "x"):
            r = client.get(path, params={"limit": bad}, headers=h)
            assert r.status_code == 422, (path, bad, r.text)
        r = client.get(path, params={"cursor": "!!"}, headers=h)
        assert r.status_code == 422, (path, r.text)
