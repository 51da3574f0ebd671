"""Replies stored against the recipient they answer: by quoted message, else the latest send on
that number, within the reply window; listed per campaign and recipient, counted per button,
exported. Live from the simulator (a reply on its recipient, then answered):
tests/rooms/test_answers_live.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from relaybird.config import Settings
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import CampaignReply, Recipient
from relaybird.providers.whatsapp import wire
from tests.consent.helpers import apply_body
from tests.data import TEMPLATE_FIXTURES
from tests.factories import KeyMaker, make_campaign, make_sender, make_workspace

PNID = "pn-replies"


def _seed(ctx: AppContext) -> tuple[int, int, int]:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, phone_number_id=PNID)
        cid = make_campaign(session, ws, sender, state="COMPLETED")
        ids = []
        for i, phone in enumerate(("+12125550100", "+12125550101")):
            r = Recipient(
                workspace_id=ws,
                campaign_id=cid,
                row_number=i + 2,
                phone=phone,
                params=[],
                state="DELIVERED",
                wamid=f"wamid.out-{i}",
                send_started_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(r)
            session.flush()
            ids.append(r.id)
    return cid, ids[0], ids[1]


def _message(wamid: str, sender: str, ts: int, **kind: object) -> bytes:
    message = {"from": sender, "id": wamid, "timestamp": str(ts), **kind}
    value = wire.messages_value(PNID, "15550000000", messages=[message])
    return json.dumps(wire.envelope("waba-1", "messages", value)).encode()


def test_replies_are_stored_listed_counted_and_exported(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    cid, first, second = _seed(ctx)
    ts = int(ctx.clock.now().timestamp())
    apply_body(
        ctx, _message("wamid.in-1", "12125550100", ts, type="text", text={"body": "Yes please"})
    )
    stop = {"payload": "STOP_PROMOS", "text": "Stop promotions"}
    button = _message(
        "wamid.in-2",
        "12125550101",
        ts,
        type="button",
        button=stop,
        context={"from": "15550000000", "id": "wamid.out-1"},
    )
    apply_body(ctx, button)
    apply_body(ctx, button)  # a replay stores nothing more
    apply_body(
        ctx,
        _message(
            "wamid.in-3",
            "12125550100",
            ts,
            type="button",
            button={"payload": "MORE", "text": "More"},
        ),
    )
    admin = keys.headers()
    page = client.get(f"/api/v1/campaigns/{cid}/replies", headers=admin).json()
    assert [(r["recipient_id"], r["type"], r["text"], r["button"]) for r in page["items"]] == [
        (first, "text", "Yes please", None),
        (second, "button", "Stop promotions", "STOP_PROMOS"),
        (first, "button", "More", "MORE"),
    ]
    mine = client.get(
        f"/api/v1/campaigns/{cid}/replies?recipient_id={second}", headers=admin
    ).json()["items"]
    assert [r["wamid"] for r in mine] == ["wamid.in-2"]
    buttons = client.get(f"/api/v1/campaigns/{cid}/replies/buttons", headers=admin).json()
    assert sorted((b["button"], b["label"], b["count"], b["recipients"]) for b in buttons) == [
        ("MORE", "More", 1, 1),
        ("STOP_PROMOS", "Stop promotions", 1, 1),
    ]
    campaign = client.get(f"/api/v1/campaigns/{cid}", headers=admin).json()
    assert campaign["reply_count"] == 2  # each recipient's first reply
    csv = client.get(f"/api/v1/campaigns/{cid}/replies.csv", headers=admin)
    assert csv.status_code == 200
    lines = csv.text.strip().splitlines()
    assert lines[0] == "recipient_id,phone,received_at,type,text,button"
    assert lines[2].startswith(f"{second},+12125550101,") and lines[2].endswith(
        "button,Stop promotions,STOP_PROMOS"
    )
    assert client.get("/api/v1/campaigns/999/replies", headers=admin).status_code == 404


def _linked(ctx: AppContext) -> list[tuple[str, int]]:
    with ctx.db.read() as session:
        rows = session.execute(
            select(CampaignReply.wamid, CampaignReply.recipient_id).order_by(CampaignReply.id)
        ).all()
    return [(w, r) for w, r in rows]


def test_a_reply_is_linked_within_the_window_counted_from_the_send(
    ctx: AppContext, clock: ManualClock
) -> None:
    """The default window is 7 days from the send, inclusive; one second more and the message
    is nobody's reply. A status webhook moving the recipient later does not stretch it."""
    _cid, first, second = _seed(ctx)
    sent = clock.now()
    with ctx.db.write() as session:  # a late "read" status: updated_at moves, the send does not
        session.get(Recipient, first).updated_at = sent + timedelta(days=6)  # type: ignore[union-attr]
    at = int((sent + timedelta(days=7)).timestamp())
    apply_body(ctx, _message("wamid.edge", "12125550100", at, type="text", text={"body": "a"}))
    apply_body(ctx, _message("wamid.late", "12125550100", at + 1, type="text", text={"body": "b"}))
    # Quoting the campaign message does not stretch it either.
    quoted = {"from": "15550000000", "id": "wamid.out-1"}
    apply_body(
        ctx,
        _message(
            "wamid.late-q", "12125550101", at + 1, type="text", text={"body": "c"}, context=quoted
        ),
    )
    apply_body(
        ctx,
        _message(
            "wamid.edge-q", "12125550101", at, type="text", text={"body": "d"}, context=quoted
        ),
    )
    assert _linked(ctx) == [("wamid.edge", first), ("wamid.edge-q", second)]


