"""The Twilio adapter against the simulator over real HTTP: sends, status callbacks signed as
Twilio signs them, inbound SMS and calls answered with TwiML, every error class."""

from __future__ import annotations

import socket

import pytest

from relaybird.providers.channel import CallbackReply, CallbackRequest, OutboundText
from relaybird.providers.channel_events import (
    DeliveryState,
    InboundCall,
    InboundText,
    Keyword,
    StatusUpdate,
)
from relaybird.providers.port import ErrorKind, ProviderCallFailed, RecipientEffect, SendResult
from relaybird.providers.twilio import twiml
from relaybird.providers.twilio.client import TwilioAccount, TwilioChannel
from tests.fixtures.simulator import SimHandle
from tests.providers.helpers import run
from tests.providers.receiver import Receiver

SID = "AC" + "1" * 32
TOKEN = "twilio-auth-token"
OURS = "+12025550100"
THEIRS = "+12025550199"


def setup(sim: SimHandle, receiver: Receiver, **extra: object) -> TwilioAccount:
    sim.request(
        "POST",
        "/_sim/twilio/accounts",
        {
            "account_sid": SID,
            "auth_token": TOKEN,
            "api_keys": {"SK" + "2" * 32: "key-secret"},
            "numbers": {
                OURS: {"sms_url": receiver.url + "/sms", "voice_url": receiver.url + "/voice"}
            },
            **extra,
        },
    )
    return TwilioAccount(SID, TOKEN, status_callback_url=receiver.url + "/status?c=1")


def send(
    sim: SimHandle, account: TwilioAccount, message: OutboundText, base: str | None = None
) -> SendResult:
    async def go() -> SendResult:
        channel = TwilioChannel(base or sim.url + "/twilio")
        try:
            return await channel.send_text(account, message)
        finally:
            await channel.close()

    return run(go())


def test_a_text_is_accepted_then_sent_and_delivered_with_signed_callbacks(
    simulator: SimHandle, receiver: Receiver
) -> None:
    account = setup(simulator, receiver)
    result = send(
        simulator,
        account,
        OutboundText(THEIRS, "Hello from relaybird", sender=OURS, callback_data="m:7"),
    )
    assert result.accepted and result.message_id is not None and result.message_id.startswith("SM")
    [record] = simulator.request("GET", "/_sim/twilio/messages")["items"]
    assert (record["to"], record["from"], record["body"]) == (THEIRS, OURS, "Hello from relaybird")
    channel = TwilioChannel(simulator.url + "/twilio")
    sent, delivered = receiver.wait_for(2)
    events = []
    for request in (sent, delivered):
        assert request.query["rb"] == "m:7" and request.query["c"] == "1"
        assert channel.verify(account, request)
        [event] = channel.parse(account, request)
        assert isinstance(event, StatusUpdate)
        events.append(event)
    assert [e.state for e in events] == [DeliveryState.SENT, DeliveryState.DELIVERED]
    assert {e.message_id for e in events} == {result.message_id}
    assert all(e.callback_data == "m:7" for e in events)
    assert "RawDlrDoneDate" in events[1].raw


