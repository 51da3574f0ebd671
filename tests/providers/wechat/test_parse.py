"""Every WeChat fixture parsed; hostile XML refused before anything is read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from relaybird.providers.channel import CallbackRequest, MalformedCallback
from relaybird.providers.channel_events import Follow, InboundText, QrScan, Unfollow, Unknown
from relaybird.providers.wechat import wire
from relaybird.providers.wechat.crypto import WeChatCrypto
from relaybird.providers.wechat.parse import parse, parse_xml
from tests.providers.helpers import DATA, fixture, fixture_json


def test_every_xml_fixture_parses() -> None:
    for path in sorted((DATA / "wechat").glob("*.xml")):
        if path.name.startswith("encrypted"):
            continue
        event = parse_xml(path.read_bytes())
        assert event is not None, path.name


def test_text_message() -> None:
    event = parse_xml(fixture("wechat", "message-text--wechatpy.xml"))
    assert isinstance(event, InboundText)
    assert (event.network, event.account, event.sender) == ("WECHAT", "toUser", "fromUser")
    assert (event.text, event.message_id, event.event_id) == (
        "this is a test",
        "1234567890123456",
        "1234567890123456",
    )
    assert event.at == datetime.fromtimestamp(1348831860, UTC)


def test_subscribe_plain_and_through_a_qr_code() -> None:
    plain = parse_xml(fixture("wechat", "event-subscribe--wechatpy.xml"))
    assert isinstance(plain, Follow) and plain.scene is None
    qr = parse_xml(fixture("wechat", "event-subscribe-qrscene--wechatpy.xml"))
    assert isinstance(qr, Follow) and (qr.scene, qr.ticket) == ("123123", "TICKET")
    assert qr.event_id == "FromUser:123456789:subscribe"


def test_scan_and_unsubscribe() -> None:
    scan = parse_xml(fixture("wechat", "event-scan--wechatpy.xml"))
    assert isinstance(scan, QrScan) and (scan.scene, scan.ticket) == ("SCENE_VALUE", "TICKET")
    gone = parse_xml(fixture("wechat", "event-unsubscribe--wechatpy.xml"))
    assert isinstance(gone, Unfollow)


def test_template_reports_and_replies_are_not_modelled() -> None:
    for name in (
        "event-template-sendjobfinish-success--wechatpy.xml",
        "event-template-sendjobfinish-user-block--constructed.xml",
    ):
        event = parse_xml(fixture("wechat", name))
        assert isinstance(event, Unknown) and "TEMPLATESENDJOBFINISH" in event.reason
    reply = wire.parse_xml(fixture("wechat", "passive-reply-text--docs.xml"))
    assert reply["Content"] == "你好"
    ours = wire.passive_text_reply("toUser", "fromUser", 12345678, "你好")
    assert wire.parse_xml(ours) == reply


def test_an_encrypted_callback_is_decrypted_first() -> None:
    safe = fixture_json("wechat", "signature-vectors.json")["safe_mode"]
    d = safe["decrypt"]
    box = WeChatCrypto(safe["token"], safe["encoding_aes_key"], safe["receive_id"])
    url = (
        "https://relaybird.example/webhooks/wechat/1?signature=x&timestamp="
        f"{d['timestamp']}&nonce={d['nonce']}&encrypt_type=aes&msg_signature={d['msg_signature']}"
    )
    request = CallbackRequest("POST", url, {}, fixture("wechat", d["body_file"]))
    [event] = parse(request, box)
    assert isinstance(event, InboundText) and (event.sender, event.text) == ("messense", "test")
    with pytest.raises(MalformedCallback):
        parse(request, None)


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>',
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<xml><Content>&x;</Content></xml>",
        b"<xml><unclosed></xml>",
        b"<notxml/>",
        b"{}",
    ],
    ids=["entity-expansion", "external-entity", "broken", "wrong-root", "json"],
)
def test_hostile_or_broken_xml_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedCallback):
        parse_xml(body)


def test_odd_messages_are_unknown() -> None:
    image = wire.build_xml(
        {"ToUserName": "gh", "FromUserName": "o1", "CreateTime": 1, "MsgType": "image", "MsgId": 5}
    )
    assert isinstance(parse_xml(image), Unknown)
    click = wire.event("gh", "o1", 1, "CLICK", "menu_1")
    assert isinstance(parse_xml(click), Unknown)
    nobody = wire.build_xml({"ToUserName": "gh", "MsgType": "text"})
    assert isinstance(parse_xml(nobody), Unknown)


def test_api_bodies() -> None:
    assert wire.custom_text("OPENID", "Hello World") == fixture_json(
        "wechat", "custom-send-request--docs.json"
    )
    assert (
        wire.Result.model_validate(
            fixture_json("wechat", "custom-send-response-ok--wechatpy.json")
        ).errcode
        == 0
    )
    token = wire.TokenResponse.model_validate(
        fixture_json("wechat", "token-response--wechatpy.json")
    )
    assert token.expires_in == 7200
    qr = wire.QrCodeResponse.model_validate(
        fixture_json("wechat", "qrcode-create-response--wechatpy.json")
    )
    assert qr.ticket and qr.url
    request = fixture_json("wechat", "qrcode-create-request--docs.json")
    assert wire.qrcode_request("test", permanent=False, expire_seconds=604800) == request
    assert wire.qrcode_request("x", permanent=True, expire_seconds=None) == {
        "action_name": "QR_LIMIT_STR_SCENE",
        "action_info": {"scene": {"scene_str": "x"}},
    }
    with pytest.raises(ValueError):
        wire.qrcode_request("x" * 65, permanent=True, expire_seconds=None)
    for name, code in [
        ("error-40013-token--docs.json", 40013),
        ("error-42001-token-expired--docs.json", 42001),
        ("error-45015-window-closed--community.json", 45015),
        ("error-45047-quota--community.json", 45047),
    ]:
        assert wire.Result.model_validate(fixture_json("wechat", name)).errcode == code
