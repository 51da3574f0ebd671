"""Issue 14, cost: a campaign's estimate before it starts (recipients by country × its template's
category, by the rate card), which follows Meta's recategorisation; the actual cost from the
status webhooks' ``pricing``, per campaign, per sender and in the export."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.campaigns.statuses import apply_statuses
from relaybird.context import AppContext
from relaybird.inbox.handlers import ApplyContext
from relaybird.models import Recipient, Sender, Template
from relaybird.providers.whatsapp.events import MessageStatus, Pricing, TemplateCategoryUpdate
from relaybird.simulator.template_seed import SEED
from relaybird.templates import service as templates
from tests.factories import KeyMaker, make_workspace, new_sender
from tests.templates.helpers import catalogue_item

WABA = "100000000000091"
# Two in Argentina, one in Austria (Rest of Western Europe), one in Australia (Rest of Asia
# Pacific), one in the US (North America: the built-in card has no figure for it).
PHONES = ["+5491123456789", "+5491123456780", "+436641234567", "+61412345678", "+12125550001"]


def _campaign(client: TestClient, ctx: AppContext, h: dict[str, str]) -> tuple[int, int]:
    sender = new_sender(ctx, waba_id=WABA)
    with ctx.db.write() as session:
        ws = make_workspace(session, "default")
        items = [catalogue_item(dict(t)) for t in SEED]
        templates.apply_catalogue(session, ws, WABA, items, actor="sync", now=ctx.clock.now())
    body = {
        "name": "promo",
        "sender_id": sender,
        "template": {
            "name": "loyalty_points",
            "language": "pt_BR",
            "mapping": {"body": {"1": {"value": "Ana"}, "2": {"value": "120"}}},
        },
    }
    r = client.post("/api/v1/campaigns", json=body, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    text = "phone\n" + "\n".join(PHONES) + "\nnot-a-number\n"
    files = {"file": ("l.csv", text.encode(), "text/csv")}
    assert client.post(f"/api/v1/campaigns/{cid}/recipients", files=files, headers=h).json()[
        "accepted"
    ] == len(PHONES)
    return cid, sender


def _money(value: Any) -> str:
    return str(value).rstrip("0").rstrip(".")


def test_the_estimate_is_recipients_by_country_times_the_category_and_follows_meta(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid, _ = _campaign(client, ctx, h)
    cost = client.get(f"/api/v1/campaigns/{cid}/cost", headers=h).json()
    assert cost["currency"] == "USD" and cost["rate_card"]["effective"] == "2025-07-01"
    assert cost["category"] == "MARKETING" and cost["pending_category"] is None
    est = cost["estimate"]
    assert (est["category"], est["priced"], est["unpriced"]) == ("marketing", 4, 1)
    # 2 × 0.0618 (Argentina) + 0.0592 (Rest of Western Europe) + 0.0732 (Rest of Asia Pacific)
    assert _money(est["amount"]) == "0.256"
    markets = {m["market"]: (m["recipients"], m["rate"]) for m in est["markets"]}
    assert markets["Argentina"] == (2, "0.0618")
    assert markets["North America"] == (1, None)
    assert cost["actual"]["amount"] in ("0", "0.0", 0)
    # Meta recategorises the template: the estimate follows at once.
    with ctx.db.write() as session:
        template = session.scalars(select(Template).where(Template.name == "loyalty_points")).one()
        event = TemplateCategoryUpdate(
            waba_id=WABA,
            template_id=template.meta_id,
            template_name="loyalty_points",
            language="pt_BR",
            previous_category="MARKETING",
            new_category="UTILITY",
        )
        assert templates.apply_category_update(session, event, now=ctx.clock.now())
    after = client.get(f"/api/v1/campaigns/{cid}/cost", headers=h).json()
    assert after["category"] == "UTILITY"
    # 2 × 0.0289 + 0.0171 + 0.0113
    assert _money(after["estimate"]["amount"]) == "0.0862"


def _status(pnid: str, rid: int, phone: str, status: str, pricing: Pricing | None) -> MessageStatus:
    return MessageStatus(
        phone_number_id=pnid,
        wamid=f"wamid.{rid}.{status}",
        status=status,
        recipient=phone.lstrip("+"),
        timestamp=None,
        callback_data=f"r:{rid}",
        pricing=pricing,
    )


def test_the_actual_cost_comes_from_the_status_webhooks_pricing(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid, sender = _campaign(client, ctx, h)
    with ctx.db.write() as session:
        pnid = session.get(Sender, sender).phone_number_id  # type: ignore[union-attr]
        rows = session.execute(
            select(Recipient.id, Recipient.phone)
            .where(Recipient.campaign_id == cid, Recipient.phone.is_not(None))
            .order_by(Recipient.id)
        ).all()
        # Send them as the dispatcher would have (IN_PROGRESS with a wamid is not needed: the
        # callback data matches), then Meta's statuses with their pricing.
        session.execute(
            Recipient.__table__.update()
            .where(Recipient.campaign_id == cid, Recipient.state == "INITIAL")
            .values(state="IN_PROGRESS")
        )
    billed = Pricing(billable=True, pricing_model="PMP", type="regular", category="marketing")
    free = Pricing(
        billable=False, pricing_model="PMP", type="free_entry_point", category="marketing"
    )
    events = [
        _status(pnid, rows[0][0], rows[0][1], "sent", billed),
        _status(pnid, rows[0][0], rows[0][1], "delivered", billed),
        _status(pnid, rows[1][0], rows[1][1], "delivered", billed),
        _status(pnid, rows[2][0], rows[2][1], "delivered", free),
        _status(pnid, rows[4][0], rows[4][1], "delivered", billed),  # US: no rate in the card
        _status(pnid, rows[3][0], rows[3][1], "sent", None),
    ]
    apply = ApplyContext(now=ctx.clock.now(), settings=ctx.settings)
    for _ in range(2):  # a replay changes nothing
        with ctx.db.write() as session:
            assert apply_statuses(session, events, apply) == []
    actual = client.get(f"/api/v1/campaigns/{cid}/cost", headers=h).json()["actual"]
    assert _money(actual["amount"]) == "0.1236"  # 2 × Argentina's marketing rate
    assert (actual["billed"], actual["free"], actual["unpriced"]) == (2, 1, 1)
    assert actual["by_category"]["marketing"]["messages"] == 4
    per_sender = client.get(f"/api/v1/campaigns/costs?sender_id={sender}", headers=h).json()
    assert _money(per_sender["actual"]["amount"]) == "0.1236"
    assert [(c["campaign_id"], _money(c["amount"])) for c in per_sender["campaigns"]] == [
        (cid, "0.1236")
    ]
    assert client.get("/api/v1/campaigns/costs?sender_id=999", headers=h).status_code == 404
    exported = client.get(f"/api/v1/campaigns/{cid}/export.csv", headers=h).text
    lines = {r["phone"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert (lines[PHONES[0]]["cost"], lines[PHONES[0]]["pricing_category"]) == (
        "0.0618",
        "marketing",
    )
    assert lines[PHONES[2]]["cost"] == "0" and lines[PHONES[3]]["cost"] == ""