def test_an_api_key_authenticates_sends(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    account = TwilioAccount(SID, TOKEN, api_key_sid="SK" + "2" * 32, api_key_secret="key-secret")
    assert send(simulator, account, OutboundText(THEIRS, "hi", sender=OURS)).accepted
    wrong = TwilioAccount(SID, TOKEN, api_key_sid="SK" + "2" * 32, api_key_secret="nope")
    error = send(simulator, wrong, OutboundText(THEIRS, "hi", sender=OURS)).error
    assert error is not None and (error.code, error.kind) == (20003, ErrorKind.SENDER_STOP)


def test_a_failed_delivery_comes_back_classified(simulator: SimHandle, receiver: Receiver) -> None:
    account = setup(simulator, receiver)
    simulator.request(
        "POST", "/_sim/twilio/faults", {"kind": "undelivered", "code": 30005, "to": THEIRS}
    )
    assert send(
        simulator, account, OutboundText(THEIRS, "hi", sender=OURS, callback_data="m:1")
    ).accepted
    _, last = receiver.wait_for(2)
    [event] = TwilioChannel("x").parse(account, last)
    assert isinstance(event, StatusUpdate) and event.state is DeliveryState.FAILED
    assert event.error is not None and event.error.code == 30005
    assert event.error.recipient_effect is RecipientEffect.INVALID_ADDRESS


@pytest.mark.parametrize(
    ("message", "code", "kind"),
    [
        (OutboundText("12345", "hi", sender=OURS), 21211, ErrorKind.RECIPIENT_PERMANENT),
        (OutboundText(THEIRS, "hi", sender="+12025550177"), 21606, ErrorKind.SENDER_STOP),
        (OutboundText(THEIRS, "", sender=OURS), 21602, ErrorKind.TEMPLATE_STOP),
        (OutboundText(THEIRS, "x" * 1601, sender=OURS), 21617, ErrorKind.TEMPLATE_STOP),
    ],
)
def test_refusals_are_classified(
    simulator: SimHandle, receiver: Receiver, message: OutboundText, code: int, kind: ErrorKind
) -> None:
    account = setup(simulator, receiver)
    error = send(simulator, account, message).error
    assert error is not None and (error.code, error.kind) == (code, kind)
    assert simulator.request("GET", "/_sim/twilio/messages")["count"] == 0


def test_scripted_errors_and_bad_credentials(simulator: SimHandle, receiver: Receiver) -> None:
    account = setup(simulator, receiver)
    simulator.request("POST", "/_sim/twilio/faults", {"kind": "error", "code": 20429})
    error = send(simulator, account, OutboundText(THEIRS, "hi", sender=OURS)).error
    assert error is not None and (error.code, error.kind) == (20429, ErrorKind.SENDER_TRANSIENT)
    error = send(
        simulator, TwilioAccount(SID, "wrong"), OutboundText(THEIRS, "hi", sender=OURS)
    ).error
    assert error is not None and (error.code, error.kind) == (20003, ErrorKind.SENDER_STOP)


def test_stop_blocks_the_pair_until_start(simulator: SimHandle, receiver: Receiver) -> None:
    account = setup(simulator, receiver)
    channel = TwilioChannel(simulator.url + "/twilio")
    receiver.respond = channel.acknowledge
    answer = simulator.request(
        "POST", "/_sim/twilio/inbound-sms", {"from": THEIRS, "to": OURS, "body": "stop"}
    )
    assert answer["status"] == 200 and answer["answer"] == twiml.empty().decode()
    [request] = receiver.wait_for(1)
    assert channel.verify(account, request)
    [event] = channel.parse(account, request)
    assert isinstance(event, InboundText) and event.keyword is Keyword.OPT_OUT
    error = send(simulator, account, OutboundText(THEIRS, "hi", sender=OURS)).error
    assert error is not None and error.code == 21610
    assert error.recipient_effect is RecipientEffect.OPTED_OUT
    simulator.request(
        "POST", "/_sim/twilio/inbound-sms", {"from": THEIRS, "to": OURS, "body": "START"}
    )
    assert send(simulator, account, OutboundText(THEIRS, "welcome back", sender=OURS)).accepted


def test_a_call_is_answered_with_our_twiml(simulator: SimHandle, receiver: Receiver) -> None:
    account = setup(simulator, receiver)
    channel = TwilioChannel(simulator.url + "/twilio")

    def respond(request: CallbackRequest) -> CallbackReply:
        assert channel.verify(account, request)
        [event] = channel.parse(account, request)
        assert isinstance(event, InboundCall)
        return channel.answer_call(
            twiml.CallAnswer(forward_to="+12025550123", caller_id=event.caller)
        )

    receiver.respond = respond
    answer = simulator.request("POST", "/_sim/twilio/inbound-call", {"from": THEIRS, "to": OURS})
    assert answer["status"] == 200
    assert '<Dial callerId="+12025550199"><Number>+12025550123</Number></Dial>' in answer["answer"]
    assert answer["content_type"].startswith("text/xml")


def test_forged_and_altered_callbacks_are_refused(simulator: SimHandle, receiver: Receiver) -> None:
    account = setup(simulator, receiver)
    simulator.request(
        "POST", "/_sim/twilio/inbound-sms", {"from": THEIRS, "to": OURS, "body": "hi"}
    )
    [request] = receiver.wait_for(1)
    channel = TwilioChannel("x")
    assert channel.verify(account, request)
    altered = CallbackRequest(
        request.method, request.url, request.headers, request.body.replace(b"hi", b"yo")
    )
    assert not channel.verify(account, altered)
    moved = CallbackRequest(request.method, request.url + "?x=1", request.headers, request.body)
    assert not channel.verify(account, moved)
    assert not channel.verify(TwilioAccount(SID, "other-token"), request)
    unsigned = CallbackRequest(request.method, request.url, {}, request.body)
    assert not channel.verify(account, unsigned)


def test_fetch_a_message_and_unreachable_api(simulator: SimHandle, receiver: Receiver) -> None:
    account = setup(simulator, receiver)
    result = send(simulator, account, OutboundText(THEIRS, "hi", sender=OURS))
    receiver.wait_for(2)

    async def fetch(sid: str) -> str:
        channel = TwilioChannel(simulator.url + "/twilio")
        try:
            return (await channel.fetch_message(account, sid)).status
        finally:
            await channel.close()

    assert run(fetch(str(result.message_id))) == "delivered"
    with pytest.raises(ProviderCallFailed) as caught:
        run(fetch("SM" + "0" * 32))
    assert caught.value.error.code == 20404

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = send(
        simulator, account, OutboundText(THEIRS, "hi", sender=OURS), f"http://127.0.0.1:{port}"
    ).error
    assert error is not None and error.kind is ErrorKind.SENDER_TRANSIENT and not error.ambiguous
