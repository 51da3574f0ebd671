from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class EmailStatus(StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class EmailOut(BaseModel):
    id: int
    to_address: str
    subject: str
    body: str
    kind: str = Field(description="invitation | notification")
    status: str = Field(
        description="QUEUED (waiting for SMTP, or SMTP not configured), SENT, FAILED."
    )
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class EmailPage(BaseModel):
    items: list[EmailOut]
    next_cursor: str | None
