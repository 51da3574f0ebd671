"""SQL of the e-mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from relaybird.models import OutgoingEmail


def claim_due(
    session: Session, now: datetime, lease_until: datetime, limit: int
) -> list[OutgoingEmail]:
    """Claim due QUEUED rows by pushing their next attempt to ``lease_until`` and counting the
    attempt. A crash after the claim leaves the row QUEUED: it is tried again when the lease
    ends (at-least-once; a duplicate e-mail beats a lost invitation). The guard in the UPDATE
    re-checks ``next_attempt_at``, so two workers never claim the same row."""
    ids = list(
        session.scalars(
            select(OutgoingEmail.id)
            .where(OutgoingEmail.status == "QUEUED", OutgoingEmail.next_attempt_at <= now)
            .order_by(OutgoingEmail.next_attempt_at, OutgoingEmail.id)
            .limit(limit)
        )
    )
    if not ids:
        return []
    claimed = session.scalars(
        update(OutgoingEmail)
        .where(
            OutgoingEmail.id.in_(ids),
            OutgoingEmail.status == "QUEUED",
            OutgoingEmail.next_attempt_at <= now,
        )
        .values(next_attempt_at=lease_until, attempts=OutgoingEmail.attempts + 1)
        .returning(OutgoingEmail),
        execution_options={"synchronize_session": False},
    )
    return sorted(claimed, key=lambda e: e.id)


def mark_sent(session: Session, email_id: int, at: datetime) -> None:
    # The secret (an invitation code) was needed only for SMTP: erased once sent.
    session.execute(
        update(OutgoingEmail)
        .where(OutgoingEmail.id == email_id, OutgoingEmail.status == "QUEUED")
        .values(status="SENT", sent_at=at, next_attempt_at=None, last_error=None, secret_body=None)
    )


def mark_failed_attempt(
    session: Session, email_id: int, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: retry at ``retry_at``, or FAILED for good when it is None."""
    values: dict[str, object] = {"last_error": error[:2000], "next_attempt_at": retry_at}
    if retry_at is None:
        values.update(status="FAILED", secret_body=None)
    session.execute(
        update(OutgoingEmail)
        .where(OutgoingEmail.id == email_id, OutgoingEmail.status == "QUEUED")
        .values(values)
    )


def list_query(
    workspace_id: int, *, to: str | None, kind: str | None, status: str | None
) -> Select[Any]:
    query = select(OutgoingEmail).where(OutgoingEmail.workspace_id == workspace_id)
    if to is not None:
        query = query.where(OutgoingEmail.to_address == to)
    if kind is not None:
        query = query.where(OutgoingEmail.kind == kind)
    if status is not None:
        query = query.where(OutgoingEmail.status == status)
    return query


def get(session: Session, workspace_id: int, email_id: int) -> OutgoingEmail | None:
    return session.scalar(
        select(OutgoingEmail).where(
            OutgoingEmail.id == email_id, OutgoingEmail.workspace_id == workspace_id
        )
    )
