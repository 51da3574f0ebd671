"""The WeChat adapter against the simulator over real HTTP: the cached access token, an expired
token refreshed once and the send retried, the 48 h window and its quotas, QR codes whose scan
validates an invitation, the URL handshake, plain and safe-mode callbacks."""

from __future__ import annotations

import urllib.request
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from relaybird.kit.time import ManualClock
from relaybird.providers.access_tokens import AccessTokens, MemoryTokenStore
from relaybird.providers.channel import CallbackRequest, OutboundText
from relaybird.providers.channel_events import Follow, InboundText, QrScan, Unfollow
from relaybird.providers.port import ErrorKind, ProviderCallFailed, RecipientEffect, SendResult
from relaybird.providers.wechat.client import QrCode, WeChatAccount, WeChatChannel
from tests.fixtures.simulator import SimHandle
from tests.providers.helpers import run
from tests.providers.receiver import Receiver

T = TypeVar("T")
APP = "wx1234567890abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
ACCOUNT = WeChatAccount(APP, "app-secret", "callback-token", original_id="gh_0123456789ab")
OPENID = "oUser0000000000000000000001"


def setup(sim: SimHandle, receiver: Receiver, **extra: Any) -> None:
    sim.request(
        "POST",
        "/_sim/wechat/accounts",
        {
            "app_id": APP,
            "app_secret": "app-secret",
            "token": "callback-token",
            "original_id": "gh_0123456789ab",
            "callback_url": receiver.url + "/webhooks/wechat/1",
            **extra,
        },
    )


def call(
    sim: SimHandle, fn: Callable[[WeChatChannel], Awaitable[T]], tokens: AccessTokens | None = None
) -> T:
    async def go() -> T:
        channel = WeChatChannel(
            sim.url + "/wechat",
            tokens or AccessTokens(MemoryTokenStore()),
            mp_url=sim.url + "/wechat",
        )
        try:
            return await fn(channel)
        finally:
            await channel.close()

    return run(go())


def fetches(sim: SimHandle) -> int:
    return int(sim.request("GET", f"/_sim/wechat/state?app_id={APP}")["token_fetches"])


def sends(sim: SimHandle, *texts: str, account: WeChatAccount = ACCOUNT) -> list[SendResult]:
    async def go(channel: WeChatChannel) -> list[SendResult]:
        return [await channel.send_text(account, OutboundText(OPENID, t)) for t in texts]

    return call(sim, go)


def test_a_text_in_the_window_is_sent_with_one_token_fetch(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver)
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "hi"})
    first, second = sends(simulator, "hello", "again")
    assert first.accepted and second.accepted and first.message_id != second.message_id
    assert fetches(simulator) == 1  # cached between calls
    sent = simulator.request("GET", "/_sim/wechat/state")["sent"]
    assert [s["content"] for s in sent] == ["hello", "again"]


def test_an_expired_token_is_refreshed_once_and_the_send_retried(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver)
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "hi"})
    tokens = AccessTokens(MemoryTokenStore())

    async def scenario(channel: WeChatChannel) -> tuple[SendResult, SendResult]:
        before = await channel.send_text(ACCOUNT, OutboundText(OPENID, "one"))
        await _expire(simulator)
        after = await channel.send_text(ACCOUNT, OutboundText(OPENID, "two"))
        return before, after

    before, after = call(simulator, scenario, tokens)
    assert before.accepted and after.accepted
    assert fetches(simulator) == 2
    assert [s["content"] for s in simulator.request("GET", "/_sim/wechat/state")["sent"]] == [
        "one",
        "two",
    ]


async def _expire(sim: SimHandle) -> None:
    import asyncio

    await asyncio.to_thread(sim.request, "POST", "/_sim/wechat/expire-token", {"app_id": APP})


def test_a_token_refused_again_after_the_refresh_is_not_retried_forever(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver)
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "hi"})
    simulator.request("POST", "/_sim/wechat/faults", {"errcode": 40001, "count": 5})
    [result] = sends(simulator, "x")
    assert result.error is not None and result.error.code == 40001
    assert result.error.kind is ErrorKind.SENDER_TRANSIENT
    assert fetches(simulator) == 2  # the first token, one forced refresh, no more


@pytest.mark.parametrize(
    ("before", "code", "effect"),
    [
        ([], 40003, RecipientEffect.INVALID_ADDRESS),
        (["subscribe", "unsubscribe"], 43004, RecipientEffect.NOT_FOLLOWING),
        (["subscribe", "advance"], 45015, RecipientEffect.WINDOW_CLOSED),
    ],
)
def test_refusals_about_the_person(
    simulator: SimHandle, receiver: Receiver, before: list[str], code: int, effect: RecipientEffect
) -> None:
    setup(simulator, receiver)
    for step in before:
        if step == "advance":
            simulator.request("POST", "/_sim/wechat/advance", {"seconds": 61})
        else:
            simulator.request("POST", f"/_sim/wechat/{step}", {"openid": OPENID})
    [result] = sends(simulator, "hi")
    assert result.error is not None and (result.error.code, result.error.recipient_effect) == (
        code,
        effect,
    )
    assert result.error.kind is ErrorKind.RECIPIENT_PERMANENT


def test_the_48h_window_and_its_quota(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "hi"})
    results = sends(simulator, *[f"m{i}" for i in range(6)])
    assert [r.accepted for r in results] == [True] * 5 + [False]
    assert results[5].error is not None and results[5].error.code == 45047
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "more"})
    simulator.request("POST", "/_sim/wechat/advance", {"seconds": 47 * 3600})
    assert sends(simulator, "still inside 48 h")[0].accepted
    simulator.request("POST", "/_sim/wechat/advance", {"seconds": 3600})
    error = sends(simulator, "too late")[0].error
    assert error is not None and error.code == 45015


