"""The inbox applier's hooks for senders: webhook events about numbers → ``senders.signals``, and
inbound messages → the customer-service window (replies to that phone do not count against the
limit for 24 h). Registered in ``relaybird.wiring.registered_handlers``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.providers.whatsapp.events import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    InboundMessage,
    PhoneNumberQualityUpdate,
)
from relaybird.senders import repository, signals, window

SERVICE_WINDOW = timedelta(hours=24)


def register(registry: Registry) -> None:
    registry.on(PhoneNumberQualityUpdate, on_quality_updates)
    registry.on(AccountUpdate, on_account_updates)
    registry.on(BusinessCapabilityUpdate, on_capability_updates)
    registry.on(InboundMessage, on_inbound_messages)


def on_quality_updates(
    session: Session, events: Sequence[PhoneNumberQualityUpdate], ctx: ApplyContext
) -> list[PhoneNumberQualityUpdate]:
    return [
        e
        for e in events
        if not signals.quality_update(
            session,
            waba_id=e.waba_id,
            display_phone_number=e.display_phone_number,
            event=e.event,
            current_limit=e.current_limit,
            max_daily_conversations_per_business=e.max_daily_conversations_per_business,
            now=ctx.now,
        )
    ]


def on_account_updates(
    session: Session, events: Sequence[AccountUpdate], ctx: ApplyContext
) -> list[AccountUpdate]:
    return [
        e
        for e in events
        if not signals.account_update(
            session,
            waba_id=e.waba_id,
            event=e.event,
            phone_number=e.phone_number,
            ban_state=e.ban_state,
            restriction_types=e.restriction_types,
            restriction_expires=e.restriction_expires,
            violation_type=e.violation_type,
            now=ctx.now,
        )
    ]


def on_capability_updates(
    session: Session, events: Sequence[BusinessCapabilityUpdate], ctx: ApplyContext
) -> list[BusinessCapabilityUpdate]:
    return [
        e
        for e in events
        if not signals.capability_update(
            session,
            waba_id=e.waba_id,
            max_daily_conversations_per_business=e.max_daily_conversations_per_business,
            max_daily_conversation_per_phone=e.max_daily_conversation_per_phone,
            now=ctx.now,
        )
    ]


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
