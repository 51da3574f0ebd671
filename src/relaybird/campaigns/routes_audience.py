"""Audiences: a campaign's recipients from a segment of contacts; contacts tagged in bulk."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from relaybird.api.deps import Admin, Agent, Ctx, WriteSession
from relaybird.campaigns import segments
from relaybird.contacts import segments as contact_segments
from relaybird.contacts.segments import SegmentFilter, TagSummary
from relaybird.contacts.transitions import Network

router = APIRouter(tags=["audiences"])


@router.post(
    "/campaigns/{campaign_id}/recipients/from-segment",
    response_model=segments.SegmentSummary,
    summary="Add recipients from a segment of contacts",
    description="The workspace's WHATSAPP contacts matching the filter (tags all/any/none, "
    "attributes equal, statuses) become INITIAL recipients, once per number and never twice "
    "in the campaign (numbers already in it count as `duplicates`). The template's body "
    "parameters are filled from the contact by the campaign's column names: `first_name`, "
    "`last_name`, `company`, `email`, `phone` or an attribute's name (missing: empty). "
    "Suppressed numbers are INVALID_RECORD `opted out`, as at upload. 409 once the campaign "
    "is COMPLETED or ENDED.",
)
def from_segment(
    campaign_id: int, body: SegmentFilter, principal: Admin, session: WriteSession, ctx: Ctx
) -> segments.SegmentSummary:
    return segments.add_segment(
        session,
        principal.workspace_id,
        campaign_id,
        body,
        settings=ctx.settings,
        at=ctx.clock.now(),
    )


@router.post(
    "/contacts/tags/import",
    response_model=TagSummary,
    summary="Tag contacts in bulk from CSV",
    description="UTF-8 CSV with `phone` and `tags` (several split by `;`): each tag is added to "
    "the workspace's contact of `network` (default WHATSAPP) with that number; tags it has are "
    "kept. Unknown numbers are counted in `not_found`, invalid ones reported by row.",
)
async def tag_contacts(
    principal: Agent,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="CSV (UTF-8)")],
    network: Network = Network.WHATSAPP,
) -> TagSummary:
    data = await asyncio.to_thread(file.file.read)

    def run() -> TagSummary:
        with ctx.db.write() as session:
            return contact_segments.tag_from_csv(
                session,
                principal.workspace_id,
                data,
                network=network,
                region=ctx.settings.default_region,
            )

    return await asyncio.to_thread(run)
