"""POST /campaigns/{id}/retry: a follow-up campaign with exactly the chosen failed recipients,
the parent's ledger untouched; never 131026, 131050, opted-out or suppressed numbers."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.campaigns.recipients import add_counts
from relaybird.consent import service as consent
from relaybird.consent.schemas import Source
from relaybird.context import AppContext
from relaybird.models import Campaign, Recipient
from tests.factories import KeyMaker, make_campaign, make_sender, make_workspace

# (phone, state, error_code, invalid_reason)
ROWS = [
    ("+12125550100", "READ", None, None),
    ("+12125550101", "ERROR", None, None),
    ("+12125550102", "ERROR", None, None),
    ("+12125550103", "DELIVERY_FAILED", 131049, None),
    ("+12125550104", "DELIVERY_FAILED", 131050, None),  # stopped marketing: never
    ("+12125550105", "SENDING_FAILED", 131026, None),  # not on WhatsApp: never
    ("+12125550106", "SENDING_FAILED", 131021, None),
    ("+12125550107", "REMOVED", None, "opted out"),  # never
    ("+12125550108", "ERROR", None, None),  # suppressed since: never
    (None, "INVALID_RECORD", None, "not a valid phone number"),
]


def _parent(ctx: AppContext, state: str = "COMPLETED") -> int:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws)
        cid = make_campaign(session, ws, sender, state=state, body_params=["name"], name="spring")
        for i, (phone, rstate, code, reason) in enumerate(ROWS):
            session.add(
                Recipient(
                    workspace_id=ws,
                    campaign_id=cid,
                    row_number=i + 2,
                    phone=phone,
                    raw_phone=phone,
                    params=[f"name{i}"],
                    state=rstate,
                    attempts=1,
                    error_code=code,
                    invalid_reason=reason,
                    wamid=f"wamid.{i}",
                    created_at=now,
                    updated_at=now,
                )
            )
        counts: dict[tuple[int, str], int] = {}
        for _, rstate, _, _ in ROWS:
            counts[(cid, rstate)] = counts.get((cid, rstate), 0) + 1
        add_counts(session, counts)
        session.get(Campaign, cid).total = len(ROWS)  # type: ignore[union-attr]
        consent.suppress(
            session, ws, "+12125550108", Source.MANUAL, reason=None, actor="t", now=now
        )
    return cid


def _ledger(ctx: AppContext, cid: int) -> list[tuple[Any, ...]]:
    with ctx.db.read() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(
                    Recipient.id,
                    Recipient.phone,
                    Recipient.state,
                    Recipient.attempts,
                    Recipient.wamid,
                    Recipient.error_code,
                    Recipient.updated_at,
                )
                .where(Recipient.campaign_id == cid)
                .order_by(Recipient.id)
            )
        ]


def test_retry_makes_a_follow_up_with_exactly_the_failed_ones(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    admin = keys.headers()
    cid = _parent(ctx)
    before = _ledger(ctx, cid)
    parent_before = client.get(f"/api/v1/campaigns/{cid}", headers=admin).json()
    r = client.post(f"/api/v1/campaigns/{cid}/retry", headers=admin)
    assert r.status_code == 201, r.text
    child = r.json()
    assert (child["state"], child["parent_campaign_id"], child["name"]) == (
        "NOT_STARTED",
        cid,
        "spring (retry)",
    )
    assert child["template"] == parent_before["template"]
    assert child["total"] == 3 and child["counts"]["INITIAL"] == 3
    with ctx.db.read() as session:
        rows = session.execute(
            select(
                Recipient.row_number,
                Recipient.phone,
                Recipient.params,
                Recipient.state,
                Recipient.attempts,
                Recipient.wamid,
            )
            .where(Recipient.campaign_id == child["id"])
            .order_by(Recipient.row_number)
        ).all()
    assert [tuple(r) for r in rows] == [
        (3, "+12125550101", ["name1"], "INITIAL", 0, None),
        (4, "+12125550102", ["name2"], "INITIAL", 0, None),
        (5, "+12125550103", ["name3"], "INITIAL", 0, None),
    ]
    # The parent's ledger is untouched.
    assert _ledger(ctx, cid) == before
    after = client.get(f"/api/v1/campaigns/{cid}", headers=admin).json()
    assert after == parent_before
    # SENDING_FAILED on request: 131021 yes, 131026 never.
    r = client.post(
        f"/api/v1/campaigns/{cid}/retry",
        json={"states": ["SENDING_FAILED"], "name": "sf"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    with ctx.db.read() as session:
        phones = session.scalars(
            select(Recipient.phone).where(Recipient.campaign_id == r.json()["id"])
        ).all()
    assert phones == ["+12125550106"]


def test_retry_refusals_change_nothing(client: TestClient, ctx: AppContext, keys: KeyMaker) -> None:
    admin = keys.headers()
    running = _parent(ctx, state="RUNNING")
    r = client.post(f"/api/v1/campaigns/{running}/retry", headers=admin)
    assert r.status_code == 409 and "finished" in r.json()["detail"]
    with ctx.db.write() as session:
        session.get(Campaign, running).state = "ENDED"  # type: ignore[union-attr]
    r = client.post(f"/api/v1/campaigns/{running}/retry", json={"states": ["READ"]}, headers=admin)
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/campaigns/{running}/retry", json={"states": ["CANCELED_BY_ADMIN"]}, headers=admin
    )
    assert r.status_code == 409 and "no recipient to retry" in r.json()["detail"]
    assert client.post("/api/v1/campaigns/999/retry", headers=admin).status_code == 404
    listed = client.get("/api/v1/campaigns", headers=admin).json()["items"]
    assert [c["id"] for c in listed] == [running]
