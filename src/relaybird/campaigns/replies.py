"""Inbound messages from campaign recipients, linked back to the campaign (reply count/rate).

Registered in the inbox applier (inbox/handlers.py). A reply is matched by the message it quotes
(``context.id`` = our wamid) when WhatsApp sends one, else by the latest campaign message this
sender sent to that phone; either send must have started within ``campaign_reply_window``
(default 7 days) before the reply. Every reply is stored (text, type, the tapped button's payload
or id: the Replies tab, the per-button counts, the replies export); only a recipient's first
reply counts for the reply rate; duplicates and replays change nothing. Answering a reply is
rooms' (rooms/answers.py: a free-form message in a room for the number); ``reply_origin`` is
what it reads here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.campaigns import repository, service
from relaybird.errors import Conflict, NotFound
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.models import Campaign, CampaignReply
from relaybird.providers.whatsapp.events import InboundMessage


def apply_replies(session: Session, events: Sequence[InboundMessage], ctx: ApplyContext) -> None:
    window = ctx.settings.campaign_reply_window
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
            window=window,
            quoted=event.context_wamid,
            message=service.InboundReply(event.wamid, event.type, event.text, event.button),
        )


@dataclass(frozen=True)
class ReplyOrigin:
    """A reply with what answering it needs: its campaign's sender, the number it came from,
    and when that number last wrote to that sender (this reply or a later one)."""

    reply: CampaignReply
    campaign: Campaign
    sender_id: int
    phone: str
    last_inbound_at: datetime


def reply_origin(
    session: Session, workspace_id: int, campaign_id: int, reply_id: int
) -> ReplyOrigin:
    """404 for a campaign of another workspace or a reply of another campaign."""
    campaign = service.get(session, workspace_id, campaign_id)
    reply = repository.get_reply(session, campaign_id, reply_id)
    if reply is None:
        raise NotFound(f"reply {reply_id} not found in campaign {campaign_id}")
    recipient = service.get_recipient(session, workspace_id, campaign_id, reply.recipient_id)
    if recipient.phone is None:  # never for a linked reply; a row without a number has no wamid
        raise Conflict(f"recipient {recipient.id} has no phone number to answer")
    last = repository.last_reply_at(session, campaign.sender_id, recipient.phone)
    return ReplyOrigin(
        reply=reply,
        campaign=campaign,
        sender_id=campaign.sender_id,
        phone=recipient.phone,
        last_inbound_at=max(last or reply.received_at, reply.received_at),
    )


def register(registry: Registry) -> None:
    registry.on(InboundMessage, apply_replies)
