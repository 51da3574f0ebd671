"""The TCPA opt-in step on SMS & Voice Direct (issue 16; seed: "US recipients get a TCPA
opt-in/opt-out step first and receive nothing until they opt in"), over real HTTP with the
simulator playing Twilio: a US contact added to a room gets the opt-in request and nothing else;
what is queued waits; a reply that is not a keyword changes nothing; YES releases it all, in
order. A non-US number is not asked; a texter who wrote first is not asked; a request left
unanswered for 30 days fails what waited, with the reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.providers.direct import LoopbackDirectProvider
from relaybird.rooms import consent, outbound
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import make_contact, make_user, wait_for
from tests.rooms.test_twilio_live import VIRTUAL, _connect, _messages, _sent, _text

ADA, LONDON = "+14155550150", "+447911123456"


def _room_with(api: ApiClient, owner: int, contact: int) -> int:
    room = api.post(
        "/api/v1/rooms", {"name": "Deal", "network": "SMS_DIRECT", "owner_user_id": owner}
    )
    api.post(f"/api/v1/rooms/{room['id']}/contacts", {"contact_id": contact})
    return int(room["id"])


def _out(api: ApiClient, room: int) -> list[tuple[str, str]]:
    return [(m["kind"], m["status"]) for m in _messages(api, room) if m["direction"] == "OUT"]


def test_a_us_contact_gets_the_opt_in_request_first_and_the_rest_after_yes(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _connect(ctx, live_server, simulator, api)
    ada = make_contact(api, "SMS_DIRECT", owner, ADA)
    room = _room_with(api, owner, ada)

    # Adding her queued the welcome; what went out is the opt-in request, alone.
    wait_for(lambda: len(_sent(simulator, ADA)) == 1)
    [request] = _sent(simulator, ADA)
    assert request["from"] == VIRTUAL and "Reply YES" in request["body"]
    assert "Grace Agent" in request["body"]
    assert api.get(f"/api/v1/contacts/{ada}")["sms_consent"] == "PENDING"
    wait_for(lambda: ("OPT_IN", "DELIVERED") in _out(api, room))
    welcome = next(m for m in _messages(api, room) if m["kind"] == "WELCOME")
    assert (welcome["status"], welcome["error_title"]) == ("PENDING", consent.WAITING)

    # A user's message waits too; a reply that is not YES/START releases nothing.
    api.post(f"/api/v1/rooms/{room}/messages", {"text": "Hi Ada, your statement is ready."})
    assert _text(simulator, ADA, "who is this?")["status"] == 200
    assert [m["text"] for m in _messages(api, room) if m["direction"] == "IN"] == ["who is this?"]
    assert len(_sent(simulator, ADA)) == 1
    assert api.get(f"/api/v1/contacts/{ada}")["sms_consent"] == "PENDING"

    # YES: opted in; the welcome and the message go out, in that order.
    assert _text(simulator, ADA, "Yes")["status"] == 200
    assert api.get(f"/api/v1/contacts/{ada}")["sms_consent"] == "OPTED_IN"
    wait_for(lambda: len(_sent(simulator, ADA)) == 3)
    bodies = [m["body"] for m in _sent(simulator, ADA)]
    assert bodies[2] == "Hi Ada, your statement is ready." and "connected" in bodies[1]
    wait_for(
        lambda: (
            _out(api, room)
            == [("WELCOME", "DELIVERED"), ("OPT_IN", "DELIVERED"), ("TEXT", "DELIVERED")]
        )
    )
    # STOP withdraws it: nothing more goes out.
    _text(simulator, ADA, "STOP")
    assert api.get(f"/api/v1/contacts/{ada}")["sms_consent"] == "OPTED_OUT"
    api.post(f"/api/v1/rooms/{room}/messages", {"text": "Still there?"})
    wait_for(lambda: _out(api, room)[-1] == ("TEXT", "FAILED"))
    assert len(_sent(simulator, ADA)) == 3


def test_non_us_numbers_and_first_texters_are_not_asked(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _connect(ctx, live_server, simulator, api)
    london = make_contact(api, "SMS_DIRECT", owner, LONDON)
    room = _room_with(api, owner, london)
    wait_for(lambda: len(_sent(simulator, LONDON)) == 1)
    assert "Reply YES" not in _sent(simulator, LONDON)[0]["body"]
    assert api.get(f"/api/v1/contacts/{london}")["sms_consent"] is None
    wait_for(lambda: _out(api, room) == [("WELCOME", "DELIVERED")])

    # A US number that texts first started the conversation: its welcome goes at once.
    _text(simulator, ADA, "hello?")
    wait_for(lambda: len(_sent(simulator, ADA)) == 1)
    assert "Reply YES" not in _sent(simulator, ADA)[0]["body"]
    [contact] = [c for c in api.get("/api/v1/contacts")["items"] if c["phone"] == ADA]
    assert contact["sms_consent"] == "OPTED_IN"


def test_an_unanswered_request_fails_what_waited_after_30_days(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker, clock: ManualClock
) -> None:
    outbox = LoopbackDirectProvider()  # stands in for the carrier
    ctx.direct = outbox
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    ada = make_contact(api, "SMS_DIRECT", owner, ADA)
    room = _room_with(api, owner, ada)
    assert [m.text[:20] for m in outbox.sent_to(ADA)] == ["Grace Agent would li"]

    clock.advance(timedelta(days=29))
    assert asyncio.run(outbound.deliver(ctx)) == 0  # still waiting, not due
    clock.advance(timedelta(days=1))
    assert asyncio.run(outbound.deliver(ctx)) == 1
    welcome: dict[str, Any] = next(m for m in _messages(api, room) if m["kind"] == "WELCOME")
    assert (welcome["status"], welcome["error_title"]) == ("FAILED", consent.NO_OPT_IN)
    assert len(outbox.sent_to(ADA)) == 1


def test_a_failed_request_is_asked_again_by_the_next_message(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _connect(ctx, live_server, simulator, api)
    # Twilio refuses the first request outright (a permanent error): FAILED, nothing sent.
    simulator.request("POST", "/_sim/twilio/faults", {"kind": "error", "code": 21211})
    ada = make_contact(api, "SMS_DIRECT", owner, ADA)
    room = _room_with(api, owner, ada)
    wait_for(lambda: ("OPT_IN", "FAILED") in _out(api, room))
    assert _sent(simulator, ADA) == []
    # The next message that must wait asks again; this request goes out.
    api.post(f"/api/v1/rooms/{room}/messages", {"text": "Hi Ada"})
    wait_for(lambda: len(_sent(simulator, ADA)) == 1)
    assert "Reply YES" in _sent(simulator, ADA)[0]["body"]
    kinds = [k for k, _ in _out(api, room)]
    assert kinds.count("OPT_IN") == 2 and kinds.count("WELCOME") == 1
    assert api.get(f"/api/v1/contacts/{ada}")["sms_consent"] == "PENDING"
