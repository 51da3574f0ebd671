"""WeChat server callbacks → typed events (one XML message or event per POST).

Text messages → ``InboundText`` (dedupe key ``MsgId``); ``subscribe`` → ``Follow`` (through a
parametric QR code its ``EventKey`` is ``qrscene_<scene>``: ``scene`` is set); ``SCAN`` (already
a follower) → ``QrScan``; ``unsubscribe`` → ``Unfollow``; events are deduped on
``FromUserName + CreateTime`` as WeChat advises. Other message types and events (images, menu
clicks, template-send reports, ...) are ``Unknown`` with the reason. In safe mode the body is
the encrypted envelope; ``open_body`` decrypts it first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from relaybird.providers.channel import CallbackRequest, MalformedCallback
from relaybird.providers.channel_events import (
    ChannelEvent,
    Follow,
    InboundText,
    QrScan,
    Unfollow,
    Unknown,
)
from relaybird.providers.wechat import wire
from relaybird.providers.wechat.crypto import CryptoError, WeChatCrypto

NETWORK = "WECHAT"


def is_encrypted(request: CallbackRequest) -> bool:
    return request.query.get("encrypt_type") == "aes"


def open_body(request: CallbackRequest, crypto: WeChatCrypto | None) -> bytes:
    """The plain XML of a callback: as is, or decrypted (and its msg_signature checked)."""
    if not is_encrypted(request):
        return request.body
    if crypto is None:
        raise MalformedCallback("an encrypted callback but no EncodingAESKey is configured")
    try:
        envelope = wire.parse_xml(request.body)
        q = request.query
        return crypto.open(
            envelope.get("Encrypt", ""),
            q.get("timestamp", ""),
            q.get("nonce", ""),
            q.get("msg_signature"),
        )
    except (wire.MalformedXml, CryptoError) as exc:
        raise MalformedCallback(str(exc)) from None


def parse(request: CallbackRequest, crypto: WeChatCrypto | None = None) -> list[ChannelEvent]:
    return [parse_xml(open_body(request, crypto))]


def _at(fields: dict[str, str]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(fields.get("CreateTime", "")), UTC)
    except ValueError:
        return None


def parse_xml(raw: bytes) -> ChannelEvent:
    try:
        fields = wire.parse_xml(raw)
    except wire.MalformedXml as exc:
        raise MalformedCallback(str(exc)) from None
    account = fields.get("ToUserName", "")
    user = fields.get("FromUserName", "")
    at = _at(fields)
    kind = fields.get("MsgType", "")
    if not user:
        return Unknown(NETWORK, f"{kind or 'callback'} without FromUserName", raw=fields)
    if kind == "text":
        msg_id = fields.get("MsgId", "")
        if not msg_id:
            return Unknown(NETWORK, "text message without MsgId", raw=fields)
        return InboundText(
            NETWORK, account, user, msg_id, fields.get("Content", ""), at, msg_id, raw=fields
        )
    if kind != "event":
        return Unknown(NETWORK, f"message type {kind!r} not modelled", fields.get("MsgId"), fields)
    name = fields.get("Event", "")
    event_id = f"{user}:{fields.get('CreateTime', '')}:{name}"
    key = fields.get("EventKey", "")
    ticket = fields.get("Ticket") or None
    if name == "subscribe":
        scene = key.removeprefix(wire.SCENE_PREFIX) if key.startswith(wire.SCENE_PREFIX) else None
        return Follow(
            NETWORK, account, user, at, event_id, scene=scene or None, ticket=ticket, raw=fields
        )
    if name == "SCAN":
        if not key:
            return Unknown(NETWORK, "SCAN without EventKey", event_id, fields)
        return QrScan(NETWORK, account, user, key, ticket, at, event_id, raw=fields)
    if name == "unsubscribe":
        return Unfollow(NETWORK, account, user, at, event_id, raw=fields)
    return Unknown(NETWORK, f"event {name!r} not modelled", event_id, fields)
