"""WhatsApp Direct: a user's virtual number on WhatsApp is a Cloud API phone number of its own.

The adapter reuses the WhatsApp Cloud API client (sends, error table) and webhook parser, with
per-number credentials, and speaks the Direct port: inbound messages and statuses of that
number become ``InboundText`` / ``StatusUpdate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from relaybird.providers.channel import (
    CallbackReply,
    CallbackRequest,
    DirectChannel,
    DirectNetwork,
    MalformedCallback,
    OutboundText,
)
from relaybird.providers.channel_events import (
    ChannelEvent,
    DeliveryState,
    InboundText,
    StatusUpdate,
    Unknown,
)
from relaybird.providers.port import SenderCredentials, SendResult
from relaybird.providers.whatsapp import signature
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.providers.whatsapp.errors import classify
from relaybird.providers.whatsapp.events import InboundMessage, MessageStatus
from relaybird.providers.whatsapp.parse import MalformedBody, parse_body

NETWORK = "WHATSAPP_DIRECT"

_STATES = {
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "played": DeliveryState.READ,
    "failed": DeliveryState.FAILED,
}


@dataclass(frozen=True)
class WhatsAppDirectAccount:
    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)  # verifies X-Hub-Signature-256
    verify_token: str | None = field(default=None, repr=False)  # Meta's GET handshake


class WhatsAppDirectChannel:
    network = DirectNetwork.WHATSAPP_DIRECT

    def __init__(self, client: WhatsAppCloudClient) -> None:
        self.client = client

    async def send_text(self, account: WhatsAppDirectAccount, message: OutboundText) -> SendResult:
        credentials = SenderCredentials(account.phone_number_id, account.access_token)
        return await self.client.send_text(
            credentials, message.to, message.text, message.callback_data
        )

    def verify(self, account: WhatsAppDirectAccount, request: CallbackRequest) -> bool:
        return signature.verify(request.body, request.header(signature.HEADER), account.app_secret)

    def handshake(
        self, account: WhatsAppDirectAccount, request: CallbackRequest
    ) -> CallbackReply | None:
        q = request.query
        if request.method.upper() != "GET" or q.get("hub.mode") != "subscribe":
            return None
        given = q.get("hub.verify_token", "")
        if not account.verify_token or not signature.constant_time_equals(
            given, account.verify_token
        ):
            return CallbackReply(status=403, body=b"verify token mismatch")
        return CallbackReply(body=q.get("hub.challenge", "").encode())

    def parse(self, account: WhatsAppDirectAccount, request: CallbackRequest) -> list[ChannelEvent]:
        try:
            events = parse_body(request.body)
        except MalformedBody as exc:
            raise MalformedCallback(str(exc)) from None
        out: list[ChannelEvent] = []
        for event in events:
            if isinstance(event, MessageStatus):
                out.append(_status(event))
            elif isinstance(event, InboundMessage) and event.text is not None:
                out.append(
                    InboundText(
                        network=NETWORK,
                        account=event.phone_number_id or account.phone_number_id,
                        sender="+" + event.sender.lstrip("+"),
                        message_id=event.wamid,
                        text=event.text,
                        at=event.timestamp,
                        event_id=event.wamid,
                        raw=event.raw,
                    )
                )
            else:
                out.append(Unknown(NETWORK, f"{type(event).__name__} not modelled", raw=event))
        return out

    def acknowledge(self, request: CallbackRequest) -> CallbackReply:
        return CallbackReply()

    async def close(self) -> None:
        await self.client.close()


def _status(event: MessageStatus) -> ChannelEvent:
    state = _STATES.get(event.status)
    if state is None:
        return Unknown(NETWORK, f"status {event.status!r}", event.wamid, event.raw)
    first = event.errors[0] if event.errors else None
    error = classify(first.code, first.title or "") if first and first.code is not None else None
    return StatusUpdate(
        network=NETWORK,
        message_id=event.wamid,
        state=state,
        provider_status=event.status,
        recipient=event.recipient,
        at=event.timestamp,
        event_id=f"{event.wamid}:{event.status}",
        callback_data=event.callback_data,
        error=error,
        raw=event.raw,
    )


def _conforms(channel: WhatsAppDirectChannel) -> DirectChannel[WhatsAppDirectAccount]:
    """mypy checks here that the adapter implements the Direct port."""
    return channel
