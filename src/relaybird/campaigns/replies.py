"""Inbound messages from campaign recipients, linked back to the campaign (reply count/rate).

Registered in the inbox applier (inbox/handlers.py). A reply is matched by the message it quotes
(``context.id`` = our wamid) when WhatsApp sends one, else by the latest campaign message this
sender sent to that phone within 7 days. Every reply is stored (text, type, button payload: the
Replies tab, the per-button counts, the replies export); only a recipient's first reply counts
for the reply rate; duplicates and replays change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from relaybird.campaigns import repository, service
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.providers.whatsapp.events import InboundMessage


def apply_replies(session: Session, events: Sequence[InboundMessage], ctx: ApplyContext) -> None:
    for event in events:
        if event.phone_number_id is None or event.type == "system":
            continue
        sender_id = repository.sender_id_by_phone_number_id(session, event.phone_number_id)
        if sender_id is None:
            continue
        phone = "+" + event.sender.lstrip("+")
        service.record_reply(
            session,
            sender_id,
            phone,
            event.timestamp or ctx.now,
            quoted=event.context_wamid,
            message=service.InboundReply(event.wamid, event.type, event.text, button_of(event)),
        )


def button_of(event: InboundMessage) -> str | None:
    """A quick-reply button's payload (``type: button``) or an interactive reply's id."""
    raw = event.raw
    if event.type == "button":
        button = raw.get("button") or {}
        value = button.get("payload") or button.get("text")
        return str(value) if value else None
    if event.type == "interactive":
        inner = raw.get("interactive") or {}
        reply = inner.get("button_reply") or inner.get("list_reply") or {}
        value = reply.get("id") or reply.get("title")
        return str(value) if value else None
    return None


def register(registry: Registry) -> None:
    registry.on(InboundMessage, apply_replies)
