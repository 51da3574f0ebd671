"""Provider signals about numbers → the lifecycle rules (DESIGN.md §2.1).

Webhooks name a business account (entry.id = WABA) and sometimes a display number, never our
sender ids, so each signal first finds its senders. Every signal is idempotent: a duplicate finds
the number already changed and the rule returns no step.

- ``phone_number_quality_update``: legacy FLAGGED (quality LOW), UNFLAGGED (recovered), UPGRADE /
  DOWNGRADE (new limit); current ONBOARDING / THROUGHPUT_UPGRADE (limit, throughput).
- ``account_update``: DISABLED_UPDATE (DISABLE → BANNED, REINSTATE → CONNECTED),
  ACCOUNT_RESTRICTION with RESTRICTED_BIZ_INITIATED_MESSAGING (RESTRICTED until its expiry),
  ACCOUNT_DELETED / ACCOUNT_OFFBOARDED (BANNED), ACCOUNT_RECONNECTED (reinstated),
  ACCOUNT_VIOLATION (a warning on Meta's enforcement ladder: an event, no status change).
- ``business_capability_update``: the portfolio's (or legacy per-phone) limit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.events.outbox import emit
from relaybird.models import Sender
from relaybird.providers.whatsapp.events import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    PhoneNumberQualityUpdate,
)
from relaybird.senders import lifecycle as lc
from relaybird.senders import repository, service
from relaybird.senders.service import Rule
from relaybird.senders.transitions import QualityRating

log = logging.getLogger("relaybird.senders")

ACTOR = "webhook"
BANNING_EVENTS = frozenset({"ACCOUNT_DELETED", "ACCOUNT_OFFBOARDED"})
# Restrictions that stop business-initiated messages (the calling ones do not concern sends).
MESSAGING_RESTRICTIONS = frozenset({"RESTRICTED_BIZ_INITIATED_MESSAGING"})


def _digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def senders_for(session: Session, waba_id: str, number: str | None = None) -> list[Sender]:
    """The senders a signal is about: the WABA's, narrowed to ``number`` when given."""
    senders = repository.by_waba(session, waba_id)
    if number:
        wanted = _digits(number)
        senders = [s for s in senders if _digits(s.display_phone_number) == wanted]
    return senders


def _apply(session: Session, senders: Sequence[Sender], rule: Rule, now: datetime) -> int:
    for sender in senders:
        service.change(session, sender.id, rule, actor=ACTOR, now=now)
    return len(senders)


def quality_update(session: Session, e: PhoneNumberQualityUpdate, now: datetime) -> int:
    """Returns how many senders it concerned (0: none of ours)."""
    senders = senders_for(session, e.waba_id, e.display_phone_number)
    kind = e.event.strip().upper()
    if kind == "FLAGGED":
        n = _apply(session, senders, lambda v: lc.on_quality(v, QualityRating.LOW, now), now)
    elif kind == "UNFLAGGED":
        n = _apply(session, senders, lambda v: lc.on_unflagged(v, now), now)
    else:
        n = len(senders)
    limit = lc.read_limit(e.current_limit) or lc.read_limit(e.max_daily_conversations_per_business)
    if limit is not None:
        reason = f"provider {kind}: limit {limit}"
        _apply(session, senders, lambda v: lc.on_limit(v, limit, reason), now)
    if kind == "THROUGHPUT_UPGRADE":
        for sender in senders:
            repository.set_fields(session, sender.id, {"throughput_mps": 1000})
    return n


def account_update(session: Session, e: AccountUpdate, now: datetime) -> int:
    senders = senders_for(session, e.waba_id, e.phone_number)
    kind = e.event.strip().upper()
    state = (e.ban_state or "").upper()
    rule: Rule | None = None
    if kind == "DISABLED_UPDATE" and state == "DISABLE":
        rule = lambda v: lc.on_banned(v, "provider disabled the account")  # noqa: E731
    elif kind == "DISABLED_UPDATE" and state == "REINSTATE":
        rule = lambda v: lc.on_reinstated(v, "provider reinstated the account")  # noqa: E731
    elif kind in BANNING_EVENTS:
        rule = lambda v: lc.on_banned(v, f"provider: {kind}")  # noqa: E731
    elif kind == "ACCOUNT_RECONNECTED":
        rule = lambda v: lc.on_reinstated(v, "provider: ACCOUNT_RECONNECTED")  # noqa: E731
    elif kind == "ACCOUNT_RESTRICTION":
        if not MESSAGING_RESTRICTIONS.intersection(t.upper() for t in e.restriction_types):
            return len(senders)
        until = e.restriction_expires

        def rule(v: lc.SenderView) -> lc.Step | None:
            return lc.on_provider_restriction(
                v, until, "provider restricted business-initiated messaging"
            )
    elif kind in ("ACCOUNT_VIOLATION", "DISABLED_UPDATE"):
        # A warning (or a scheduled disable): people should know; the status does not change.
        for sender in senders:
            emit(
                session,
                workspace_id=sender.workspace_id,
                type="sender.provider_notice",
                entity="sender",
                entity_id=sender.id,
                data={
                    "id": sender.id,
                    "event": kind,
                    "violation_type": e.violation_type,
                    "ban_state": e.ban_state,
                },
                at=now,
            )
        return len(senders)
    else:
        log.info("account_update %s: nothing to do for senders", kind)
        return len(senders)
    return _apply(session, senders, rule, now)


def capability_update(session: Session, e: BusinessCapabilityUpdate, now: datetime) -> int:
    senders = senders_for(session, e.waba_id)
    limit = lc.read_limit(e.max_daily_conversations_per_business) or lc.read_limit(
        e.max_daily_conversation_per_phone
    )
    if limit is None:
        return len(senders)
    reason = f"provider capability update: limit {limit}"
    return _apply(session, senders, lambda v: lc.on_limit(v, limit, reason), now)
