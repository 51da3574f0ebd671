"""Recording send outcomes: the third short transaction of a send, one per batch of results.

``outcomes.decide`` says what each outcome means (pure); this module writes the decisions: one
``move_recipients`` per group of equal decisions (same event, target and error), the per-row
fields (wamids; retry times of the rows that really moved), then the stops' effects: a
template-stop auto-pauses its campaign with the reason; a sender-stop moves the number's status
(``senders.on_send_error``: RESTRICTED or OFFLINE), so its campaigns stay RUNNING and wait with a
visible reason, as for any other cause, and resume by themselves when a later reading says it can
send.
A status webhook may have moved the recipient already (it can beat the send call's answer): the
compare-and-set moves skip such rows, and the wamid is stored on them all the same.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaigns
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientEvent, RecipientState
from relaybird.dispatcher import repository
from relaybird.dispatcher.outcomes import Decision, Outcome, SendPolicy, decide
from relaybird.errors import IllegalTransition
from relaybird.models import Campaign, Recipient
from relaybird.senders import service as senders

RELEASE_REASON = "put back untouched: the campaign or sender stopped"

# Decisions that write the same thing to every row, moved in one statement.
_Group = tuple[RecipientEvent, RecipientState | None, int | None, str | None]


def record(
    session: Session,
    outcomes: Sequence[Outcome],
    *,
    now: datetime,
    policy: SendPolicy,
    pauses: dict[int, str] | None = None,
    on_template: frozenset[int] = frozenset(),
    sender_stop: int | None = None,
    rng: random.Random | None = None,
) -> set[int]:
    """Write every outcome and the auto-pauses (``pauses``: campaign → reason, template-stop
    errors; ``on_template``: those of them Meta stopped by stopping their template, whose pause
    names it so that Meta making it sendable again resumes them); ``sender_stop``: the sender
    whose send errors say it cannot send (its status moves; its campaigns wait). Returns the
    campaigns touched."""
    write(session, [decide(o, policy, rng) for o in outcomes], now=now)
    if sender_stop is not None:
        _sender_effect(session, sender_stop, outcomes, now)
    for campaign_id, reason in (pauses or {}).items():
        # Already paused by an admin or ended meanwhile: the reason changes nothing then.
        with contextlib.suppress(IllegalTransition):
            template_id = (
                session.scalar(select(Campaign.template_id).where(Campaign.id == campaign_id))
                if campaign_id in on_template
                else None
            )
            campaigns.auto_pause(session, campaign_id, reason, at=now, template_id=template_id)
    touched = {o.item.campaign_id for o in outcomes}
    for campaign_id in touched:
        campaigns.complete_if_done(session, campaign_id, at=now)
    return touched


def write(session: Session, decisions: Sequence[Decision], *, now: datetime) -> None:
    groups: dict[_Group, list[Decision]] = defaultdict(list)
    for d in decisions:
        groups[(d.event, d.back_to, d.error_code, d.error_title)].append(d)
    wamids: list[dict[str, Any]] = []
    retry_at: list[dict[str, Any]] = []
    for members in groups.values():
        first = members[0]
        released = first.event == RecipientEvent.RELEASED
        moved = move_recipients(
            session,
            [d.recipient_id for d in members],
            source=RecipientState.IN_PROGRESS,
            event=first.event,
            target=first.target,
            actor="dispatcher",
            reason=RELEASE_REASON if released else first.error_title,
            error_code=first.error_code,
            values=_values(first, now),
            at=now,
        )
        if first.event == RecipientEvent.ACCEPTED:
            wamids += [{"id": d.recipient_id, "wamid": d.wamid} for d in members]
        elif first.event == RecipientEvent.TRANSIENT_ERROR:
            # Only rows that really moved to RETRY_SCHEDULED get a time (a webhook may have won).
            ids = {m.id for m in moved}
            retry_at += [
                {"id": d.recipient_id, "next_attempt_at": now + d.retry_in}
                for d in members
                if d.recipient_id in ids and d.retry_in is not None
            ]
    repository.set_per_row(session, wamids)
    repository.set_per_row(session, retry_at)


def _values(d: Decision, now: datetime) -> dict[str, Any]:
    """The columns every row of ``d``'s group gets besides its state."""
    values: dict[str, Any] = {"lease_expires_at": None, "updated_at": now}
    if d.event == RecipientEvent.RELEASED:
        values["attempts"] = Recipient.attempts - 1  # the attempt is not counted
    elif d.event != RecipientEvent.ACCEPTED:
        values |= {"error_code": d.error_code, "error_title": d.error_title}
    return values


def _sender_effect(
    session: Session, sender_id: int, outcomes: Sequence[Outcome], now: datetime
) -> None:
    """A sender-stop error moves the sender's status (locked, spam-restricted: RESTRICTED; not
    registered, token, payment: OFFLINE), once per batch, in the same transaction."""
    for o in outcomes:
        if o.error is not None and o.error.sender_effect is not None:
            senders.on_send_error(session, sender_id, o.error, actor="dispatcher", now=now)
            return
