"""SQL of the dispatcher: due recipients, per-row outcome fields, expired leases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from relaybird.campaigns.transitions import CampaignState, RecipientState
from relaybird.db import leases
from relaybird.kit.poison import reason_of
from relaybird.models import Campaign, Recipient, Sender


def running_campaigns(
    session: Session, sender_id: int, exclude: Sequence[int] = ()
) -> list[Campaign]:
    query = select(Campaign).where(
        Campaign.sender_id == sender_id, Campaign.state == CampaignState.RUNNING.value
    )
    if exclude:
        query = query.where(Campaign.id.not_in(list(exclude)))
    return list(session.scalars(query.order_by(Campaign.id)))


def senders_with_running_campaigns(session: Session) -> list[int]:
    return [
        int(x)
        for x in session.scalars(
            select(Campaign.sender_id)
            .where(Campaign.state == CampaignState.RUNNING.value)
            .distinct()
        )
    ]


_DUE_COLUMNS = (
    Recipient.id,
    Recipient.campaign_id,
    Recipient.state,
    Recipient.phone,
    Recipient.params,
    Recipient.attempts,
)


@dataclass(frozen=True)
class Due:
    id: int
    campaign_id: int
    state: str
    phone: str
    params: tuple[str, ...]
    attempts: int


def _due(row: Any) -> Due:
    return Due(int(row[0]), int(row[1]), str(row[2]), str(row[3]), tuple(row[4] or ()), int(row[5]))


def due_recipients(
    session: Session,
    campaign_id: int,
    now: datetime,
    limit: int,
    only: ColumnElement[bool] | None = None,
    zones: Sequence[int] | None = None,
) -> list[Due]:
    """Due retries first, then never-tried ones. No ORDER BY: the claim index
    (campaign_id, state, zone_id, next_attempt_at) yields a campaign's rows of one state zone
    by zone, each zone's in file order, and sorting a million INITIAL rows by id would cost
    more than the claim. ``only``: a further condition
    (the recipients that cost no room, for a number at its limit). ``zones``: a campaign with a
    send window: only recipients of these zones (those open now), sought zone by zone in
    the same index."""
    extra = [] if only is None else [only]
    if zones is not None:
        extra.append(Recipient.zone_id.in_(list(zones)))
    rows = [
        _due(r)
        for r in session.execute(
            select(*_DUE_COLUMNS)
            .where(
                Recipient.campaign_id == campaign_id,
                Recipient.state == RecipientState.RETRY_SCHEDULED.value,
                Recipient.next_attempt_at <= now,
                *extra,
            )
            .limit(limit)
        )
    ]
    if len(rows) < limit:
        rows.extend(
            _due(r)
            for r in session.execute(
                select(*_DUE_COLUMNS)
                .where(
                    Recipient.campaign_id == campaign_id,
                    Recipient.state == RecipientState.INITIAL.value,
                    *extra,
                )
                .limit(limit - len(rows))
            )
        )
    return rows


def mark_started(session: Session, ids: Sequence[int], now: datetime) -> set[int]:
    """These claimed sends start now (crash recovery judges only started ones "outcome
    unknown"), except those whose campaign is no longer RUNNING (paused by an admin or by a
    template webhook, ended, since the claim) and those crash recovery took back (no longer
    IN_PROGRESS): their ids are returned, not started, for the dispatcher to give back
    untouched."""
    if not ids:
        return set()
    stopped = set(
        session.scalars(
            select(Recipient.id)
            .join(Campaign, Campaign.id == Recipient.campaign_id)
            .where(Recipient.id.in_(list(ids)), Campaign.state != CampaignState.RUNNING.value)
        )
    )
    go = [i for i in ids if i not in stopped]
    if go:
        started = set(
            session.scalars(
                update(Recipient)
                .where(Recipient.id.in_(go), Recipient.state == RecipientState.IN_PROGRESS.value)
                .values(send_started_at=now)
                .returning(Recipient.id),
                execution_options={"synchronize_session": False},
            )
        )
        # Not IN_PROGRESS any more: its lease ran out before it started (a stalled process)
        # and crash recovery put it back for another claim. Sending it now would send it twice.
        stopped |= set(go) - started
    return stopped


def set_per_row(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key: each dict has ``id`` and the columns to set."""
    if rows:
        session.execute(update(Recipient), list(rows))


def expired_leases(session: Session, now: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(Recipient.id)
            .where(
                Recipient.state == RecipientState.IN_PROGRESS.value,
                Recipient.lease_expires_at < now,
            )
            .limit(limit)
        )
    )


def take_sender_lease(
    session: Session, sender_id: int, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Drive ``sender_id`` for ``ttl`` (scale-out: one worker per sender; db.leases)."""
    return leases.acquire(session, Sender, sender_id, owner, now, ttl)


def drop_sender_lease(session: Session, sender_id: int, owner: str) -> None:
    leases.release(session, Sender, sender_id, owner)


def unreadable_due(
    session: Session, campaign_ids: Sequence[int], now: datetime, limit: int
) -> list[tuple[int, RecipientState, str]]:
    """The due recipients (read in the claim's order) whose stored row cannot become a send:
    (id, state, reason). What the claim trips on, found row by row."""
    found: list[tuple[int, RecipientState, str]] = []
    for campaign_id in campaign_ids:
        for state, due_now in (
            (RecipientState.RETRY_SCHEDULED, Recipient.next_attempt_at <= now),
            (RecipientState.INITIAL, Recipient.id.is_not(None)),
        ):
            rows = session.execute(
                select(*_DUE_COLUMNS)
                .where(
                    Recipient.campaign_id == campaign_id,
                    Recipient.state == state.value,
                    due_now,
                )
                .limit(limit)
            )
            for row in rows:
                try:
                    _due(row)
                except Exception as exc:
                    found.append((int(row[0]), state, reason_of(exc)))
    return found
