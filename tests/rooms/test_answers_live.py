"""A reply answered over real HTTP: our API, webhook receiver and loops under uvicorn, the
simulator playing Meta. A campaign goes out, the simulator's user replies; the reply shows on
the recipient and in the campaign's replies; the answer goes out as a free-form text (the
simulator's request log has it, inside the window the reply opened) and its statuses come back
through the status webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import make_user, room_messages, wait_for

PHONE = "+12125550177"


def test_live_a_reply_is_shown_answered_and_its_status_comes_back(
    ctx: AppContext,
    clock: ManualClock,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    # The simulator stamps messages with real time: the engine's clock must agree.
    clock.advance(datetime.now(UTC) - clock.now())
    pnid, token = "5572", "tok-5572"
    simulator.add_number(pnid, token, waba_id="100000000000572")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server = live_server_factory(loops=True)
    # Delivered for certain: the simulator draws each message's fate (97 % delivered by default)
    # from its phone number id, which is random per run.
    simulator.configure(webhook_url=server.whatsapp_webhook_url, delivered_p=1.0)
    api = ApiClient(server.url, keys.create())
    agent = make_user(api, "agent@x.test")
    sender = new_sender(ctx, phone_number_id=pnid, access_token=token)
    body = {
        "name": "spring",
        "sender_id": sender,
        "template": {"name": "hello", "language": "en_US", "body_params": []},
    }
    cid = api.post("/api/v1/campaigns", body)["id"]
    api.upload(f"/api/v1/campaigns/{cid}/recipients", "a.csv", f"phone\n{PHONE}\n".encode())
    api.post(f"/api/v1/campaigns/{cid}/start")
    [sent] = wait_for(lambda: simulator.sent(PHONE))
    assert sent["type"] == "template"

    simulator.inbound(pnid, PHONE.lstrip("+"), "Is it still on?", context_wamid=sent["wamid"])
    [reply] = wait_for(lambda: api.get(f"/api/v1/campaigns/{cid}/replies")["items"])
    [recipient] = api.get(f"/api/v1/campaigns/{cid}/recipients")["items"]
    assert (reply["recipient_id"], reply["type"], reply["text"]) == (
        recipient["id"],
        "text",
        "Is it still on?",
    )
    assert recipient["replied_at"] is not None
    mine = api.get(f"/api/v1/campaigns/{cid}/replies?recipient_id={recipient['id']}")["items"]
    assert [r["id"] for r in mine] == [reply["id"]]

    answer = api.post(
        f"/api/v1/campaigns/{cid}/replies/{reply['id']}/answer",
        {"text": "Yes, until Sunday!", "user_id": agent},
    )
    assert answer["room_created"] is True
    message_id = answer["message"]["id"]
    # It went out as free-form text, with the room message's callback data.
    [out] = wait_for(lambda: [s for s in simulator.sent(PHONE) if s["type"] == "text"])
    assert (out["text"], out["callback_data"], out["phone_number_id"]) == (
        "Yes, until Sunday!",
        f"m:{message_id}",
        pnid,
    )
    # Its statuses come back through the status webhooks.
    settled = wait_for(
        lambda: [
            m
            for m in room_messages(api, answer["room_id"])
            if m["id"] == message_id and m["status"] in ("DELIVERED", "READ")
        ]
    )
    assert settled[0]["wamid"] == out["wamid"]
    # The conversation reads in order in the room; the reply counted once.
    assert [(m["direction"], m["text"]) for m in room_messages(api, answer["room_id"])] == [
        ("IN", "Is it still on?"),
        ("OUT", "Yes, until Sunday!"),
    ]
    assert api.get(f"/api/v1/campaigns/{cid}")["reply_count"] == 1
