"""The LINE adapter against the simulator over real HTTP: pushes (with retry keys), every error
class, account linking end to end, webhooks signed as LINE signs them."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from relaybird.providers.channel import CallbackRequest, OutboundText
from relaybird.providers.channel_events import AccountLink, Follow, InboundText, Unfollow
from relaybird.providers.line.client import LineAccount, LineChannel
from relaybird.providers.port import ErrorKind, ProviderCallFailed, RecipientEffect
from tests.fixtures.simulator import SimHandle
from tests.providers.helpers import run
from tests.providers.receiver import Receiver

T = TypeVar("T")
BOT = "U" + "b" * 32
USER = "U" + "1" * 32
ACCOUNT = LineAccount(
    channel_access_token="line-token", channel_secret="line-secret", bot_user_id=BOT
)


def setup(sim: SimHandle, receiver: Receiver, **extra: object) -> None:
    sim.request(
        "POST",
        "/_sim/line/channels",
        {
            "access_token": "line-token",
            "channel_secret": "line-secret",
            "bot_user_id": BOT,
            "webhook_url": receiver.url + "/webhooks/line/1",
            **extra,
        },
    )


def call(sim: SimHandle, fn: Callable[[LineChannel], Awaitable[T]]) -> T:
    async def go() -> T:
        channel = LineChannel(sim.url + "/line", access_url=sim.url + "/line")
        try:
            return await fn(channel)
        finally:
            await channel.close()

    return run(go())


def push(sim: SimHandle, message: OutboundText, account: LineAccount = ACCOUNT):  # type: ignore[no-untyped-def]
    return call(sim, lambda c: c.send_text(account, message))


def test_a_push_is_accepted_and_recorded(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    simulator.request("POST", "/_sim/line/follow", {"user_id": USER})
    result = push(simulator, OutboundText(USER, "Hello from relaybird"))
    assert result.accepted and result.message_id
    [record] = simulator.request("GET", "/_sim/line/pushes")["items"]
    assert (record["to"], record["text"], record["id"], record["delivered"]) == (
        USER,
        "Hello from relaybird",
        result.message_id,
        True,
    )


def test_a_retried_push_with_the_same_key_is_sent_once(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver)
    message = OutboundText(USER, "once", idempotency_key="m:99")
    first = push(simulator, message)
    again = push(simulator, message)  # e.g. after a timeout: LINE answers 409 with the first send
    assert first.accepted and again.accepted and again.message_id == first.message_id
    pushes = simulator.request("GET", "/_sim/line/pushes")["items"]
    assert len(pushes) == 1 and pushes[0]["retry_key"]
    assert (
        push(simulator, OutboundText(USER, "other", idempotency_key="m:100")).message_id
        != first.message_id
    )


def test_a_push_to_someone_who_does_not_follow_is_accepted_but_not_delivered(
    simulator: SimHandle, receiver: Receiver
) -> None:
    setup(simulator, receiver)
    assert push(simulator, OutboundText(USER, "hi")).accepted
    assert simulator.request("GET", "/_sim/line/pushes")["items"][0]["delivered"] is False


@pytest.mark.parametrize(
    ("fault", "status", "kind", "effect"),
    [
        ("rate", 429, ErrorKind.SENDER_TRANSIENT, None),
        ("server", 500, ErrorKind.SENDER_TRANSIENT, None),
        ("failed_to_send", 400, ErrorKind.RECIPIENT_PERMANENT, RecipientEffect.INVALID_ADDRESS),
    ],
)
def test_scripted_errors(
    simulator: SimHandle,
    receiver: Receiver,
    fault: str,
    status: int,
    kind: ErrorKind,
    effect: RecipientEffect | None,
) -> None:
    setup(simulator, receiver)
    simulator.request("POST", "/_sim/line/faults", {"kind": fault})
    error = push(simulator, OutboundText(USER, "hi")).error
    assert error is not None and (error.code, error.kind, error.recipient_effect) == (
        status,
        kind,
        effect,
    )
    assert error.details.get("request_id")


def test_other_refusals(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver, monthly_limit=1)
    wrong = LineAccount(channel_access_token="nope", channel_secret="line-secret")
    error = push(simulator, OutboundText(USER, "hi"), wrong).error
    assert error is not None and (error.code, error.kind) == (401, ErrorKind.SENDER_STOP)
    error = push(simulator, OutboundText(USER, "")).error
    assert error is not None and (error.code, error.kind) == (400, ErrorKind.TEMPLATE_STOP)
    assert error.details["details"]
    error = push(simulator, OutboundText("someone", "hi")).error
    assert error is not None and error.kind is ErrorKind.TEMPLATE_STOP
    assert push(simulator, OutboundText(USER, "the month's only message")).accepted
    error = push(simulator, OutboundText(USER, "one too many")).error
    assert error is not None and (error.code, error.kind) == (429, ErrorKind.SENDER_STOP)
    assert error.title == "You have reached your monthly limit."


def test_account_linking_end_to_end(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    channel = LineChannel("unused")
    token = call(simulator, lambda c: c.issue_link_token(ACCOUNT, USER))
    nonce = "nonce-for-invitation-42"
    url = call(simulator, lambda c: _link(c, token, nonce))
    assert url.startswith(simulator.url + "/line/dialog/bot/accountLink?linkToken=")
    with urllib.request.urlopen(url, timeout=10) as response:  # the user follows the redirect
        assert response.status == 200
    [request] = receiver.wait_for(1)
    assert channel.verify(ACCOUNT, request)
    [event] = channel.parse(ACCOUNT, request)
    assert isinstance(event, AccountLink) and event.ok
    assert (event.nonce, event.user_id, event.account) == (nonce, USER, BOT)
    # The token is single use: LINE shows an error and sends nothing.
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url, timeout=10)
    assert caught.value.code == 400
    caught.value.close()
    assert len(receiver.requests) == 1


async def _link(channel: LineChannel, token: str, nonce: str) -> str:
    return channel.link_url(token, nonce)


def test_link_token_errors(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    with pytest.raises(ProviderCallFailed) as caught:
        call(simulator, lambda c: c.issue_link_token(LineAccount("nope", "x"), USER))
    assert caught.value.error.kind is ErrorKind.SENDER_STOP


def test_webhooks_are_signed_and_parse(simulator: SimHandle, receiver: Receiver) -> None:
    setup(simulator, receiver)
    channel = LineChannel("unused")
    simulator.request("POST", "/_sim/line/follow", {"user_id": USER})
    simulator.request("POST", "/_sim/line/message", {"user_id": USER, "text": "hello bot"})
    simulator.request("POST", "/_sim/line/unfollow", {"user_id": USER})
    simulator.request("POST", "/_sim/line/account-link", {"nonce": "n" * 12, "ok": False})
    requests = receiver.wait_for(4)
    events = []
    for request in requests:
        assert channel.verify(ACCOUNT, request)
        events.extend(channel.parse(ACCOUNT, request))
    follow, message, unfollow, failed = events
    assert isinstance(follow, Follow) and follow.user_id == USER
    assert isinstance(message, InboundText) and message.text == "hello bot"
    assert isinstance(unfollow, Unfollow)
    assert isinstance(failed, AccountLink) and not failed.ok and failed.user_id is None
    forged = CallbackRequest(
        "POST", requests[1].url, requests[1].headers, requests[1].body.replace(b"hello", b"HELLO")
    )
    assert not channel.verify(ACCOUNT, forged)
    assert not channel.verify(LineAccount("line-token", "other-secret"), requests[1])
    assert channel.acknowledge(requests[0]).status == 200
