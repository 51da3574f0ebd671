"""The inbox applier's hooks for consent (registered in ``relaybird.wiring``).

- An inbound text (or quick-reply button) that is, as a whole, an opt-out keyword of the
  workspace suppresses the number; an opt-in keyword lifts the person's own suppression. With
  ``confirm`` on, a confirmation is queued (sent by the ``consent.replies`` loop).
- Meta's ``user_preferences`` marketing ``stop`` suppresses; ``resume`` and ``signup`` lift.
- A ``failed`` status with 131050 (the person stopped marketing messages) suppresses. Statuses
  are only observed here: every one is returned unmatched, so whether a status is retried stays
  the campaigns' and rooms' decision.
Each is idempotent: a replayed body finds the number already suppressed (or already lifted) and
its confirmation already queued (one per inbound wamid).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from relaybird.consent import keywords, repository, service
from relaybird.consent.schemas import Source
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.models.consent import ReplyStatus
from relaybird.providers.whatsapp.events import InboundMessage, MessageStatus, UserPreferences

log = logging.getLogger("relaybird.consent")

ACTOR = "webhook"
STOPPED_MARKETING = 131050
# A confirmation is free-form text: only inside the 24 h window the keyword opened.
SERVICE_WINDOW = timedelta(hours=24)


def register(registry: Registry) -> None:
    registry.on(InboundMessage, on_inbound)
    registry.on(UserPreferences, on_user_preferences)
    registry.on(MessageStatus, on_statuses)


def _phone(wa_id: str) -> str:
    return "+" + wa_id.lstrip("+")


def on_inbound(session: Session, events: Sequence[InboundMessage], ctx: ApplyContext) -> None:
    for event in events:
        if event.phone_number_id is None or event.type not in ("text", "button"):
            continue
        sender = repository.sender_by_phone_number_id(session, event.phone_number_id)
        if sender is None:
            continue
        rules = service.rules_of(session, sender.workspace_id, ctx.settings)
        kind = keywords.classify(event.text, rules.opt_out, rules.opt_in)
        if kind is None:
            continue
        phone = _phone(event.sender)
        at = event.timestamp or ctx.now
        if kind is keywords.Keyword.OPT_OUT:
            word = keywords.normalise(event.text or "")
            service.suppress(
                session,
                sender.workspace_id,
                phone,
                Source.KEYWORD,
                reason=f"texted {word}",
                actor=ACTOR,
                now=ctx.now,
                sender_id=sender.id,
            )
            text = rules.opt_out_reply
        else:
            service.lift(
                session, sender.workspace_id, phone, actor=ACTOR, now=ctx.now, by_person=True
            )
            text = rules.opt_in_reply
        if rules.confirm and ctx.now - at < SERVICE_WINDOW:
            repository.queue_reply(
                session,
                {
                    "workspace_id": sender.workspace_id,
                    "sender_id": sender.id,
                    "phone": phone,
                    "text": text,
                    "inbound_wamid": event.wamid[:128],
                    "status": ReplyStatus.QUEUED,
                    "created_at": ctx.now,
                },
            )


def on_user_preferences(
    session: Session, events: Sequence[UserPreferences], ctx: ApplyContext
) -> None:
    for event in events:
        if event.phone_number_id is None or event.category not in (None, "marketing_messages"):
            continue
        sender = repository.sender_by_phone_number_id(session, event.phone_number_id)
        if sender is None:
            log.info("user_preferences for a number that is no sender: ignored")
            continue
        phone = _phone(event.wa_id)
        if event.value == "stop":
            service.suppress(
                session,
                sender.workspace_id,
                phone,
                Source.USER_PREFERENCES,
                reason=event.detail or "stopped marketing messages",
                actor=ACTOR,
                now=ctx.now,
                sender_id=sender.id,
            )
        elif event.value in ("resume", "signup"):
            service.lift(
                session, sender.workspace_id, phone, actor=ACTOR, now=ctx.now, by_person=True
            )


def on_statuses(
    session: Session, events: Sequence[MessageStatus], ctx: ApplyContext
) -> list[MessageStatus]:
    for event in events:
        if (
            event.status != "failed"
            or event.error_code != STOPPED_MARKETING
            or event.recipient is None
            or event.phone_number_id is None
        ):
            continue
        sender = repository.sender_by_phone_number_id(session, event.phone_number_id)
        if sender is None:
            continue
        service.suppress(
            session,
            sender.workspace_id,
            _phone(event.recipient),
            Source.ERROR_131050,
            reason="131050: the person stopped marketing messages from this business",
            actor=ACTOR,
            now=ctx.now,
            sender_id=sender.id,
        )
    # Statuses of our own confirmations (callback data c:<id>) are ours: nothing to retry.
    return [e for e in events if not (e.callback_data or "").startswith("c:")]
