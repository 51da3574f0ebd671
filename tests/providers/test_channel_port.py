"""The Direct port itself: its network names are the contacts' ones, callback requests read as
received, the settings that point the adapters at the real APIs or the simulator."""

from __future__ import annotations

from relaybird.config import settings_for_tests
from relaybird.contacts.transitions import Network
from relaybird.providers.channel import CallbackRequest, DirectNetwork
from relaybird.providers.line.client import LineAccount, LineChannel, retry_key
from relaybird.providers.twilio.client import TwilioAccount, TwilioChannel, status_callback
from relaybird.providers.wechat.client import WeChatAccount
from relaybird.providers.whatsapp_direct import WhatsAppDirectAccount


def test_direct_networks_are_contact_networks() -> None:
    assert {n.value for n in DirectNetwork} <= {n.value for n in Network}
    assert TwilioChannel("x").network is DirectNetwork.SMS_DIRECT
    assert LineChannel("x").network is DirectNetwork.LINE


def test_callback_requests() -> None:
    request = CallbackRequest(
        "POST", "https://h.example/w?a=1&b=x%3Ay&a=2", {"X-Twilio-Signature": "s"}, b"body"
    )
    assert request.header("x-twilio-signature") == "s" and request.header("missing") is None
    assert request.query == {"a": "2", "b": "x:y"}


def test_secrets_stay_out_of_reprs() -> None:
    accounts = [
        TwilioAccount("AC1", "tw-secret", api_key_sid="SK1", api_key_secret="key-secret"),
        LineAccount("line-token-secret", "line-channel-secret"),
        WeChatAccount("wx1", "app-secret", "cb-token-secret", encoding_aes_key="aes-secret"),
        WhatsAppDirectAccount("123", "wa-token-secret", "wa-app-secret"),
    ]
    for account in accounts:
        assert "secret" not in repr(account), repr(account)


def test_callback_data_and_retry_keys() -> None:
    assert status_callback("https://h/s", "m:7") == "https://h/s?rb=m:7"
    assert status_callback("https://h/s?c=1", "m:7 x") == "https://h/s?c=1&rb=m:7%20x"
    assert status_callback("https://h/s", None) == "https://h/s"
    assert retry_key("m:7") == retry_key("m:7") != retry_key("m:8")
    uuid = "123e4567-e89b-12d3-a456-426614174000"
    assert retry_key(uuid) == uuid


def test_settings_point_at_the_real_apis_by_default() -> None:
    settings = settings_for_tests()
    assert settings.twilio_api_url == "https://api.twilio.com"
    assert settings.line_api_url == "https://api.line.me"
    assert settings.line_access_url == "https://access.line.me"
    assert settings.wechat_api_url == "https://api.weixin.qq.com"
    assert settings.wechat_mp_url == "https://mp.weixin.qq.com"
    assert settings_for_tests(twilio_api_url="http://127.0.0.1:9/twilio/").twilio_api_url.endswith(
        "/twilio"
    )
