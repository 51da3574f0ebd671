"""SMS & Voice Direct / WhatsApp Direct inbound over real HTTP: the signed webhook, an unknown
caller auto-onboarded (INCOMPLETE + room + welcome), a blocked caller (BLOCKED + held), onboard,
unblock, duplicates, and bad deliveries that change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.providers.direct import LoopbackDirectProvider
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.rooms.helpers import make_user, post_direct, problem

VIRTUAL = "+14155550100"
STRANGER, SPAMMER = "+14155550199", "+14155550198"


def _messages(api: ApiClient, room: int, held: bool = False) -> list[dict[str, Any]]:
    q = "?include_held=true" if held else ""
    items: list[dict[str, Any]] = api.get(f"/api/v1/rooms/{room}/messages{q}")["items"]
    return items


def _contacts(api: ApiClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/api/v1/contacts?network=SMS_DIRECT")["items"]
    return items


def test_direct_inbound_both_ways_onboard_and_unblock(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker
) -> None:
    outbox = LoopbackDirectProvider()
    ctx.direct = outbox
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)

    # An unknown number writes: INCOMPLETE contact (phone only), a room, RECEIVED, welcome SENT.
    body = {"network": "SMS_DIRECT", "from": STRANGER, "to": VIRTUAL, "text": "hi", "id": "m1"}
    status, got = post_direct(live_server.url, body)
    assert (status, got["contact_status"], got["message_status"]) == (200, "INCOMPLETE", "RECEIVED")
    contact = api.get(f"/api/v1/contacts/{got['contact_id']}")
    assert (contact["phone"], contact["first_name"], contact["owner_user_id"]) == (
        STRANGER,
        None,
        owner,
    )
    room = api.get(f"/api/v1/rooms/{got['room_id']}")
    assert (room["network"], room["owner_user_id"], room["status"]) == (
        "SMS_DIRECT",
        owner,
        "ACTIVE",
    )
    msgs = _messages(api, room["id"])
    assert [(m["direction"], m["kind"], m["status"]) for m in msgs] == [
        ("IN", "TEXT", "RECEIVED"),
        ("OUT", "WELCOME", "SENT"),
    ]
    assert [m.from_phone for m in outbox.sent_to(STRANGER)] == [VIRTUAL]

    # The same delivery again: nothing new.
    status, again = post_direct(live_server.url, body)
    assert (status, again["duplicate"], again["message_id"]) == (200, True, got["message_id"])
    assert len(_messages(api, room["id"])) == 2 and len(outbox.sent_to(STRANGER)) == 1

    # A call from the same number lands in the same room.
    _, call = post_direct(
        live_server.url, {"network": "SMS_DIRECT", "from": STRANGER, "to": VIRTUAL, "kind": "call"}
    )
    assert call["room_id"] == room["id"] and len(_contacts(api)) == 1

    # Onboard: the profile completed → CONFIRMED on SMS-Direct.
    out = api.post(
        f"/api/v1/contacts/{got['contact_id']}/onboard",
        {"first_name": "Sam", "last_name": "Stranger", "email": "sam@example.com"},
    )
    assert (out["contact"]["status"], out["contact"]["first_name"]) == ("CONFIRMED", "Sam")
    status, err = problem(lambda: api.post(f"/api/v1/contacts/{got['contact_id']}/onboard", {}))
    assert (status, err["code"]) == (409, "illegal_transition")  # CONFIRMED: not again

    # A number on the user's block list: BLOCKED, message HELD, no welcome.
    api.post(f"/api/v1/users/{owner}/blocked-numbers", {"phone": SPAMMER, "reason": "SPAM"})
    listed = api.get(f"/api/v1/users/{owner}/blocked-numbers")
    assert [(b["phone"], b["reason"]) for b in listed] == [(SPAMMER, "SPAM")]
    _, blocked = post_direct(
        live_server.url,
        {"network": "SMS_DIRECT", "from": SPAMMER, "to": VIRTUAL, "text": "buy now", "id": "s1"},
    )
    assert (blocked["contact_status"], blocked["message_status"]) == ("BLOCKED", "HELD")
    assert _messages(api, blocked["room_id"]) == []  # not delivered to the room
    assert [m["status"] for m in _messages(api, blocked["room_id"], held=True)] == ["HELD"]
    assert outbox.sent_to(SPAMMER) == []

    # Unblock: BLOCKED → INCOMPLETE, the held message released, the welcome sent, off the list.
    out = api.post(f"/api/v1/contacts/{blocked['contact_id']}/unblock")
    assert (out["contact"]["status"], out["released_messages"]) == ("INCOMPLETE", 1)
    msgs = _messages(api, blocked["room_id"])
    assert [(m["direction"], m["status"]) for m in msgs] == [("IN", "RECEIVED"), ("OUT", "SENT")]
    assert len(outbox.sent_to(SPAMMER)) == 1
    assert api.get(f"/api/v1/users/{owner}/blocked-numbers") == []
    history = api.get(f"/api/v1/contacts/{blocked['contact_id']}/history")
    assert [h["event"] for h in history] == ["auto_onboard_blocked", "unblocked"]


def test_onboard_releases_held_on_whatsapp_direct(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    api.post(
        f"/api/v1/users/{owner}/blocked-numbers",
        {"phone": SPAMMER, "reason": "COMPLIANCE", "comment": "legal hold"},
    )
    body = {"network": "WHATSAPP_DIRECT", "from": SPAMMER, "to": VIRTUAL, "text": "x", "id": "w1"}
    _, got = post_direct(live_server.url, body)
    assert got["contact_status"] == "BLOCKED"
    out = api.post(
        f"/api/v1/contacts/{got['contact_id']}/onboard", {"first_name": "Al", "last_name": "Lee"}
    )
    # WhatsApp-Direct: onboarding leads to "no status" (DESIGN.md §2.3).
    assert (out["contact"]["status"], out["released_messages"]) == (None, 1)
    room = api.get(f"/api/v1/rooms/{got['room_id']}")
    assert room["status"] == "ACTIVE"  # the released message opened the 24 h window


def test_bad_deliveries_change_nothing(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    good = {"network": "SMS_DIRECT", "from": STRANGER, "to": VIRTUAL, "text": "hi"}
    raw = json.dumps(good).encode()

    cases: list[tuple[Callable[[], tuple[int, Any]], int]] = [
        (lambda: post_direct(live_server.url, good, signature=None), 401),
        (lambda: post_direct(live_server.url, good, signature="sha256=" + "0" * 64), 401),
        (lambda: post_direct(live_server.url, raw + b" ", signature="sha256=" + "1" * 64), 401),
        (lambda: post_direct(live_server.url, b"{not json"), 400),
        (lambda: post_direct(live_server.url, {**good, "network": "LINE"}), 422),
        (lambda: post_direct(live_server.url, {**good, "from": "not a phone"}), 422),
        (lambda: post_direct(live_server.url, {**good, "to": "+14155550111"}), 422),
        (lambda: post_direct(live_server.url, {**good, "kind": "fax"}), 422),
    ]
    for call, expected in cases:
        status, body = call()
        assert status == expected, body
        assert body["status"] == expected and body["detail"]
    assert _contacts(api) == [] and api.get("/api/v1/rooms")["items"] == []
