from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from relaybird.models.contact import EmailStatus as EmailStatus


class EmailOut(BaseModel):
    id: int
    to_address: str
    subject: str
    body: str = Field(
        description="The text as readers of the outbox may see it: an invitation's code and "
        "link are redacted (they travel only in the e-mail handed to SMTP)."
    )
    kind: str = Field(description="invitation | notification")
    status: str = Field(
        description="QUEUED (waiting for SMTP, or SMTP not configured), SENT, FAILED, CANCELED "
        "(withdrawn before it was sent: its invitation was replaced or its contact deleted)."
    )
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class EmailPage(BaseModel):
    items: list[EmailOut]
    next_cursor: str | None
