"""Parsing reads every element of entry[], changes[], statuses[] and messages[]."""

from __future__ import annotations

import json

import pytest

from relaybird.providers.whatsapp import events as ev
from relaybird.providers.whatsapp import wire
from relaybird.providers.whatsapp.parse import MalformedBody, parse, parse_body


def test_every_element_of_every_array_becomes_an_event() -> None:
    def statuses(pnid: str, n: int) -> dict[str, object]:
        objs = [
            wire.status_object(f"wamid.{pnid}.{i}", "delivered", "1555", 1700000000 + i)
            for i in range(n)
        ]
        return {"field": "messages", "value": wire.messages_value(pnid, "1", statuses=objs)}

    inbound = {
        "field": "messages",
        "value": wire.messages_value(
            "p2",
            "1",
            contacts=[wire.contact_object("1666", "Ana")],
            messages=[
                wire.text_message_object(f"wamid.in.{i}", "1666", f"hi {i}", 1) for i in range(3)
            ],
        ),
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "w1", "changes": [statuses("p1", 400), statuses("p2", 300)]},
            {"id": "w2", "changes": [statuses("p3", 300), inbound]},
        ],
    }
    events = parse(body)
    got = [e for e in events if isinstance(e, ev.MessageStatus)]
    assert len(got) == 1000
    assert {e.phone_number_id for e in got} == {"p1", "p2", "p3"}
    assert got[-1].timestamp is not None and got[0].timestamp is not None
    messages = [e for e in events if isinstance(e, ev.InboundMessage)]
    assert [m.text for m in messages] == ["hi 0", "hi 1", "hi 2"]
    assert {m.profile_name for m in messages} == {"Ana"}


def test_a_bad_element_does_not_hide_its_siblings() -> None:
    good = wire.status_object("wamid.ok", "read", "1555", 1)
    value = wire.messages_value("p1", "1", statuses=[{"status": "read"}, good, "junk"])
    events = parse(wire.envelope("w", "messages", value))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Unknown", "MessageStatus", "Unknown"]
    assert isinstance(events[1], ev.MessageStatus) and events[1].wamid == "wamid.ok"


def test_unknown_fields_and_objects_are_unknown_events_not_errors() -> None:
    events = parse({"object": "page", "entry": []})
    assert isinstance(events[0], ev.Unknown)
    events = parse(wire.envelope("w", "phone_number_name_update", {"decision": "APPROVED"}))
    assert isinstance(events[0], ev.Unknown) and "phone_number_name_update" in events[0].reason
    events = parse(wire.envelope("w", "account_update", {"no_event": 1}))
    assert isinstance(events[0], ev.Unknown) and "account_update" in events[0].reason


def test_failed_status_carries_its_errors_and_pricing() -> None:
    obj = wire.status_object(
        "wamid.f", "failed", "1555", 5, callback_data="r:9", error=(131026, "Message undeliverable")
    )
    [status] = parse(wire.envelope("w", "messages", wire.messages_value("p", "1", statuses=[obj])))
    assert isinstance(status, ev.MessageStatus)
    assert (status.error_code, status.callback_data) == (131026, "r:9")
    assert status.errors[0].title == "Message undeliverable"
    sent = wire.status_object("wamid.s", "sent", "1555", 5)
    [s] = parse(wire.envelope("w", "messages", wire.messages_value("p", "1", statuses=[sent])))
    assert isinstance(s, ev.MessageStatus) and s.pricing is not None
    assert (s.pricing.pricing_model, s.pricing.category) == ("PMP", "marketing")


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"\xff", json.dumps("x").encode()])
def test_malformed_bodies_raise(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        parse_body(raw)
