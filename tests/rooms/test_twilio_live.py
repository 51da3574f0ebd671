"""SMS & Voice Direct through Twilio end to end (issue 16 item 2), over real HTTP: the simulator
plays Twilio, our live server is the webhook. An unknown texter becomes an INCOMPLETE contact
with a room and a welcome actually sent through Twilio's API, its status callbacks moving the
room message to DELIVERED; a blocked number is held and released by unblock; a call is answered
with TwiML; an undelivered message is FAILED with Twilio's code; forged signatures change
nothing; without a connector nothing is pretended sent."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.providers.twilio import signature
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import make_user, wait_for

SID = "AC" + "5" * 32
TOKEN = "twilio-auth-token-live"
VIRTUAL = "+14155550100"
STRANGER, SPAMMER, OTHER = "+14155550199", "+14155550198", "+14155550197"


def _connect(ctx: AppContext, server: LiveServer, sim: SimHandle, api: ApiClient) -> str:
    ctx.settings = ctx.settings.model_copy(
        update={"public_url": server.url, "twilio_api_url": sim.url + "/twilio"}
    )
    made = api.post(
        "/api/v1/connectors",
        {
            "network": "SMS_DIRECT",
            "name": "Twilio",
            "account_sid": SID,
            "auth_token": TOKEN,
            "call_message": "Please send us a text.",
        },
    )
    hook = str(made["webhook_url"])
    assert hook == f"{server.url}/webhooks/twilio/{made['id']}"
    hooks = {"sms_url": hook, "voice_url": hook}
    sim.request(
        "POST",
        "/_sim/twilio/accounts",
        {"account_sid": SID, "auth_token": TOKEN, "numbers": {VIRTUAL: hooks}},
    )
    return hook


def _messages(api: ApiClient, room: int, held: bool = False) -> list[dict[str, Any]]:
    q = "?include_held=true" if held else ""
    items: list[dict[str, Any]] = api.get(f"/api/v1/rooms/{room}/messages{q}")["items"]
    return items


def _sent(sim: SimHandle, to: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = sim.request(
        "GET", f"/_sim/twilio/messages?to={urllib.parse.quote(to)}"
    )["items"]
    return items


def _contacts(api: ApiClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/api/v1/contacts?network=SMS_DIRECT")["items"]
    return items


def _text(sim: SimHandle, sender: str, body: str) -> dict[str, Any]:
    got: dict[str, Any] = sim.request(
        "POST", "/_sim/twilio/inbound-sms", {"from": sender, "to": VIRTUAL, "body": body}
    )
    return got


def _post_form(url: str, params: dict[str, str], sig: str | None) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sig is not None:
        headers["X-Twilio-Signature"] = sig
    req = urllib.request.Request(
        url, data=urllib.parse.urlencode(params).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_sms_direct_through_twilio_end_to_end(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    hook = _connect(ctx, live_server, simulator, api)

    # An unknown number texts the virtual number: INCOMPLETE, a room, the text RECEIVED, and the
    # welcome sent through Twilio's API from the virtual number; its callbacks → DELIVERED.
    answer = _text(simulator, STRANGER, "hello, is this Grace?")
    assert answer["status"] == 200 and "<Response />" in answer["answer"], answer
    [contact] = _contacts(api)
    assert (contact["phone"], contact["status"], contact["owner_user_id"]) == (
        STRANGER,
        "INCOMPLETE",
        owner,
    )
    [room] = api.get("/api/v1/rooms")["items"]
    [welcome] = _sent(simulator, STRANGER)
    assert welcome["from"] == VIRTUAL and welcome["body"]
    wait_for(lambda: [m["status"] for m in _messages(api, room["id"])] == ["RECEIVED", "DELIVERED"])
    msgs = _messages(api, room["id"])
    assert (msgs[0]["direction"], msgs[0]["kind"], msgs[0]["text"]) == (
        "IN",
        "TEXT",
        "hello, is this Grace?",
    )
    assert msgs[1]["kind"] == "WELCOME"

    # The same SMS redelivered by Twilio (same MessageSid) is one message.
    items = simulator.request("GET", "/_sim/twilio/callbacks?bodies=1")["items"]
    first = next(i for i in items if i["label"] == "inbound-sms")
    params = dict(urllib.parse.parse_qsl(first["body"]))
    assert _post_form(hook, params, signature.compute(hook, params, TOKEN)) == 200
    assert len(_messages(api, room["id"])) == 2

    # A user's reply goes out through Twilio; an undelivered one is FAILED with Twilio's code.
    simulator.request("POST", "/_sim/twilio/faults", {"kind": "undelivered", "code": 30005})
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Yes, Grace here."})
    wait_for(lambda: _messages(api, room["id"])[-1]["status"] == "FAILED")
    assert _messages(api, room["id"])[-1]["error_code"] == 30005
    assert [m["body"] for m in _sent(simulator, STRANGER)][-1] == "Yes, Grace here."

    # A call: answered with the connector's spoken message; the call is in the room.
    call = simulator.request("POST", "/_sim/twilio/inbound-call", {"from": STRANGER, "to": VIRTUAL})
    assert call["status"] == 200 and "<Say>Please send us a text.</Say>" in call["answer"]
    assert [m["kind"] for m in _messages(api, room["id"])][-1] == "CALL"

    # A number on the user's block list: BLOCKED, HELD, nothing sent; unblock releases it and
    # the welcome goes out through Twilio.
    api.post(f"/api/v1/users/{owner}/blocked-numbers", {"phone": SPAMMER, "reason": "SPAM"})
    assert _text(simulator, SPAMMER, "buy now")["status"] == 200
    spam = next(c for c in _contacts(api) if c["phone"] == SPAMMER)
    assert spam["status"] == "BLOCKED" and _sent(simulator, SPAMMER) == []
    [spam_room] = [r for r in api.get("/api/v1/rooms")["items"] if r["id"] != room["id"]]
    assert _messages(api, spam_room["id"]) == []
    assert [m["status"] for m in _messages(api, spam_room["id"], held=True)] == ["HELD"]
    out = api.post(f"/api/v1/contacts/{spam['id']}/unblock")
    assert (out["contact"]["status"], out["released_messages"]) == ("INCOMPLETE", 1)
    wait_for(lambda: len(_sent(simulator, SPAMMER)) == 1)
    wait_for(
        lambda: [m["status"] for m in _messages(api, spam_room["id"])] == ["RECEIVED", "DELIVERED"]
    )


def test_forged_twilio_callbacks_change_nothing(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    hook = _connect(ctx, live_server, simulator, api)
    params = {
        "AccountSid": SID,
        "MessageSid": "SM" + "9" * 32,
        "From": OTHER,
        "To": VIRTUAL,
        "Body": "forged",
        "NumMedia": "0",
    }
    good = signature.compute(hook, params, TOKEN)
    forged = [
        (hook, params, None),
        (hook, params, "not-a-signature"),
        (hook, params, signature.compute(hook, params, "another-token")),
        (hook, {**params, "Body": "altered"}, good),
        (hook + "?rb=m:1", params, good),
    ]
    for url, body, sig in forged:
        assert _post_form(url, body, sig) == 401
    # A connector that does not exist.
    assert _post_form(hook.rsplit("/", 1)[0] + "/999", params, good) == 404
    assert _contacts(api) == [] and api.get("/api/v1/rooms")["items"] == []
    # The genuine one goes through.
    assert _post_form(hook, params, good) == 200
    assert [c["phone"] for c in _contacts(api)] == [OTHER]


def test_without_a_connector_sms_is_failed_not_pretended_sent(
    ctx: AppContext, live_server: LiveServer, keys: KeyMaker
) -> None:
    from tests.rooms.helpers import post_direct

    api = ApiClient(live_server.url, keys.create())
    make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _, got = post_direct(
        live_server.url,
        {"network": "SMS_DIRECT", "from": STRANGER, "to": VIRTUAL, "text": "hi", "id": "x1"},
    )
    msgs = _messages(api, got["room_id"])
    assert [(m["kind"], m["status"]) for m in msgs] == [("TEXT", "RECEIVED"), ("WELCOME", "FAILED")]
    assert "no SMS_DIRECT connector" in msgs[1]["error_title"]


def test_stop_opts_out_and_start_opts_back_in(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _connect(ctx, live_server, simulator, api)

    # A first text that is STOP: the contact and room exist, but not even the welcome is sent.
    assert _text(simulator, STRANGER, "STOP")["status"] == 200
    [contact] = _contacts(api)
    assert contact["unfollowed_at"] is not None
    [room] = api.get("/api/v1/rooms")["items"]
    wait_for(lambda: _messages(api, room["id"])[-1]["status"] == "FAILED")
    assert "opted out" in _messages(api, room["id"])[-1]["error_title"]
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Are you there?"})
    wait_for(lambda: _messages(api, room["id"])[-1]["status"] == "FAILED")
    assert _sent(simulator, STRANGER) == []

    # START: reachable again.
    _text(simulator, STRANGER, "start")
    assert api.get(f"/api/v1/contacts/{contact['id']}")["unfollowed_at"] is None
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Welcome back."})
    # The welcome that could not go out goes now (a probe without a verdict is sent again).
    wait_for(lambda: len(_sent(simulator, STRANGER)) == 2)
    assert [m["body"] for m in _sent(simulator, STRANGER)][1] == "Welcome back."
    kinds = [m["kind"] for m in _sent_messages(api, room["id"])]
    assert kinds == ["WELCOME", "TEXT"]


def _sent_messages(api: ApiClient, room: int) -> list[dict[str, Any]]:
    return [m for m in _messages(api, room) if m["direction"] == "OUT" and m["wamid"]]


def test_a_stop_we_never_saw_is_learnt_from_twilio_21610(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker
) -> None:
    api = ApiClient(live_server.url, keys.create())
    make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _connect(ctx, live_server, simulator, api)
    _text(simulator, STRANGER, "hello")
    [room] = api.get("/api/v1/rooms")["items"]
    wait_for(lambda: len(_sent(simulator, STRANGER)) == 1)
    # The carrier takes a STOP while our webhook is not configured (we never see it).
    simulator.request(
        "POST",
        "/_sim/twilio/accounts",
        {"account_sid": SID, "auth_token": TOKEN, "numbers": {VIRTUAL: {}}},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        _text(simulator, STRANGER, "STOP")
    assert refused.value.code == 409  # no sms_url to forward it to
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "one"})
    wait_for(lambda: _messages(api, room["id"])[-1]["status"] == "FAILED")
    assert _messages(api, room["id"])[-1]["error_code"] == 21610
    [contact] = _contacts(api)
    assert contact["unfollowed_at"] is not None
    # From now on nothing is even tried.
    api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "two"})
    wait_for(lambda: _messages(api, room["id"])[-1]["status"] == "FAILED")
    last = _messages(api, room["id"])[-1]
    assert (last["error_code"], "opted out" in last["error_title"]) == (None, True)
    assert len(_sent(simulator, STRANGER)) == 1


OWN_PHONE = "+14155550142"  # the user's own phone, where their calls may be forwarded


def test_a_call_is_forwarded_to_the_users_own_phone_or_answered_with_the_message(
    ctx: AppContext, live_server: LiveServer, simulator: SimHandle, keys: KeyMaker, caplog: Any
) -> None:
    from relaybird.cli.apiclient import ApiError

    api = ApiClient(live_server.url, keys.create())
    owner = make_user(api, "agent@x.test", virtual_number=VIRTUAL)
    _connect(ctx, live_server, simulator, api)

    def call(caller: str) -> str:
        got = simulator.request(
            "POST", "/_sim/twilio/inbound-call", {"from": caller, "to": VIRTUAL}
        )
        assert got["status"] == 200, got
        return str(got["answer"])

    # No phone set: the connector's spoken message.
    assert "<Say>Please send us a text.</Say>" in call(STRANGER)

    # Forwarding on: <Dial> to the user's own phone, caller id the virtual number (Twilio).
    path = f"/api/v1/users/{owner}/call-forwarding"
    user = api.request("PUT", path, {"phone": "(415) 555-0142", "forward_calls": True})
    assert (user["forward_phone"], user["forward_calls"]) == (OWN_PHONE, True)
    answer = call(STRANGER)
    assert f'<Dial callerId="{VIRTUAL}"><Number>{OWN_PHONE}</Number></Dial>' in answer, answer
    assert "<Say>" not in answer

    # A bad phone is refused with 422 and nothing changes; so is forwarding on with no phone.
    for body in (
        {"phone": "12", "forward_calls": True},
        {"phone": "+1 415 555", "forward_calls": False},
    ):
        with pytest.raises(ApiError) as refused:
            api.request("PUT", path, body)
        assert refused.value.status == 422
        assert refused.value.body["errors"][0]["field"] == "phone"
    again = api.get(f"/api/v1/users/{owner}")
    assert (again["forward_phone"], again["forward_calls"]) == (OWN_PHONE, True)
    assert "<Dial" in call(STRANGER)

    # A blocked caller is never forwarded: held, and they hear the message.
    api.post(f"/api/v1/users/{owner}/blocked-numbers", {"phone": SPAMMER, "reason": "SPAM"})
    assert "<Say>Please send us a text.</Say>" in call(SPAMMER)

    # Forwarding off keeps the phone; the message answers again. Cleared: no phone.
    user = api.request("PUT", path, {"forward_calls": False})
    assert (user["forward_phone"], user["forward_calls"]) == (OWN_PHONE, False)
    assert "<Say>Please send us a text.</Say>" in call(STRANGER)
    user = api.request("DELETE", path)
    assert (user["forward_phone"], user["forward_calls"]) == (None, False)
    with pytest.raises(ApiError) as refused:
        api.request("PUT", path, {"forward_calls": True})
    assert refused.value.status == 422
    assert "<Say>Please send us a text.</Say>" in call(STRANGER)

    # Nothing logged the user's own phone (the formatter would mask it anyway).
    assert all(OWN_PHONE not in r.getMessage() for r in caplog.records)
