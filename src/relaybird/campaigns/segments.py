"""A campaign's recipients from a segment of the workspace's contacts (instead of a file):
deduplicated against the campaign's recipients and within the segment; the template's body
parameters filled from the contact's fields and attributes by the campaign's column names
(`first_name`, `last_name`, `company`, `email`, `phone`, or an attribute's name); suppressed
numbers INVALID_RECORD "opted out" as at upload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaybird.campaigns import repository
from relaybird.campaigns.recipients import import_recipients
from relaybird.campaigns.service import get
from relaybird.campaigns.transitions import ACCEPTS_UPLOADS, RecipientState
from relaybird.config import Settings
from relaybird.consent import service as consent
from relaybird.contacts.segments import SegmentFilter, members
from relaybird.errors import Conflict, InvalidInput
from relaybird.events.outbox import emit
from relaybird.kit.time import rfc3339
from relaybird.models import Recipient

CHUNK = 5_000


class SegmentSummary(BaseModel):
    contacts: int = Field(description="Contacts the filter matched.")
    added: int = Field(description="New INITIAL recipients.")
    duplicates: int = Field(description="Already in the campaign (or twice in the segment).")
    opted_out: int = Field(description="Suppressed numbers: INVALID_RECORD 'opted out'.")
    no_phone: int = Field(description="Contacts without a phone number (left out).")


def add_segment(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    where: SegmentFilter,
    *,
    settings: Settings,
    at: datetime,
) -> SegmentSummary:
    campaign = get(session, workspace_id, campaign_id)
    if campaign.state not in ACCEPTS_UPLOADS:
        raise Conflict(f"the campaign is {campaign.state}: it takes no more recipients")
    if where.network.value != "WHATSAPP":
        raise InvalidInput("network: only WHATSAPP contacts can receive a campaign's template")
    exempt = consent.rules_of(session, workspace_id, settings).exempt
    held = consent.template_is_held_back(
        session,
        workspace_id,
        campaign.sender_id,
        campaign.template_name,
        campaign.template_language,
        exempt,
    )
    next_row = (
        session.scalar(
            select(func.max(Recipient.row_number)).where(Recipient.campaign_id == campaign_id)
        )
        or 1
    ) + 1
    summary = SegmentSummary(contacts=0, added=0, duplicates=0, opted_out=0, no_phone=0)
    seen: set[str] = set()
    chunk: list[Any] = []

    def flush() -> None:
        nonlocal next_row
        phones = [m.phone for m in chunk]
        taken = repository.phones_taken(session, campaign_id, phones)
        suppressed = consent.suppressed_among(session, workspace_id, phones) if held else set()
        rows = []
        for m in chunk:
            if m.phone in taken:
                summary.duplicates += 1
                continue
            opted = m.phone in suppressed
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "campaign_id": campaign_id,
                    "row_number": next_row,
                    "phone": m.phone,
                    "raw_phone": m.phone,
                    "params": [
                        m.fields.get(p.strip().lower(), m.fields.get(p, ""))
                        for p in campaign.body_params
                    ],
                    "state": RecipientState.INVALID_RECORD if opted else RecipientState.INITIAL,
                    "attempts": 0,
                    "invalid_reason": consent.OPTED_OUT if opted else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            next_row += 1
            if opted:
                summary.opted_out += 1
            else:
                summary.added += 1
        import_recipients(session, campaign_id, rows)
        repository.add_total(session, campaign_id, len(rows))
        chunk.clear()

    for member in members(session, workspace_id, where):
        summary.contacts += 1
        if not member.phone:
            summary.no_phone += 1
            continue
        if member.phone in seen:
            summary.duplicates += 1
            continue
        seen.add(member.phone)
        chunk.append(member)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    emit(
        session,
        workspace_id=workspace_id,
        type="campaign.recipients_imported",
        entity="campaign",
        entity_id=campaign_id,
        data={
            "id": campaign_id,
            "segment": where.model_dump(mode="json"),
            **summary.model_dump(),
            "at": rfc3339(at),
        },
        at=at,
    )
    return summary