def test_bad_credentials_stop_the_sender(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    wrong = WeChatAccount(APP, "wrong-secret", "callback-token")
    [result] = sends(simulator, "hi", account=wrong)
    assert result.error is not None and (result.error.code, result.error.kind) == (
        40125,
        ErrorKind.SENDER_STOP,
    )


def test_a_qr_code_scan_validates_by_its_scene(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    channel = WeChatChannel("unused", AccessTokens(MemoryTokenStore()))
    receiver.respond = channel.acknowledge
    qr: QrCode = call(simulator, lambda c: c.create_qr(ACCOUNT, "inv:7f3a", expire_seconds=3600))
    assert qr.expire_seconds == 3600 and qr.url.startswith("http://weixin.qq.com/q/")
    assert qr.image_url.startswith(simulator.url + "/wechat/cgi-bin/showqrcode?ticket=")
    with urllib.request.urlopen(qr.image_url, timeout=10) as image:
        assert b"inv:7f3a" in image.read()
    answer = simulator.request("POST", "/_sim/wechat/scan", {"openid": OPENID, "ticket": qr.ticket})
    assert (answer["event"], answer["answer"]) == ("subscribe", "success")
    again = simulator.request("POST", "/_sim/wechat/scan", {"openid": OPENID, "ticket": qr.ticket})
    assert again["event"] == "SCAN"
    first, second = receiver.wait_for(2)
    events = []
    for request in (first, second):
        assert channel.verify(ACCOUNT, request)
        events.extend(channel.parse(ACCOUNT, request))
    follow, scan = events
    assert isinstance(follow, Follow) and (follow.scene, follow.user_id) == ("inv:7f3a", OPENID)
    assert isinstance(scan, QrScan) and scan.scene == "inv:7f3a"
    # The scan opened a short window (3 messages within a minute).
    assert sends(simulator, "welcome")[0].accepted


def test_permanent_qr_codes_and_refused_scenes(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    qr = call(simulator, lambda c: c.create_qr(ACCOUNT, "advisor-12", permanent=True))
    assert qr.expire_seconds is None
    with pytest.raises(ValueError):
        call(simulator, lambda c: c.create_qr(ACCOUNT, ""))
    with pytest.raises(ProviderCallFailed) as caught:
        call(simulator, lambda c: c.create_qr(WeChatAccount(APP, "bad", "t"), "x"))
    assert caught.value.error.code == 40125


def test_the_url_handshake(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    channel = WeChatChannel("unused", AccessTokens(MemoryTokenStore()))
    receiver.respond = lambda request: (
        channel.handshake(ACCOUNT, request) or channel.acknowledge(request)
    )
    assert simulator.request("POST", "/_sim/wechat/verify-url", {})["ok"] is True
    forged = simulator.request("POST", "/_sim/wechat/verify-url", {"signature": "0" * 40})
    assert forged["ok"] is False and forged["status"] == 403
    assert channel.handshake(ACCOUNT, CallbackRequest("POST", receiver.url, {}, b"")) is None


def test_callbacks_are_signed_and_forgeries_refused(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver)
    channel = WeChatChannel("unused", AccessTokens(MemoryTokenStore()))
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "你好"})
    simulator.request("POST", "/_sim/wechat/unsubscribe", {"openid": OPENID})
    message, unsubscribe = receiver.wait_for(2)
    assert channel.verify(ACCOUNT, message) and channel.verify(ACCOUNT, unsubscribe)
    [text] = channel.parse(ACCOUNT, message)
    assert isinstance(text, InboundText) and (text.text, text.account) == (
        "你好",
        "gh_0123456789ab",
    )
    assert isinstance(channel.parse(ACCOUNT, unsubscribe)[0], Unfollow)
    assert not channel.verify(WeChatAccount(APP, "app-secret", "other-token"), message)
    replayed = CallbackRequest(
        "POST", message.url.replace("timestamp=", "timestamp=1"), message.headers, message.body
    )
    assert not channel.verify(ACCOUNT, replayed)


def test_safe_mode_callbacks_are_encrypted_signed_and_decrypted(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver, encoding_aes_key=AES_KEY, safe_mode=True)
    account = WeChatAccount(APP, "app-secret", "callback-token", encoding_aes_key=AES_KEY)
    channel = WeChatChannel("unused", AccessTokens(MemoryTokenStore()))
    simulator.request("POST", "/_sim/wechat/message", {"openid": OPENID, "text": "secret hello"})
    [request] = receiver.wait_for(1)
    assert request.query["encrypt_type"] == "aes" and b"<Encrypt>" in request.body
    assert b"secret hello" not in request.body
    assert channel.verify(account, request)
    [event] = channel.parse(account, request)
    assert isinstance(event, InboundText) and event.text == "secret hello"
    tampered = CallbackRequest(
        "POST",
        request.url,
        request.headers,
        request.body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[A"),
    )
    assert not channel.verify(account, tampered)


def test_an_optional_bound_on_the_signed_timestamp_refuses_replays(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver)
    simulator.request("POST", "/_sim/wechat/subscribe", {"openid": OPENID})
    [request] = receiver.wait_for(1)
    clock = ManualClock(start=datetime.now(UTC))
    strict = WeChatChannel(
        "unused", AccessTokens(MemoryTokenStore()), max_age=timedelta(minutes=5), clock=clock
    )
    assert strict.verify(ACCOUNT, request)
    clock.advance(timedelta(minutes=6))  # the same signed request, replayed later
    assert not strict.verify(ACCOUNT, request)
    assert WeChatChannel("unused", AccessTokens(MemoryTokenStore())).verify(ACCOUNT, request)
