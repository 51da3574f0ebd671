"""Adapter → simulator → signed webhooks → our live HTTP receiver → inbox → applier → recipients.
Everything over real HTTP, with duplicates, reordering and batching switched on."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from relaybird.campaigns.recipients import move_recipient
from relaybird.campaigns.statuses import callback_data
from relaybird.campaigns.transitions import RecipientState
from relaybird.inbox import applier
from relaybird.models import Recipient
from relaybird.providers.port import SenderCredentials, SendResult, TemplateMessage
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.wiring import registered_handlers
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle

RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 3}
EXPECTED_STATE = {"sent": "SENT", "delivered": "DELIVERED", "read": "READ"}


def test_statuses_from_the_simulator_land_on_the_recipients(
    live_server: LiveServer, simulator: SimHandle
) -> None:
    ctx = live_server.ctx
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender_id = make_sender(session, ws, phone_number_id="3003", access_token="tok-3003")
        campaign = make_campaign(session, ws, sender_id, state="RUNNING")
        ids = make_recipients(session, ws, campaign, 24, state="IN_PROGRESS")
        phones = dict(session.execute(select(Recipient.id, Recipient.phone)).all())
    absent = [phones[ids[0]], phones[ids[1]]]
    simulator.add_number("3003", "tok-3003")
    simulator.not_on_whatsapp(*absent)
    simulator.configure(
        webhook_url=live_server.whatsapp_webhook_url,
        delivered_p=1.0,
        read_p=0.5,
        duplicate_p=0.3,
        reorder_p=0.5,
        batch_max=5,
        sent_delay=0.01,
        delivered_delay=0.01,
    )

    async def send_all() -> dict[int, SendResult]:
        client = WhatsAppCloudClient(simulator.url, "v23.0")
        creds = SenderCredentials("3003", "tok-3003")
        try:
            results = await asyncio.gather(
                *(
                    client.send_template(
                        creds,
                        TemplateMessage(
                            phones[rid] or "",
                            "hello_world",
                            "en_US",
                            callback_data=callback_data(rid),
                        ),
                    )
                    for rid in ids
                )
            )
        finally:
            await client.close()
        return dict(zip(ids, results, strict=True))

    results = asyncio.run(send_all())
    refused = {rid: r.error for rid, r in results.items() if not r.message_id}
    assert refused == {}, refused  # the simulator's reasons, if it refused any
    wamids = {rid: r.message_id for rid, r in results.items()}
    # Record the accepted sends, as the dispatcher does (some statuses may already be stored).
    with ctx.db.write() as session:
        for rid, wamid in wamids.items():
            move_recipient(
                session,
                rid,
                event="accepted",
                target=RecipientState.SENT,
                actor="test",
                values={"wamid": wamid},
            )
    hooks = simulator.wait_webhooks_idle()
    assert hooks["failed"] == 0
    while applier.apply_batch(ctx, registered_handlers()).rows:
        pass

    # What Meta (the simulator) said about each message: its highest status.
    best: dict[str, str] = {}
    for body in simulator.webhooks(bodies=True)["bodies"]:
        for entry in body["entry"]:
            for change in entry["changes"]:
                for s in change["value"].get("statuses", []):
                    if RANK[s["status"]] > RANK.get(best.get(s["id"], ""), 0):
                        best[s["id"]] = s["status"]
    with ctx.db.read() as session:
        got = dict(session.execute(select(Recipient.id, Recipient.state)).all())
    for rid in ids:
        if phones[rid] in absent:
            assert got[rid] == "SENDING_FAILED"
        else:
            assert got[rid] == EXPECTED_STATE[best[wamids[rid] or ""]], rid
    assert {"READ", "DELIVERED"} <= set(got.values())
    # Nobody got two messages.
    sent = simulator.sent()
    assert len(sent) == len(ids) == len({s["to"] for s in sent})
