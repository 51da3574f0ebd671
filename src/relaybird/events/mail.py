"""Queueing e-mail (invitations, notifications) into the outbox, in the caller's transaction.
The mail loop delivers it over SMTP when RELAYBIRD_SMTP_URL is set; either way it stays
viewable in the API and dashboard (``body``; a secret such as an invitation code travels only
in ``secret_body``, handed to SMTP and erased once the e-mail is done)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
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
    secret_body: str | None = None,
) -> int | None:
    """Queue one e-mail; return its id. With a ``dedupe_key`` the same logical message is queued
    at most once (None when it already was): a notification is never sent twice for one change.
    ``secret_body``, when given, is what SMTP receives instead of ``body`` (which is what
    people reading the outbox see): the message carries a secret ``body`` shows redacted."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(OutgoingEmail).values(
        workspace_id=workspace_id,
        to_address=to,
        subject=subject,
        body=body,
        secret_body=secret_body,
        kind=kind,
        dedupe_key=dedupe_key,
        status="QUEUED",
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    email_id = session.scalar(stmt.returning(OutgoingEmail.id))
    if email_id is not None:
        notify(session, MAIL)
    return email_id


def cancel_emails(session: Session, email_ids: Sequence[int], reason: str) -> int:
    """Withdraw e-mails not sent yet (an invitation replaced or its contact deleted): CANCELED,
    their secret erased. Sent or failed ones stay as they are. Returns how many."""
    if not email_ids:
        return 0
    result = session.execute(
        update(OutgoingEmail)
        .where(OutgoingEmail.id.in_(list(email_ids)), OutgoingEmail.status == "QUEUED")
        .values(status="CANCELED", secret_body=None, next_attempt_at=None, last_error=reason),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
