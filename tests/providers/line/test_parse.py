"""Every LINE fixture parsed: webhook bodies into typed events, API bodies into wire models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from relaybird.providers.channel import MalformedCallback
from relaybird.providers.channel_events import AccountLink, Follow, InboundText, Unfollow, Unknown
from relaybird.providers.line import wire
from relaybird.providers.line.linking import link_url, new_nonce
from relaybird.providers.line.parse import parse_body
from tests.providers.helpers import DATA, fixture, fixture_json

BOT = "U000000000000000000000000000000b0"


def test_every_webhook_fixture_parses_without_unknowns() -> None:
    for path in sorted((DATA / "line").glob("webhook-*.json")):
        events = parse_body(path.read_bytes())
        assert all(not isinstance(e, Unknown) for e in events), path.name


def test_text_message() -> None:
    [event] = parse_body(fixture("line", "webhook-message-text--sdk-test.json"))
    assert isinstance(event, InboundText)
    assert (event.network, event.account) == ("LINE", BOT)
    assert event.sender == "U00000000000000000000000000000001"
    assert event.text and event.message_id and event.reply_token
    assert event.event_id == event.raw["webhookEventId"]
    redelivered = parse_body(fixture("line", "webhook-message-text-redelivered--sdk-test.json"))[0]
    assert redelivered.raw["deliveryContext"]["isRedelivery"] is True


def test_one_body_with_three_users() -> None:
    message, follow, unfollow = parse_body(
        fixture("line", "webhook-mixed-text-follow-unfollow--docs.json")
    )
    assert isinstance(message, InboundText) and message.text == "Hello, world"
    assert message.at == datetime(2021, 7, 7, 13, 40, 42, 211000, tzinfo=UTC)
    assert isinstance(follow, Follow) and follow.user_id.endswith("6") and not follow.unblocked
    assert isinstance(unfollow, Unfollow) and unfollow.user_id.endswith("7")


def test_follow_unblocked() -> None:
    [event] = parse_body(fixture("line", "webhook-follow-unblocked--docs.json"))
    assert isinstance(event, Follow) and event.unblocked
    [plain] = parse_body(fixture("line", "webhook-follow--docs.json"))
    assert isinstance(plain, Follow) and not plain.unblocked


def test_account_link_ok_and_failed() -> None:
    [ok] = parse_body(fixture("line", "webhook-accountlink-ok--docs.json"))
    assert isinstance(ok, AccountLink) and ok.ok
    assert (ok.nonce, ok.user_id) == ("xxxxxxxxxxxxxxx", "U00000000000000000000000000000004")
    [failed] = parse_body(fixture("line", "webhook-accountlink-failed--constructed.json"))
    assert isinstance(failed, AccountLink) and not failed.ok and failed.user_id is None
    assert failed.reply_token is None


def test_the_verify_body_has_no_events() -> None:
    assert parse_body(fixture("line", "webhook-verify-empty-signed--docs.json")) == []


def test_unmodelled_events_and_bad_bodies() -> None:
    user = {"type": "user", "userId": "U2"}
    body = json.dumps(
        {
            "destination": "U1",
            "events": [
                {"type": "postback", "webhookEventId": "E1", "source": user},
                {
                    "type": "message",
                    "webhookEventId": "E2",
                    "source": {"type": "group", "groupId": "G"},
                    "message": {"type": "text", "text": "x"},
                },
                {
                    "type": "message",
                    "webhookEventId": "E3",
                    "source": user,
                    "message": {"type": "sticker"},
                },
                7,
            ],
        }
    ).encode()
    events = parse_body(body)
    assert [type(e) for e in events] == [Unknown] * 4
    for bad in (b"not json", b"[]", b'{"events": 1}'):
        with pytest.raises(MalformedCallback):
            parse_body(bad)


def test_api_bodies() -> None:
    request = fixture_json("line", "push-request--docs.json")
    assert wire.PushRequest.model_validate(request).to == request["to"]
    assert wire.push_request("U1", "hi") == {
        "to": "U1",
        "messages": [{"type": "text", "text": "hi"}],
    }
    response = wire.PushResponse.model_validate(
        fixture_json("line", "push-response-200--docs.json")
    )
    assert response.sentMessages[0].id
    accepted = wire.ErrorBody.model_validate(
        fixture_json("line", "error-409-retry-key-accepted--docs.json")
    )
    assert accepted.message == wire.RETRY_KEY_ACCEPTED and accepted.sentMessages[0].id
    details = wire.ErrorBody.model_validate(
        fixture_json("line", "error-400-validation-details--docs.json")
    )
    assert details.details and details.details[0].property
    assert (
        wire.ErrorBody.model_validate(
            fixture_json("line", "error-400-failed-to-send--docs.json")
        ).message
        == wire.FAILED_TO_SEND
    )
    assert (
        wire.ErrorBody.model_validate(
            fixture_json("line", "error-429-rate-limit--constructed.json")
        ).message
        == wire.RATE_LIMIT
    )
    token = wire.LinkTokenResponse.model_validate(
        fixture_json("line", "link-token-response--docs.json")
    )
    assert token.linkToken


def test_link_url_and_nonce() -> None:
    nonce = new_nonce()
    assert len(nonce) >= 16 and nonce != new_nonce()
    url = link_url("tok en", nonce)
    assert url == f"https://access.line.me/dialog/bot/accountLink?linkToken=tok+en&nonce={nonce}"
    with pytest.raises(ValueError):
        link_url("t", "short")
