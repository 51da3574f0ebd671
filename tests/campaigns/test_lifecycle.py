"""Campaign moves over the API: each legal move, and 409 problem+json for illegal ones."""

from __future__ import annotations

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker


def test_create_start_pause_resume_end(client: TestClient, ctx: AppContext, keys: KeyMaker) -> None:
    h = keys.headers()
    c = new_campaign(client, ctx, h)
    assert c["state"] == "NOT_STARTED"
    assert set(c["counts"]) >= {"INITIAL", "SENT", "INVALID_RECORD", "CANCELED_BY_ADMIN"}
    cid = c["id"]
    for action, state in (
        ("start", "RUNNING"),
        ("pause", "PAUSED"),
        ("resume", "RUNNING"),
        ("end", "ENDED"),
    ):
        r = client.post(f"/api/v1/campaigns/{cid}/{action}", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == state
    history = client.get(f"/api/v1/campaigns/{cid}", headers=h).json()
    assert history["finished_at"] is not None


def test_illegal_moves_are_409_problems_and_change_nothing(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    for action in ("pause", "resume"):
        r = client.post(f"/api/v1/campaigns/{cid}/{action}", headers=h)
        assert r.status_code == 409
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "illegal_transition"
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["state"] == "NOT_STARTED"
    client.post(f"/api/v1/campaigns/{cid}/end", headers=h)
    for action in ("start", "pause", "resume", "end"):
        assert client.post(f"/api/v1/campaigns/{cid}/{action}", headers=h).status_code == 409
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["state"] == "ENDED"


def test_create_validates_sender_and_params(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    body = {"name": "x", "sender_id": 999999, "template": {"name": "t", "language": "en"}}
    r = client.post("/api/v1/campaigns", json=body, headers=h)
    assert r.status_code == 422
    assert "sender_id" in r.json()["detail"]


def test_viewer_cannot_start_and_other_workspace_sees_404(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    assert (
        client.post(f"/api/v1/campaigns/{cid}/start", headers=keys.headers("viewer")).status_code
        == 403
    )
    other = keys.headers("admin", workspace="other")
    assert client.get(f"/api/v1/campaigns/{cid}", headers=other).status_code == 404


def test_removal_only_while_not_started_or_paused(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    assert (
        upload(client, h, cid, "phone\n+12125550001\n+12125550002\n+12125550003\n").status_code
        == 200
    )
    items = client.get(f"/api/v1/campaigns/{cid}/recipients", headers=h).json()["items"]
    first, second, third = (i["id"] for i in items)

    r = client.delete(f"/api/v1/campaigns/{cid}/recipients/{first}", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "REMOVED"
    # Removing twice is illegal (REMOVED is final).
    assert (
        client.delete(f"/api/v1/campaigns/{cid}/recipients/{first}", headers=h).status_code == 409
    )

    client.post(f"/api/v1/campaigns/{cid}/start", headers=h)
    r = client.delete(f"/api/v1/campaigns/{cid}/recipients/{second}", headers=h)
    assert r.status_code == 409 and r.json()["campaign_state"] == "RUNNING"

    client.post(f"/api/v1/campaigns/{cid}/pause", headers=h)
    assert (
        client.delete(f"/api/v1/campaigns/{cid}/recipients/{second}", headers=h).status_code == 200
    )

    client.post(f"/api/v1/campaigns/{cid}/end", headers=h)
    r = client.delete(f"/api/v1/campaigns/{cid}/recipients/{third}", headers=h)
    assert r.status_code == 409
    summary = client.get(f"/api/v1/campaigns/{cid}", headers=h).json()
    assert summary["counts"]["REMOVED"] == 2
    assert summary["counts"]["CANCELED_BY_ADMIN"] == 1
    assert summary["counts"]["INITIAL"] == 0
    history = client.get(f"/api/v1/campaigns/{cid}/recipients/{third}/history", headers=h).json()
    assert [(e["from_state"], e["to_state"]) for e in history] == [
        (None, "INITIAL"),
        ("INITIAL", "CANCELED_BY_ADMIN"),
    ]


def test_end_cancels_initial_and_retry_scheduled(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    from relaybird.campaigns.recipients import move_recipients
    from relaybird.campaigns.transitions import RecipientState

    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    upload(client, h, cid, "phone\n+12125550001\n+12125550002\n+12125550003\n")
    client.post(f"/api/v1/campaigns/{cid}/start", headers=h)
    ids = [
        i["id"]
        for i in client.get(f"/api/v1/campaigns/{cid}/recipients", headers=h).json()["items"]
    ]
    with ctx.db.write() as s:
        move_recipients(
            s,
            ids[:2],
            source=RecipientState.INITIAL,
            event="claimed",
            target=RecipientState.IN_PROGRESS,
            actor="test",
        )
        move_recipients(
            s,
            ids[1:2],
            source=RecipientState.IN_PROGRESS,
            event="transient_error",
            target=RecipientState.RETRY_SCHEDULED,
            actor="test",
        )
    client.post(f"/api/v1/campaigns/{cid}/end", headers=h)
    counts = client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["counts"]
    # ids[0] is in flight: it finishes on its own; the other two are canceled.
    assert counts["CANCELED_BY_ADMIN"] == 2
    assert counts["IN_PROGRESS"] == 1
