"""After a crash: recipients left IN_PROGRESS past their lease.

A status webhook that arrived for such a recipient has already moved it (the applier matches
``biz_opaque_callback_data`` r:<id>, so it works even before we stored the wamid). A recipient
whose send never started (``send_started_at`` unset: the dispatcher marks sends started in small
groups just before the calls go out, while it claims a batch or two ahead) is put back untouched:
INITIAL, or RETRY_SCHEDULED due now, its attempt not counted. What is still IN_PROGRESS after a
started send has an unknown outcome: the send may or may not have reached the provider. The
delivery policy decides: at-most-once (default) → ERROR "outcome unknown"; at-least-once →
RETRY_SCHEDULED now. A webhook arriving later still wins (the provider's word, for every outcome,
is a row of the table).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaigns
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientEvent, RecipientState
from relaybird.config import DeliveryPolicy
from relaybird.dispatcher import repository
from relaybird.models import Recipient


def reconcile_expired(
    session: Session, *, now: datetime, policy: DeliveryPolicy, batch: int = 1000
) -> int:
    ids = repository.expired_leases(session, now, batch)
    if not ids:
        return 0
    # The lease guard makes this a compare-and-set: a recipient whose lease a live dispatcher
    # renewed, or that a webhook moved meanwhile, is left alone.
    unsent = [Recipient.lease_expires_at < now, Recipient.send_started_at.is_(None)]
    put_back = []
    for target, first in ((RecipientState.INITIAL, True), (RecipientState.RETRY_SCHEDULED, False)):
        put_back += move_recipients(
            session,
            ids,
            source=RecipientState.IN_PROGRESS,
            event=RecipientEvent.NOT_STARTED,
            target=target,
            actor="reconciler",
            reason="lease expired before its send started (crash?): put back untouched",
            values={
                "lease_expires_at": None,
                "attempts": Recipient.attempts - 1,
                "next_attempt_at": None if first else now,
                "updated_at": now,
            },
            extra_where=[*unsent, (Recipient.attempts <= 1) if first else (Recipient.attempts > 1)],
            at=now,
        )
    guard = [Recipient.lease_expires_at < now, Recipient.send_started_at.is_not(None)]
    if policy == DeliveryPolicy.AT_LEAST_ONCE:
        moved = move_recipients(
            session,
            ids,
            source=RecipientState.IN_PROGRESS,
            event=RecipientEvent.LEASE_EXPIRED,
            target=RecipientState.RETRY_SCHEDULED,
            actor="reconciler",
            reason="lease expired (crash?): sending again, policy at-least-once",
            values={"lease_expires_at": None, "next_attempt_at": now, "updated_at": now},
            extra_where=guard,
            at=now,
        )
    else:
        title = "outcome unknown: lease expired (crash?), policy at-most-once"
        moved = move_recipients(
            session,
            ids,
            source=RecipientState.IN_PROGRESS,
            event=RecipientEvent.OUTCOME_UNKNOWN,
            target=RecipientState.ERROR,
            actor="reconciler",
            reason=title,
            values={"lease_expires_at": None, "error_title": title, "updated_at": now},
            extra_where=guard,
            at=now,
        )
    for campaign_id in {int(m.extra[0]) for m in moved}:
        campaigns.complete_if_done(session, campaign_id, at=now)
    return len(moved) + len(put_back)
