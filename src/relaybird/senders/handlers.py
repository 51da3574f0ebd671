"""The inbox applier's hooks for senders: webhook events about numbers → ``senders.signals``, and
inbound messages → the customer-service window (replies to that phone do not count against the
limit for 24 h). Registered in ``relaybird.wiring.registered_handlers``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session

from relaybird.inbox.handlers import ApplyContext, Handler, Registry
from relaybird.providers.whatsapp.events import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    InboundMessage,
    PhoneNumberQualityUpdate,
)
from relaybird.senders import repository, signals, window

SERVICE_WINDOW = timedelta(hours=24)
E = TypeVar("E")


def register(registry: Registry) -> None:
    registry.on(PhoneNumberQualityUpdate, _unmatched(signals.quality_update))
    registry.on(AccountUpdate, _unmatched(signals.account_update))
    registry.on(BusinessCapabilityUpdate, _unmatched(signals.capability_update))
    registry.on(InboundMessage, on_inbound_messages)


def _unmatched(signal: Callable[[Session, E, datetime], int]) -> Handler:
    """The handler of a number signal: the events that concerned none of our senders."""

    def handler(session: Session, events: Sequence[E], ctx: ApplyContext) -> list[E]:
        return [e for e in events if not signal(session, e, ctx.now)]

    return handler


def on_inbound_messages(
    session: Session, events: Sequence[InboundMessage], ctx: ApplyContext
) -> None:
    """Any message from a user opens (or refreshes) its 24 h customer-service window."""
    for e in events:
        if e.phone_number_id is None:
            continue
        sender = repository.by_phone_number_id(session, e.phone_number_id)
        if sender is None:
            continue
        at = e.timestamp or ctx.now
        window.open_service_window(
            session, sender.id, "+" + e.sender.lstrip("+"), at + SERVICE_WINDOW
        )
