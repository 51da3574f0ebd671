"""Suppressions are per workspace (issue 15, "Consent and suppression, per workspace"): a STOP
texted to workspace A's number suppresses the number in A only. B's list, B's uploads and B's
running campaigns never see it: the suppressions' key is (workspace, phone), every check
(import, claim, the last check before a send starts, the API) reads it with the campaign's or
the caller's workspace."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.dispatcher.claim import claim
from relaybird.dispatcher.repository import Started, mark_started
from relaybird.dispatcher.suppressed import drop_opted_out
from relaybird.models import Recipient
from tests.campaigns.helpers import new_campaign, upload
from tests.consent.helpers import apply_body, inbound_text
from tests.factories import KeyMaker, make_campaign, make_recipient, make_sender, make_workspace

PHONE = "+12125550123"


def _running_campaign(ctx: AppContext, slug: str, pnid: str) -> tuple[int, int, int]:
    """A workspace with a sender and a RUNNING campaign holding PHONE; (ws, sender, recipient)."""
    with ctx.db.write() as session:
        ws = make_workspace(session, slug)
        sender = make_sender(session, ws, phone_number_id=pnid)
        cid = make_campaign(session, ws, sender, state="RUNNING")
        return ws, sender, make_recipient(session, ws, cid, PHONE, at=ctx.clock.now())


def test_a_stop_in_workspace_a_does_not_suppress_workspace_b(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    _ws_a, sender_a, recipient_a = _running_campaign(ctx, "default", "pn-a")
    _ws_b, sender_b, recipient_b = _running_campaign(ctx, "shop-b", "pn-b")
    ts = int(ctx.clock.now().timestamp())
    apply_body(ctx, inbound_text("pn-a", PHONE.lstrip("+"), "STOP", "wamid.stop-a", ts))

    a, b = keys.headers(), keys.headers(workspace="shop-b")
    listed_a = client.get("/api/v1/suppressions", headers=a).json()["items"]
    assert [(s["phone"], s["source"]) for s in listed_a] == [(PHONE, "keyword")]
    assert client.get("/api/v1/suppressions", headers=b).json()["items"] == []
    assert client.get(f"/api/v1/suppressions/{PHONE}", headers=b).status_code == 404

    # Claim time: A's recipient is taken out, B's goes out.
    now = ctx.clock.now()
    got = {}
    for sender_id in (sender_a, sender_b):
        with ctx.db.write() as session:
            got[sender_id] = claim(
                session, sender_id, clock=lambda: now, limit=10, lease=timedelta(seconds=30)
            )
    assert [i.id for i in got[sender_a].items] == []
    assert [i.id for i in got[sender_b].items] == [recipient_b]
    # The last check before B's send starts does not drop it either.
    with ctx.db.write() as session:
        assert drop_opted_out(session, [recipient_b], now) == set()
        assert mark_started(session, [recipient_b], now) == Started(stopped=set(), lost=set())
    with ctx.db.read() as session:
        states = dict(session.execute(select(Recipient.id, Recipient.state)).all())
        reasons = dict(session.execute(select(Recipient.id, Recipient.invalid_reason)).all())
    assert (states[recipient_a], reasons[recipient_a]) == ("REMOVED", "opted out")
    assert (states[recipient_b], reasons[recipient_b]) == ("IN_PROGRESS", None)

    # Import time: the number is an opted-out INVALID_RECORD in A, a valid recipient in B.
    for headers, slug, expected in ((a, "default", (0, 1)), (b, "shop-b", (1, 0))):
        with ctx.db.write() as session:
            sender = make_sender(session, make_workspace(session, slug))
        campaign = new_campaign(client, ctx, headers, sender_id=sender)
        r = upload(client, headers, campaign["id"], f"phone\n{PHONE}\n")
        assert (r.json()["accepted"], r.json()["invalid"]) == expected, (slug, r.text)


def test_start_in_workspace_b_does_not_lift_workspace_a(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    _running_campaign(ctx, "default", "pn-a")
    _running_campaign(ctx, "shop-b", "pn-b")
    ts = int(ctx.clock.now().timestamp())
    apply_body(ctx, inbound_text("pn-a", PHONE.lstrip("+"), "STOP", "wamid.stop-a", ts))
    apply_body(ctx, inbound_text("pn-b", PHONE.lstrip("+"), "STOP", "wamid.stop-b", ts))
    apply_body(ctx, inbound_text("pn-b", PHONE.lstrip("+"), "START", "wamid.start-b", ts + 1))
    a, b = keys.headers(), keys.headers(workspace="shop-b")
    assert client.get(f"/api/v1/suppressions/{PHONE}", headers=a).status_code == 200
    assert client.get(f"/api/v1/suppressions/{PHONE}", headers=b).status_code == 404
