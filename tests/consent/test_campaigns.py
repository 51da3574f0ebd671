"""What a suppression keeps from being sent: at import (INVALID_RECORD "opted out") and at claim
time for a number that opts out after the upload (REMOVED "opted out"); exempt categories."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.campaigns.recipients import add_counts
from relaybird.consent import service
from relaybird.consent.schemas import Source
from relaybird.context import AppContext
from relaybird.dispatcher.claim import claim
from relaybird.models import Recipient, Transition
from relaybird.templates import service as templates
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker, make_campaign, make_sender, make_workspace
from tests.templates.helpers import catalogue_item


def _suppress(ctx: AppContext, *phones: str) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        for phone in phones:
            service.suppress(
                session, ws, phone, Source.KEYWORD, reason=None, actor="test", now=ctx.clock.now()
            )


def test_a_suppressed_number_is_an_invalid_record_at_import(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    admin = keys.headers()
    _suppress(ctx, "+12125550101")
    campaign = new_campaign(client, ctx, admin)
    r = upload(client, admin, campaign["id"], "phone\n+12125550100\n+12125550101\n2125550101\n")
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["invalid"]) == (1, 2)
    with ctx.db.read() as session:
        rows = session.execute(
            select(
                Recipient.row_number, Recipient.phone, Recipient.state, Recipient.invalid_reason
            ).order_by(Recipient.row_number)
        ).all()
    assert [tuple(r) for r in rows] == [
        (2, "+12125550100", "INITIAL", None),
        (3, "+12125550101", "INVALID_RECORD", "opted out"),
        (4, None, "INVALID_RECORD", "duplicate of row 3"),
    ]


def test_an_exempt_category_is_still_sent(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    admin = keys.headers()
    _suppress(ctx, "+12125550101")
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, waba_id="waba-9")
        templates.apply_catalogue(
            session,
            ws,
            "waba-9",
            [
                catalogue_item(
                    {
                        "name": "receipt",
                        "language": "en_US",
                        "category": "UTILITY",
                        "components": [{"type": "BODY", "text": "Your receipt"}],
                    }
                )
            ],
            actor="sync",
            now=ctx.clock.now(),
        )
    rules = client.get("/api/v1/suppressions/settings", headers=admin).json()
    rules["exempt_categories"] = ["UTILITY"]
    assert client.put("/api/v1/suppressions/settings", json=rules, headers=admin).status_code == 200
    r = client.post(
        "/api/v1/campaigns",
        json={
            "name": "r",
            "sender_id": sender,
            "template": {"name": "receipt", "language": "en_US", "body_params": []},
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    r = upload(client, admin, r.json()["id"], "phone\n+12125550101\n")
    assert r.json()["accepted"] == 1


def test_a_number_that_opts_out_after_the_upload_is_removed_at_claim(ctx: AppContext) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws)
        ids = []
        for _ in (1, 2):
            cid = make_campaign(session, ws, sender, state="RUNNING")
            for i, phone in enumerate(("+12125550100", "+12125550101")):
                r = Recipient(
                    workspace_id=ws,
                    campaign_id=cid,
                    row_number=i + 2,
                    phone=phone,
                    params=[],
                    state="INITIAL",
                    created_at=ctx.clock.now(),
                    updated_at=ctx.clock.now(),
                )
                session.add(r)
                session.flush()
                ids.append(r.id)
        add_counts(session, {(cid - 1, "INITIAL"): 2, (cid, "INITIAL"): 2})
    _suppress(ctx, "+12125550101")
    now = ctx.clock.now()
    with ctx.db.write() as session:
        got = claim(session, sender, clock=lambda: now, limit=10, lease=timedelta(seconds=30))
    assert sorted(i.phone for i in got.items) == ["+12125550100", "+12125550100"]
    with ctx.db.read() as session:
        skipped = session.execute(
            select(Recipient.id, Recipient.state, Recipient.invalid_reason).where(
                Recipient.phone == "+12125550101"
            )
        ).all()
        moves = session.scalars(
            select(Transition).where(
                Transition.entity == "recipient", Transition.event == "opted_out"
            )
        ).all()
    assert {(s, r) for _, s, r in skipped} == {("REMOVED", "opted out")}
    assert sorted(m.entity_id for m in moves) == sorted(i for i, _, _ in skipped)
    assert {m.reason for m in moves} == {"opted out"}
