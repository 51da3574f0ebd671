"""A campaign sent to one number and that number's replies, for the answer tests (API, CLI,
dashboard)."""

from __future__ import annotations

import json

from relaybird.context import AppContext
from relaybird.models import User
from relaybird.providers.whatsapp import wire
from tests.consent.helpers import apply_body
from tests.factories import make_campaign, make_recipient, make_sender, make_workspace

PNID = "pn-answers"
PHONE = "+12125550100"


def seed_reply_campaign(ctx: AppContext, *, with_user: bool = True) -> tuple[int, int]:
    """A workspace with a sender, a user, a COMPLETED campaign sent to PHONE; returns
    (campaign id, recipient id)."""
    with ctx.db.write() as session:
        ws = make_workspace(session)
        if with_user:
            session.add(User(workspace_id=ws, name="Ana", email="ana@example.com", role="agent"))
        sender = make_sender(session, ws, phone_number_id=PNID)
        cid = make_campaign(session, ws, sender, state="COMPLETED")
        rid = make_recipient(
            session, ws, cid, PHONE, state="DELIVERED", wamid="wamid.out-1", at=ctx.clock.now()
        )
        return cid, rid


def inbound_reply(ctx: AppContext, wamid: str, text: str = "Yes please") -> None:
    message = {
        "from": PHONE.lstrip("+"),
        "id": wamid,
        "timestamp": str(int(ctx.clock.now().timestamp())),
        "type": "text",
        "text": {"body": text},
    }
    value = wire.messages_value(PNID, "15550000000", messages=[message])
    apply_body(ctx, json.dumps(wire.envelope("waba-1", "messages", value)).encode())
