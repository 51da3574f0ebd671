"""The built-in outbox, readable over the API (the embedded default sends no real e-mail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from relaybird.api.deps import Agent, ReadSession
from relaybird.mail import service
from relaybird.mail.schemas import EmailOut, EmailPage, EmailStatus

router = APIRouter(prefix="/emails", tags=["emails"])


@router.get(
    "",
    response_model=EmailPage,
    summary="List outgoing e-mails (the built-in outbox)",
    description="Invitations and notifications, newest last. Without RELAYBIRD_SMTP_URL they "
    "stay QUEUED here; with it the mail loop sends them and marks them SENT (or FAILED after "
    "retries). An invitation's code and link are redacted in `body`: they exist only in the "
    "e-mail handed to SMTP, so an invitation reaches its contact only by mail.",
)
def list_emails(
    principal: Agent,
    session: ReadSession,
    to: Annotated[str | None, Query(description="Only e-mails to this address.")] = None,
    kind: Annotated[str | None, Query(description="invitation or notification.")] = None,
    status: Annotated[
        EmailStatus | None, Query(description="QUEUED, SENT, FAILED or CANCELED.")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EmailPage:
    page = service.list_emails(
        session,
        principal.workspace_id,
        to=to,
        kind=kind,
        status=None if status is None else status.value,
        cursor=cursor,
        limit=limit,
    )
    return EmailPage(
        items=[EmailOut.model_validate(e, from_attributes=True) for e in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{email_id}", response_model=EmailOut, summary="One outgoing e-mail")
def get_email(email_id: int, principal: Agent, session: ReadSession) -> EmailOut:
    email = service.get_email(session, principal.workspace_id, email_id)
    return EmailOut.model_validate(email, from_attributes=True)
