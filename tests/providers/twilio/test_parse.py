"""Every Twilio fixture parsed into typed events; TwiML as Twilio's SDK writes it; REST errors
read in both shapes."""

from __future__ import annotations

import pytest

from relaybird.providers.channel_events import (
    DeliveryState,
    InboundCall,
    InboundText,
    Keyword,
    StatusUpdate,
    Unknown,
)
from relaybird.providers.port import ErrorKind
from relaybird.providers.twilio import keywords, twiml, wire
from relaybird.providers.twilio.client import status_callback
from relaybird.providers.twilio.parse import parse
from tests.providers.helpers import fixture, fixture_json, form_request

URL = "https://relaybird.example/webhooks/twilio/1"


def _one(name: str, url: str = URL):  # type: ignore[no-untyped-def]
    [event] = parse(form_request(url, fixture_json("twilio", name)))
    return event


def test_inbound_sms() -> None:
    event = _one("inbound-sms--docs.json")
    assert isinstance(event, InboundText)
    assert (event.network, event.account, event.sender) == (
        "SMS_DIRECT",
        "+12025550100",
        "+12025550199",
    )
    assert event.text == "Ahoy! Let's build something amazing."
    assert event.message_id == event.event_id == "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
    assert event.keyword is None and event.media_count == 0
    assert event.raw["FromCity"] == "SAN FRANCISCO"


def test_a_stop_is_a_keyword_message() -> None:
    event = _one("inbound-sms-stop-advanced-optout--constructed.json")
    assert isinstance(event, InboundText) and event.keyword is Keyword.OPT_OUT


def test_inbound_call() -> None:
    event = _one("inbound-call--constructed.json")
    assert isinstance(event, InboundCall)
    assert (event.account, event.caller, event.status) == (
        "+12025550100",
        "+12025550199",
        "ringing",
    )
    assert event.event_id == "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:ringing"


@pytest.mark.parametrize(
    ("name", "state", "status"),
    [
        ("status-callback-sent--docs.json", DeliveryState.SENT, "sent"),
        ("status-callback-delivered--constructed.json", DeliveryState.DELIVERED, "delivered"),
        (
            "status-callback-undelivered-30003--constructed.json",
            DeliveryState.FAILED,
            "undelivered",
        ),
    ],
)
def test_status_callbacks(name: str, state: DeliveryState, status: str) -> None:
    event = _one(name, status_callback(URL, "m:42"))
    assert isinstance(event, StatusUpdate)
    assert event.state is state and event.provider_status == status
    assert event.message_id == "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    assert event.event_id == f"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:{status}"
    # Our callback data comes back in the (signed) StatusCallback URL.
    assert event.callback_data == "m:42"
    if status == "undelivered":
        assert event.error is not None and event.error.code == 30003
        assert event.error.kind is ErrorKind.RECIPIENT_TRANSIENT
    else:
        assert event.error is None


def test_unknown_parameters_are_kept_and_odd_callbacks_are_unknown() -> None:
    params = {**fixture_json("twilio", "status-callback-sent--docs.json"), "NewParam": "x"}
    [event] = parse(form_request(URL, params))
    assert isinstance(event, StatusUpdate) and event.raw["NewParam"] == "x"
    [odd] = parse(form_request(URL, {"AccountSid": "AC1"}))
    assert isinstance(odd, Unknown)
    [bad] = parse(form_request(URL, {"MessageSid": "SM1", "MessageStatus": "exploded"}))
    assert isinstance(bad, Unknown)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", Keyword.OPT_OUT),
        ("  stop ", Keyword.OPT_OUT),
        ("Unsubscribe", Keyword.OPT_OUT),
        ("quit", Keyword.OPT_OUT),
        ("START", Keyword.OPT_IN),
        ("unstop", Keyword.OPT_IN),
        ("yes", Keyword.OPT_IN),
        ("HELP", Keyword.HELP),
        ("info", Keyword.HELP),
        ("STOP PLEASE", None),
        ("stopping", None),
        ("", None),
    ],
)
def test_carrier_keywords(text: str, expected: Keyword | None) -> None:
    assert keywords.keyword(text) is expected


def test_twiml_is_written_as_twilios_sdk_writes_it() -> None:
    assert twiml.empty() == fixture("twilio", "twiml-messaging-empty--sdk-test.xml").strip()
    say = twiml.answer_call(twiml.CallAnswer(say="Hello World"))
    assert say == fixture("twilio", "twiml-voice-say--sdk-test.xml").strip()


def test_twiml_forwards_a_call_and_escapes_text() -> None:
    dial = twiml.answer_call(twiml.CallAnswer(forward_to="+12025550123", caller_id="+12025550100"))
    assert dial.endswith(
        b'<Response><Dial callerId="+12025550100"><Number>+12025550123</Number></Dial></Response>'
    )
    say = twiml.answer_call(twiml.CallAnswer(say="Tom & Jerry <3", voice="alice", language="en-US"))
    assert b'<Say voice="alice" language="en-US">Tom &amp; Jerry &lt;3</Say>' in say
    assert twiml.message("a<b").endswith(b"<Response><Message>a&lt;b</Message></Response>")
    assert b"<Reject />" in twiml.answer_call(twiml.CallAnswer())


def test_rest_error_bodies_in_both_shapes() -> None:
    assert wire.read_error(fixture_json("twilio", "error-400-21211--sdk-test.json"))[:2] == (
        21211,
        "Invalid phone number",
    )
    code, title, details = wire.read_error(fixture_json("twilio", "error-400-20001--sdk-test.json"))  # type: ignore[misc]
    assert (code, title, details["more_info"]) == (
        20001,
        "Bad request",
        "https://www.twilio.com/docs/errors/20001",
    )
    assert wire.read_error(fixture_json("twilio", "error-rfc9457-422--sdk-test.json"))[:2] == (  # type: ignore[index]
        20001,
        "Request validation failed",
    )
    assert wire.read_error({"unexpected": True}) is None
    assert wire.read_error("<html>") is None


def test_the_send_request_fixture_is_what_we_send() -> None:
    from urllib.parse import parse_qsl

    sent = dict(parse_qsl(fixture("twilio", "send-request--docs.form").decode().strip()))
    ours = wire.send_form(
        to=sent["To"], body=sent["Body"], from_=sent["From"], status_callback=sent["StatusCallback"]
    )
    assert ours == sent
    resource = wire.MessageResource.model_validate(
        fixture_json("twilio", "send-response-201-queued--oai.json")
    )
    assert resource.status == "queued" and resource.sid.startswith("SM")


def test_the_reply_twiml_fixture_has_the_shape_we_write() -> None:
    import xml.etree.ElementTree as ET

    published = ET.fromstring(fixture("twilio", "twiml-messaging-reply--sdk-test.xml"))
    assert published.tag == "Response" and published[0].tag == "Message"
    ours = ET.fromstring(twiml.message("Hello"))
    assert (ours.tag, ours[0].tag, ours[0].text) == ("Response", "Message", published[0].text)
