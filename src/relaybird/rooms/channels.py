"""What the Direct networks' provider callbacks do to rooms and contacts (issue 16).

Twilio (SMS & Voice Direct): an inbound SMS or call is the same event as a ``/webhooks/direct``
post and goes through ``rooms.direct.receive`` (unknown caller → INCOMPLETE contact + room +
welcome; a number on the user's block list → BLOCKED, HELD); a status callback moves the room
message it names (callback data ``m:<id>``, else the Twilio message SID we recorded) to SENT,
DELIVERED or FAILED. Everything here runs in the door's one transaction, after the signature
was verified; nothing here talks to a provider.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.models import Connector, RoomMessage
from relaybird.providers.channel_events import (
    ChannelEvent,
    DeliveryState,
    InboundCall,
    InboundText,
    StatusUpdate,
)
from relaybird.rooms import direct, messages, repository
from relaybird.rooms.schemas import DirectInbound

log = logging.getLogger("relaybird.rooms")

ACTOR = "channel-webhook"
_MOVES = {
    DeliveryState.SENT: "sent",
    DeliveryState.DELIVERED: "delivered",
    DeliveryState.READ: "read",
    DeliveryState.FAILED: "failed",
}


@dataclass
class Applied:
    queued: list[int] = field(default_factory=list)  # outbound messages to send after commit
    received: list[direct.Received] = field(default_factory=list)
    statuses: int = 0  # room messages moved


def _message(session: Session, connector: Connector, event: StatusUpdate) -> RoomMessage | None:
    data = event.callback_data or ""
    found: RoomMessage | None = None
    if data.startswith("m:") and data[2:].isdigit():
        found = repository.message(session, int(data[2:]))
    elif not data:
        found = repository.message_by_wamid(session, event.message_id)
    if found is None or found.workspace_id != connector.workspace_id or found.direction != "OUT":
        return None
    return found


def apply_direct_events(
    session: Session,
    settings: Settings,
    connector: Connector,
    events: Sequence[ChannelEvent],
    *,
    now: datetime,
) -> Applied:
    """Twilio's events for ``connector``'s workspace. Raises InvalidInput for an inbound to a
    number that is no user's virtual number there (nothing is written then)."""
    out = Applied()
    for event in events:
        if isinstance(event, InboundText | InboundCall):
            call = isinstance(event, InboundCall)
            body = DirectInbound.model_validate(
                {
                    "network": connector.network,
                    "from": event.caller if isinstance(event, InboundCall) else event.sender,
                    "to": event.account,
                    "kind": "call" if call else "message",
                    "text": None if isinstance(event, InboundCall) else event.text[:4096],
                    "id": event.call_id if isinstance(event, InboundCall) else event.message_id,
                }
            )
            got = direct.receive(
                session, settings, body, b"", now=now, workspace_id=connector.workspace_id
            )
            out.received.append(got)
            out.queued.extend(got.queued)
        elif isinstance(event, StatusUpdate):
            move = _MOVES.get(event.state)
            message = _message(session, connector, event)
            if move is None or message is None:
                continue
            if message.wamid is None:
                repository.set_wamid(session, message.id, event.message_id)
            error = event.error
            moved = messages.apply_status(
                session,
                message,
                move,
                error_code=error.code if error else None,
                error_title=error.title if error else None,
                actor=ACTOR,
                now=now,
            )
            out.statuses += int(moved)
        else:
            log.info("%s callback event not applied: %s", connector.network, type(event).__name__)
    return out
