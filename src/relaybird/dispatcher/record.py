"""Recording send outcomes: the third short transaction of a send, one per batch of results.

``outcomes.decide`` says what each outcome means (pure); this module writes the decisions: one
``move_recipients`` per group of equal decisions (same event, target and error), writing the
per-row fields (wamids; retry times of the rows that really moved) in that same UPDATE, then the
stops' effects: a template-stop auto-pauses its campaign with the reason; a sender-stop moves the
number's status (``senders.on_send_error``: RESTRICTED or OFFLINE), so its campaigns stay RUNNING
and wait with a visible reason, as for any other cause, and resume by themselves when a later
reading says it can send.
A status webhook may have moved the recipient already (it can beat the send call's answer): the
compare-and-set moves skip such rows, and the wamid is stored on them all the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, bindparam, case, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaigns
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import CAMPAIGN, RecipientEvent, RecipientState
from relaybird.dispatcher import repository
from relaybird.dispatcher.outcomes import Decision, Outcome, SendPolicy, decide
from relaybird.dispatcher.stops import Unwritten
from relaybird.errors import IllegalTransition
from relaybird.models import Campaign, Recipient, Transition
from relaybird.senders import service as senders

log = logging.getLogger("relaybird.dispatcher")

RELEASE_REASON = "put back untouched: the campaign or sender stopped"

# Decisions that write the same thing to every row, moved in one statement.
_Group = tuple[RecipientEvent, RecipientState | None, int | None, str | None]


def record(
    session: Session,
    outcomes: Sequence[Outcome],
    *,
    now: datetime,
    policy: SendPolicy,
    stops: Unwritten | None = None,
    sender_stop: int | None = None,
    rng: random.Random | None = None,
) -> set[int]:
    """Write every outcome and the auto-pauses of ``stops`` (template-stop errors; those Meta
    stopped by stopping their template name it, so that Meta making it sendable again resumes
    them; a campaign moved after the stopping send was claimed is not paused on that older
    evidence); ``sender_stop``: the sender
    whose send errors say it cannot send (its status moves; its campaigns wait). Returns the
    campaigns touched."""
    write(session, [decide(o, policy, rng) for o in outcomes], now=now)
    if sender_stop is not None:
        _sender_effect(session, sender_stop, outcomes, now)
    stops = stops or Unwritten()
    for campaign_id, reason in stops.pauses.items():
        seq = stops.since.get(campaign_id)
        if seq is not None and _moved_since(session, campaign_id, seq):
            # Meta's webhooks paused and un-paused it (auto_resume), or a user resumed it, after
            # the send was claimed: the stop is older than the campaign's state; the next send
            # tells again.
            log.info("campaign %s: a stop older than its last move pauses nothing", campaign_id)
            continue
        # Already paused by an admin or ended meanwhile: the reason changes nothing then.
        with contextlib.suppress(IllegalTransition):
            template_id = (
                session.scalar(select(Campaign.template_id).where(Campaign.id == campaign_id))
                if campaign_id in stops.on_template
                else None
            )
            campaigns.auto_pause(session, campaign_id, reason, at=now, template_id=template_id)
    touched = {o.item.campaign_id for o in outcomes}
    for campaign_id in touched:
        campaigns.complete_if_done(session, campaign_id, at=now)
    return touched


def _moved_since(session: Session, campaign_id: int, seq: int) -> bool:
    return (
        session.scalar(
            select(Transition.id)
            .where(
                Transition.entity == CAMPAIGN.entity,
                Transition.entity_id == campaign_id,
                Transition.id > seq,
            )
            .limit(1)
        )
        is not None
    )


def write(session: Session, decisions: Sequence[Decision], *, now: datetime) -> None:
    groups: dict[_Group, list[Decision]] = defaultdict(list)
    for d in decisions:
        groups[(d.event, d.back_to, d.error_code, d.error_title)].append(d)
    late_wamids: list[dict[str, Any]] = []
    for members in groups.values():
        for start in range(0, len(members), _CHUNK):
            late_wamids += _move(session, members[start : start + _CHUNK], now)
    repository.set_per_row(session, late_wamids)


# Rows per statement: the per-row values ride in one CASE, two parameters a row.
_CHUNK = 1000


def _move(session: Session, members: Sequence[Decision], now: datetime) -> list[dict[str, Any]]:
    """One statement moves the group, with its per-row fields (the wamid of an accepted send,
    the next attempt of a retried one) written by the same UPDATE, so each row is written once.
    Returns the wamids of accepted sends whose row did not move (a status webhook won the
    race): they are stored all the same."""
    first = members[0]
    released = first.event == RecipientEvent.RELEASED
    values = _values(first, now)
    if first.event == RecipientEvent.ACCEPTED:
        values["wamid"] = _wamids(session, {d.recipient_id: d.wamid for d in members})
    elif first.event == RecipientEvent.TRANSIENT_ERROR:
        # Only rows that really move to RETRY_SCHEDULED get a time (a webhook may have won).
        retry = {d.recipient_id: now + d.retry_in for d in members if d.retry_in is not None}
        if retry:
            values["next_attempt_at"] = _per_row(retry, Recipient.next_attempt_at)
    moved = move_recipients(
        session,
        [d.recipient_id for d in members],
        source=RecipientState.IN_PROGRESS,
        event=first.event,
        target=first.target,
        actor="dispatcher",
        reason=RELEASE_REASON if released else first.error_title,
        error_code=first.error_code,
        values=values,
        at=now,
    )
    if first.event != RecipientEvent.ACCEPTED:
        return []
    ids = {m.id for m in moved}
    return [{"id": d.recipient_id, "wamid": d.wamid} for d in members if d.recipient_id not in ids]


def _per_row(by_id: dict[int, Any], otherwise: Any = None) -> Any:
    """A CASE giving each row its own value by id (``CASE id WHEN … THEN …``, the ids compared
    as the BIGINT column). Its WHENs are padded to a power of two (the last pair repeated, which
    changes nothing): SQLAlchemy caches a statement's compiled form by its shape, and a batch's
    size varies with every flush, so without it nearly every record compiled its UPDATE anew.
    Only the retry times use it (typed values, converted by the column; a rare path); the hot
    path's wamids travel as one JSON parameter (``_wamids``)."""
    pairs = list(by_id.items())
    size = 1 << max(0, len(pairs) - 1).bit_length()
    pairs += [pairs[-1]] * (size - len(pairs))
    return case(*pairs, value=_ID, else_=otherwise)  # type: ignore[arg-type]


_ID = Recipient.__table__.c.id


def _wamids(session: Session, by_id: dict[int, str | None]) -> Any:
    """Each row's wamid looked up by its id in one JSON parameter (``{"id": "wamid"}``), the
    same SQL for any batch. A CASE of a bound pair per row cost ~27 µs of Python per recipient
    to build (5.4 ms per 200-row flush) before the statement ran; the database takes the value
    out of the JSON in well under 1 µs a row (SQLite: json_extract; PostgreSQL: the document is
    parsed once, as an InitPlan). A row missing from it gets NULL, as the CASE's ELSE did."""
    doc = bindparam(None, json.dumps({str(k): v for k, v in by_id.items()}), type_=Text)
    if session.get_bind().dialect.name == "postgresql":
        parsed = select(cast(doc, JSONB)).scalar_subquery()
        return parsed.op("->>")(cast(_ID, Text))
    return func.json_extract(doc, func.printf('$."%d"', _ID))


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
