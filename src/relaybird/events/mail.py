"""Queueing e-mail (invitations, notifications) into the outbox, in the caller's transaction.
The mail loop delivers it over SMTP when RELAYBIRD_SMTP_URL is set; either way it stays
viewable in the API and dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.db.notify import MAIL, notify
from relaybird.models import OutgoingEmail


def queue_email(
    session: Session,
    *,
    workspace_id: int,
    to: str,
    subject: str,
    body: str,
    kind: str,
    at: datetime,
    dedupe_key: str | None = None,
) -> bool:
    """Queue one e-mail. With a ``dedupe_key`` the same logical message is queued at most once
    (returns False when it already was): a notification is never sent twice for one change."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(OutgoingEmail).values(
        workspace_id=workspace_id,
        to_address=to,
        subject=subject,
        body=body,
        kind=kind,
        dedupe_key=dedupe_key,
        status="QUEUED",
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = session.execute(stmt)
    queued = bool(result.rowcount)  # type: ignore[attr-defined]
    if queued:
        notify(session, MAIL)
    return queued
