"""``GET /api/v1/inbox/dead-letters``: stored webhook bodies the applier set aside, with why."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from relaybird.api.deps import Admin, ReadSession
from relaybird.inbox import service

router = APIRouter(prefix="/inbox", tags=["inbox"])


class DeadLetterOut(BaseModel):
    id: int = Field(description="The stored body's id (`relaybird inbox replay --id N`).")
    source: str = Field(description="whatsapp or direct.")
    received_at: datetime
    attempts: int = Field(description="How many times the applier tried it.")
    reason: str = Field(description="Why it cannot be applied.")


class DeadLetterPage(BaseModel):
    items: list[DeadLetterOut]
    next_cursor: str | None


@router.get(
    "/dead-letters",
    response_model=DeadLetterPage,
    summary="Webhook bodies that could not be applied",
    description="A signed body the applier cannot apply (it does not parse, or its handlers "
    "kept failing) is set aside as a dead letter with its reason, and the bodies behind it are "
    "applied as usual. Listed here, oldest first, when they concern one of this workspace's "
    "numbers or business accounts (the operator sees all of them with `relaybird inbox "
    "dead-letters`); `relaybird inbox replay --id N` applies one again after a fix.",
)
def list_dead_letters(
    principal: Admin,
    session: ReadSession,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeadLetterPage:
    page = service.dead_letters(
        session, workspace_id=principal.workspace_id, cursor=cursor, limit=limit
    )
    return DeadLetterPage(
        items=[DeadLetterOut.model_validate(d, from_attributes=True) for d in page.items],
        next_cursor=page.next_cursor,
    )
