"""The suppression list and the workspace's consent rules (`/api/v1/suppressions`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile, status
from fastapi.responses import StreamingResponse

from relaybird.api.deps import Admin, Ctx, ReadSession, Viewer, WriteSession
from relaybird.consent import service
from relaybird.consent.schemas import (
    ConsentRules,
    ImportSummary,
    Source,
    SuppressionIn,
    SuppressionOut,
    SuppressionPage,
)
from relaybird.errors import NotFound
from relaybird.kit.pagination import MAX_LIMIT

router = APIRouter(prefix="/suppressions", tags=["consent"])

Phone = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="The number, E.164 (`%2B` for the `+` in a URL) or national in the "
        "default region.",
    ),
]


@router.get(
    "",
    response_model=SuppressionPage,
    summary="The suppression list",
    description="Numbers the workspace does not send templates to (marketing ones at least; "
    "see `exempt_categories` in `/suppressions/settings`), oldest first, a page at a time "
    "(`cursor` = the previous page's `next_cursor`). `source` filters by why: `keyword` (they "
    "texted an opt-out keyword), `user_preferences` (Meta's marketing stop), `error_131050` (a "
    "send failed because they stopped marketing messages), `manual`, `bounced`.",
)
def list_suppressions(
    principal: Viewer,
    session: ReadSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    source: Source | None = None,
) -> SuppressionPage:
    return service.page(session, principal.workspace_id, cursor=cursor, limit=limit, source=source)


@router.post(
    "",
    response_model=SuppressionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Suppress a number",
    description="Idempotent: a number already suppressed keeps its first source and reason "
    "(the answer shows them). Recipients of running campaigns on that number are skipped from "
    "their next claim on (REMOVED, reason `opted out`); later uploads mark it INVALID_RECORD.",
)
def add_suppression(
    body: SuppressionIn, principal: Admin, session: WriteSession, ctx: Ctx
) -> SuppressionOut:
    row = service.add(
        session,
        principal.workspace_id,
        body,
        region=ctx.settings.default_region,
        actor=principal.actor,
        now=ctx.clock.now(),
    )
    return service.to_out(row)


@router.get(
    "/settings",
    response_model=ConsentRules,
    summary="The workspace's consent rules",
    description="Opt-out and opt-in keywords (whole message, case and accents ignored), "
    "whether a keyword is confirmed by a reply (inside the 24 h window it opened), the "
    "replies, and which template categories are still sent to suppressed numbers.",
)
def get_rules(principal: Viewer, session: ReadSession, ctx: Ctx) -> ConsentRules:
    return service.rules_of(session, principal.workspace_id, ctx.settings).as_schema()


@router.put(
    "/settings",
    response_model=ConsentRules,
    summary="Set the workspace's consent rules",
    description="Replaces them whole. `exempt_categories` may hold UTILITY and AUTHENTICATION "
    "(never MARKETING); a word may not be both an opt-out and an opt-in keyword (422).",
)
def put_rules(
    body: ConsentRules, principal: Admin, session: WriteSession, ctx: Ctx
) -> ConsentRules:
    return service.set_rules(session, principal.workspace_id, body, now=ctx.clock.now()).as_schema()


@router.post(
    "/import",
    response_model=ImportSummary,
    summary="Import suppressions from CSV",
    description="UTF-8 CSV with a header: `phone` (required), `source` (default `manual`), "
    "`reason`. Valid rows are added (numbers already suppressed are left as they are and "
    "counted in `already`), invalid ones reported by row number; the export's file imports "
    "as it is.",
)
async def import_suppressions(
    principal: Admin,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="CSV (UTF-8)")],
) -> ImportSummary:
    data = await asyncio.to_thread(file.file.read)

    def run() -> ImportSummary:
        with ctx.db.write() as session:
            return service.import_csv(
                session,
                principal.workspace_id,
                data,
                region=ctx.settings.default_region,
                actor=principal.actor,
                now=ctx.clock.now(),
            )

    return await asyncio.to_thread(run)


@router.get(
    "/export.csv",
    summary="Export the suppression list as CSV",
    description="phone, source, reason, created_at; a reason a spreadsheet would run as a "
    "formula is prefixed with `'`.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_suppressions(principal: Viewer, ctx: Ctx) -> StreamingResponse:
    def body() -> Iterator[str]:
        with ctx.db.read() as session:
            yield from service.export_rows(session, principal.workspace_id)

    return StreamingResponse(
        body(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="suppressions.csv"'},
    )


@router.get("/{phone}", response_model=SuppressionOut, summary="One number's suppression")
def get_suppression(
    phone: Phone, principal: Viewer, session: ReadSession, ctx: Ctx
) -> SuppressionOut:
    row = service.is_suppressed(
        session, principal.workspace_id, service.phone_of(phone, ctx.settings.default_region)
    )
    if row is None:
        raise NotFound("that number is not suppressed")
    return service.to_out(row)


@router.delete(
    "/{phone}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Lift a number's suppression",
    description="Whatever its source. Campaign recipients already skipped stay REMOVED; new "
    "uploads and resumed campaigns send to it again. 404 when it is not suppressed.",
)
def remove_suppression(phone: Phone, principal: Admin, session: WriteSession, ctx: Ctx) -> None:
    service.remove(
        session,
        principal.workspace_id,
        phone,
        region=ctx.settings.default_region,
        actor=principal.actor,
        now=ctx.clock.now(),
    )
