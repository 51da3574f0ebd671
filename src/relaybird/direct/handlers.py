"""The inbox applier's hook for WhatsApp Direct (registered in
``relaybird.wiring.registered_handlers``).

A message to a number that is a user's WhatsApp-Direct virtual number (a Cloud API number of
the same workspace) is handled as on ``/webhooks/direct``: unknown caller → INCOMPLETE contact,
room, welcome; a number on the user's block list → BLOCKED, HELD. The welcome is sent by the
rooms.sender loop after this apply commits. Every other inbound message is the rooms' handler's
(``rooms.handlers.on_inbound`` leaves these alone).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from relaybird.direct import inbound
from relaybird.direct.schemas import DirectInbound
from relaybird.errors import InvalidInput
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.providers.whatsapp.events import InboundMessage
from relaybird.rooms import repository as rooms_repository

log = logging.getLogger("relaybird.rooms")


def register(registry: Registry) -> None:
    registry.on(InboundMessage, on_inbound)


def on_inbound(session: Session, events: Sequence[InboundMessage], ctx: ApplyContext) -> None:
    for event in events:
        if event.phone_number_id is None or event.type == "system":
            continue
        sender = rooms_repository.sender_by_phone_number_id(session, event.phone_number_id)
        if sender is None:
            continue
        number = rooms_repository.whatsapp_direct_number(session, sender)
        if number is None:
            continue
        body = DirectInbound.model_validate(
            {
                "network": "WHATSAPP_DIRECT",
                "from": "+" + event.sender.lstrip("+"),
                "to": number.phone,
                "kind": "message",
                "text": (event.text or "")[:4096] or None,
                "id": event.wamid[:100],
                "timestamp": event.timestamp,
            }
        )
        try:
            inbound.receive(
                session, ctx.settings, body, b"", now=ctx.now, workspace_id=sender.workspace_id
            )
        except InvalidInput as exc:  # a sender we cannot read as a phone number: nothing to do
            log.warning("WhatsApp-Direct message dropped: %s", exc.detail)