def test_the_reply_window_is_a_setting(ctx: AppContext, clock: ManualClock) -> None:
    ctx.settings = ctx.settings.model_copy(update={"campaign_reply_window": timedelta(hours=48)})
    _cid, first, _second = _seed(ctx)
    at = int((clock.now() + timedelta(hours=48)).timestamp())
    apply_body(ctx, _message("wamid.in", "12125550100", at, type="text", text={"body": "a"}))
    apply_body(ctx, _message("wamid.out", "12125550100", at + 1, type="text", text={"body": "b"}))
    assert _linked(ctx) == [("wamid.in", first)]


def test_the_reply_window_setting_is_bounded() -> None:
    assert Settings(campaign_reply_window="7d").campaign_reply_window == timedelta(days=7)
    assert Settings().campaign_reply_window == timedelta(days=7)
    assert Settings(campaign_reply_window="36h").campaign_reply_window == timedelta(hours=36)
    for bad in ("0s", "30s", "91d", "soon", "-1d"):
        with pytest.raises(ValidationError):
            Settings(campaign_reply_window=bad)


def test_interactive_reply_buttons_and_list_rows_count_per_button(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    """Meta's interactive replies (``interactive.button_reply`` / ``list_reply``: id and title,
    the shape of its "Reply buttons" webhook) beside a template's quick reply (the fixture)."""
    cid, first, second = _seed(ctx)
    ts = int(ctx.clock.now().timestamp())
    for wamid, who, reply in (
        (
            "wamid.i1",
            "12125550100",
            {"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes"}},
        ),
        (
            "wamid.i2",
            "12125550101",
            {"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes"}},
        ),
        (
            "wamid.i3",
            "12125550100",
            {"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes"}},
        ),
        (
            "wamid.i4",
            "12125550101",
            {
                "type": "list_reply",
                "list_reply": {"id": "row-2", "title": "Tuesday", "description": "9-12"},
            },
        ),
    ):
        apply_body(ctx, _message(wamid, who, ts, type="interactive", interactive=reply))
    body = json.loads(
        (TEMPLATE_FIXTURES / "inbound-quick-reply-button-unsubscribe--meta-doc.json").read_bytes()
    )
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = PNID
    value["messages"][0].update({"from": "12125550100", "timestamp": str(ts)})
    apply_body(ctx, json.dumps(body).encode())
    admin = keys.headers()
    buttons = client.get(f"/api/v1/campaigns/{cid}/replies/buttons", headers=admin).json()
    assert [(b["button"], b["label"], b["count"], b["recipients"]) for b in buttons] == [
        ("yes-1", "Yes", 3, 2),
        ("Unsubscribe", "Unsubscribe", 1, 1),
        ("row-2", "Tuesday", 1, 1),
    ]
    replies = client.get(f"/api/v1/campaigns/{cid}/replies", headers=admin).json()["items"]
    assert [(r["type"], r["text"], r["button"]) for r in replies][:2] == [
        ("interactive", "Yes", "yes-1"),
        ("interactive", "Yes", "yes-1"),
    ]
    other = keys.headers(workspace="elsewhere")
    assert client.get(f"/api/v1/campaigns/{cid}/replies/buttons", headers=other).status_code == 404
    assert first and second
