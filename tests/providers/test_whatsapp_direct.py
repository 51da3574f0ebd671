"""WhatsApp Direct through the WhatsApp adapter: a per-number send against the simulator, and the
number's webhooks read as Direct-port events."""

from __future__ import annotations

import json

from relaybird.providers.channel import CallbackRequest, OutboundText
from relaybird.providers.channel_events import DeliveryState, InboundText, StatusUpdate
from relaybird.providers.whatsapp import signature
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.providers.whatsapp_direct import WhatsAppDirectAccount, WhatsAppDirectChannel
from tests.data import WEBHOOK_FIXTURES
from tests.fixtures.simulator import SimHandle
from tests.providers.helpers import run

ACCOUNT = WhatsAppDirectAccount("2001", "tok-2001", "app-secret", verify_token="vt")


def test_a_direct_text_goes_out_through_the_cloud_api(simulator: SimHandle) -> None:
    simulator.add_number("2001", "tok-2001")
    simulator.inbound("2001", "15550001", "hi")  # opens the 24 h window

    async def go():  # type: ignore[no-untyped-def]
        channel = WhatsAppDirectChannel(WhatsAppCloudClient(simulator.url, "v23.0"))
        try:
            return await channel.send_text(
                ACCOUNT, OutboundText("+15550001", "hello", callback_data="m:3")
            )
        finally:
            await channel.close()

    result = run(go())
    assert result.accepted
    [sent] = simulator.sent()
    assert (sent["phone_number_id"], sent["text"], sent["callback_data"]) == (
        "2001",
        "hello",
        "m:3",
    )


def _request(body: bytes, secret: str = "app-secret") -> CallbackRequest:
    headers = {signature.HEADER: signature.sign(body, secret)}
    return CallbackRequest("POST", "https://h/webhooks/whatsapp", headers, body)


def test_webhooks_become_direct_events() -> None:
    channel = WhatsAppDirectChannel(WhatsAppCloudClient("http://unused", "v23.0"))
    text = (WEBHOOK_FIXTURES / "inbound-text--pywa.json").read_bytes()
    request = _request(text)
    assert channel.verify(ACCOUNT, request)
    assert not channel.verify(ACCOUNT, _request(text, "other"))
    [event] = channel.parse(ACCOUNT, request)
    assert isinstance(event, InboundText) and event.sender.startswith("+") and event.text
    statuses = [p for p in sorted(WEBHOOK_FIXTURES.glob("status-*.json"))]
    parsed = [e for p in statuses for e in channel.parse(ACCOUNT, _request(p.read_bytes()))]
    updates = [e for e in parsed if isinstance(e, StatusUpdate)]
    assert updates and {u.state for u in updates} >= {DeliveryState.SENT, DeliveryState.DELIVERED}
    failed = [u for u in updates if u.state is DeliveryState.FAILED]
    assert all(u.error is not None for u in failed)


def test_the_verification_handshake() -> None:
    channel = WhatsAppDirectChannel(WhatsAppCloudClient("http://unused", "v23.0"))
    good = CallbackRequest(
        "GET", "https://h/w?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42", {}
    )
    reply = channel.handshake(ACCOUNT, good)
    assert reply is not None and (reply.status, reply.body) == (200, b"42")
    bad = CallbackRequest(
        "GET", "https://h/w?hub.mode=subscribe&hub.verify_token=no&hub.challenge=42", {}
    )
    reply = channel.handshake(ACCOUNT, bad)
    assert reply is not None and reply.status == 403
    assert channel.handshake(ACCOUNT, _request(json.dumps({}).encode())) is None
