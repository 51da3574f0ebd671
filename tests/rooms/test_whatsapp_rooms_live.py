"""WhatsApp rooms over real HTTP: our API, webhook receiver and loops under uvicorn, the
simulator playing Meta. The welcome probe both ways, the customer-service window, networks not
mixed, the last contact removed, another workspace's room."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import make_contact, make_user, problem, wait_for

GOOD, BAD = "+14155550123", "+447911123456"


def _setup(
    ctx: AppContext, simulator: SimHandle, factory: Callable[..., LiveServer], keys: KeyMaker
) -> tuple[ApiClient, int, int]:
    sender = new_sender(ctx, phone_number_id="7007", access_token="tok-7007")
    simulator.add_number("7007", "tok-7007")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server = factory(loops=True)
    simulator.configure(webhook_url=server.whatsapp_webhook_url)
    api = ApiClient(server.url, keys.create())
    owner = make_user(api, "owner@x.test")
    return api, sender, owner


def _contact(api: ApiClient, cid: int) -> dict[str, Any]:
    result: dict[str, Any] = api.get(f"/api/v1/contacts/{cid}")
    return result


def _messages(api: ApiClient, room: int, **q: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in q.items())
    items: list[dict[str, Any]] = api.get(f"/api/v1/rooms/{room}/messages?{query}")["items"]
    return items


def test_welcome_probe_both_ways_and_room_lifecycle(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender, owner = _setup(ctx, simulator, live_server_factory, keys)
    simulator.not_on_whatsapp(BAD)
    bad = make_contact(api, "WHATSAPP", owner, BAD)
    good = make_contact(api, "WHATSAPP", owner, GOOD, email="b@example.com")
    assert _contact(api, bad)["status"] is None  # no status until added to a room
    room = api.post(
        "/api/v1/rooms",
        {"name": "Deal", "network": "WHATSAPP", "owner_user_id": owner, "sender_id": sender},
    )
    assert room["status"] == "ACTIVE" and [m["id"] for m in room["members"]] == [owner]
    rid = room["id"]

    # Not on WhatsApp: failed 131026 → UNAVAILABLE and a system message in the room.
    api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": bad})
    wait_for(lambda: _contact(api, bad)["status"] == "UNAVAILABLE")
    msgs = wait_for(lambda: [m for m in _messages(api, rid) if m["direction"] == "SYSTEM"])
    assert "no WhatsApp account" in msgs[0]["text"]
    welcome = [m for m in _messages(api, rid) if m["kind"] == "WELCOME"]
    assert [(w["status"], w["error_code"]) for w in welcome] == [("FAILED", 131026)]
    assert simulator.sent_to(BAD) == 1
    history = api.get(f"/api/v1/contacts/{bad}/history")
    assert [h["event"] for h in history][-1] == "welcome_not_on_whatsapp"

    # Removing the last contact deactivates the room; re-adding reactivates it, no new probe.
    out = api.request("DELETE", f"/api/v1/rooms/{rid}/contacts/{bad}")
    assert out["status"] == "DEACTIVATED"
    out = api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": bad})
    assert out["status"] == "LIMITED"
    assert len([m for m in _messages(api, rid) if m["kind"] == "WELCOME"]) == 1
    assert _contact(api, bad)["status"] == "UNAVAILABLE"

    # On WhatsApp: the welcome goes out → CONFIRMED.
    api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": good})
    wait_for(lambda: _contact(api, good)["status"] == "CONFIRMED")
    assert simulator.sent_to(GOOD) == 1
    sent = simulator.sent(GOOD)[0]
    assert sent["template"] == ctx.settings.welcome_template

    # A contact of another network is refused, with a clear problem.
    sms = make_contact(api, "SMS_DIRECT", owner, "+14155550777")
    status, body = problem(lambda: api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": sms}))
    assert (status, body["code"]) == (409, "room_network_mismatch")
    assert sms not in [c["id"] for c in api.get(f"/api/v1/rooms/{rid}")["contacts"]]

    # Another workspace sees nothing.
    other = ApiClient(api.base_url, keys.create(workspace="other"))
    status, _ = problem(lambda: other.get(f"/api/v1/rooms/{rid}"))
    assert status == 404
    status, _ = problem(lambda: other.post(f"/api/v1/rooms/{rid}/messages", {"text": "hi"}))
    assert status == 404

    # Deleting contacts takes them out of their rooms; the last one deactivates the room.
    api.request("DELETE", f"/api/v1/contacts/{bad}")
    api.request("DELETE", f"/api/v1/contacts/{good}")
    after = api.get(f"/api/v1/rooms/{rid}")
    assert (after["status"], after["contacts"]) == ("DEACTIVATED", [])


def test_customer_service_window(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender, owner = _setup(ctx, simulator, live_server_factory, keys)
    good = make_contact(api, "WHATSAPP", owner, GOOD)
    rid = api.post(
        "/api/v1/rooms",
        {"name": "Chat", "network": "WHATSAPP", "owner_user_id": owner, "sender_id": sender},
    )["id"]
    added = api.post(f"/api/v1/rooms/{rid}/contacts", {"contact_id": good})
    assert added["status"] == "LIMITED"  # the contact has not written: its window is closed
    wait_for(lambda: _contact(api, good)["status"] == "CONFIRMED")
    before = len(_messages(api, rid))

    status, body = problem(lambda: api.post(f"/api/v1/rooms/{rid}/messages", {"text": "late"}))
    assert (status, body["code"]) == (409, "template_required")
    assert "template" in body["detail"] and "24 hours" in body["detail"]
    assert len(_messages(api, rid)) == before  # nothing written

    # A template is allowed outside the window.
    tpl = {"template": {"name": "order_update", "language": "en", "body_params": ["42"]}}
    out = api.post(f"/api/v1/rooms/{rid}/messages", tpl)
    assert [m["kind"] for m in out["items"]] == ["TEMPLATE"]

    # The contact writes: RECEIVED in the room, window open, room ACTIVE, free-form accepted.
    simulator.inbound("7007", GOOD.lstrip("+"), "hello there")
    received = wait_for(lambda: [m for m in _messages(api, rid) if m["direction"] == "IN"])
    assert (received[0]["status"], received[0]["text"]) == ("RECEIVED", "hello there")
    room = wait_for(lambda: (r := api.get(f"/api/v1/rooms/{rid}"))["status"] == "ACTIVE" and r)
    assert room["contacts"][0]["window_expires_at"] is not None
    out = api.post(f"/api/v1/rooms/{rid}/messages", {"text": "thanks, on it"})
    mid = out["items"][0]["id"]
    wait_for(
        lambda: [
            m
            for m in _messages(api, rid)
            if m["id"] == mid and m["status"] in ("SENT", "DELIVERED", "READ")
        ]
    )
    assert [s["text"] for s in simulator.sent(GOOD) if s["text"]] == ["thanks, on it"]
