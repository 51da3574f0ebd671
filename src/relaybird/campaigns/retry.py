"""Retrying what failed: a finished campaign's recipients in chosen final states become a new
campaign (NOT_STARTED, linked by ``parent_campaign_id``), so the first campaign's ledger is never
rewritten. Never retried: a number not on WhatsApp (SENDING_FAILED 131026), a number that
stopped marketing messages (131050) or is on the suppression list, a row without a phone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import Session

from relaybird.campaigns import repository
from relaybird.campaigns.recipients import add_counts
from relaybird.campaigns.schemas import RetryRequest
from relaybird.campaigns.service import get
from relaybird.campaigns.transitions import CAMPAIGN, CampaignEvent, CampaignState, RecipientState
from relaybird.config import Settings
from relaybird.consent import service as consent
from relaybird.errors import Conflict, InvalidInput
from relaybird.events.transitions import Moved, record
from relaybird.models import Campaign, Recipient, Suppression

RETRYABLE = frozenset(
    {
        RecipientState.ERROR,
        RecipientState.DELIVERY_FAILED,
        RecipientState.SENDING_FAILED,
        RecipientState.CANCELED_BY_ADMIN,
        RecipientState.REMOVED,
    }
)
NOT_ON_WHATSAPP = 131026
STOPPED_MARKETING = 131050
FINISHED = frozenset({CampaignState.COMPLETED, CampaignState.ENDED})


def retry(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    body: RetryRequest,
    *,
    settings: Settings,
    actor: str,
    at: datetime,
) -> Campaign:
    parent = get(session, workspace_id, campaign_id)
    states = sorted({RecipientState(s) for s in body.states})
    names = ", ".join(s.value for s in states)
    wrong = [s.value for s in states if s not in RETRYABLE]
    if wrong:
        allowed = ", ".join(sorted(s.value for s in RETRYABLE))
        raise InvalidInput(
            f"states: {', '.join(wrong)} cannot be retried (only {allowed})",
            errors=[{"field": "states", "msg": f"not retryable: {', '.join(wrong)}"}],
        )
    if CampaignState(parent.state) not in FINISHED:
        raise Conflict(
            f"only a finished campaign (COMPLETED or ENDED) is retried; it is {parent.state}"
        )
    where: list[ColumnElement[bool]] = [
        Recipient.state.in_([s.value for s in states]),
        Recipient.phone.is_not(None),
        not_(
            and_(
                Recipient.state == RecipientState.SENDING_FAILED.value,
                Recipient.error_code == NOT_ON_WHATSAPP,
            )
        ),
        or_(Recipient.error_code.is_(None), Recipient.error_code != STOPPED_MARKETING),
        or_(Recipient.invalid_reason.is_(None), Recipient.invalid_reason != consent.OPTED_OUT),
    ]
    exempt = consent.rules_of(session, workspace_id, settings).exempt
    if consent.template_is_held_back(
        session,
        workspace_id,
        parent.sender_id,
        parent.template_name,
        parent.template_language,
        exempt,
    ):
        where.append(
            not_(
                exists(
                    select(Suppression.id).where(
                        Suppression.workspace_id == workspace_id,
                        Suppression.phone == Recipient.phone,
                    )
                )
            )
        )
    child = repository.add_campaign(
        session,
        workspace_id=workspace_id,
        sender_id=parent.sender_id,
        name=body.name or f"{parent.name} (retry)"[:200],
        template_name=parent.template_name,
        template_language=parent.template_language,
        body_params=list(parent.body_params),
        template_id=parent.template_id,
        template_mapping=parent.template_mapping,
        state=CampaignState.NOT_STARTED.value,
        quality_guard=parent.quality_guard,
        quality_guard_yellow=parent.quality_guard_yellow,
        auto_resume=parent.auto_resume,
        send_window=parent.send_window,
        zone_ids=list(parent.zone_ids),
        parent_campaign_id=parent.id,
        created_at=at,
        updated_at=at,
    )
    n = repository.copy_for_retry(session, parent.id, child.id, where, at)
    if n == 0:
        raise Conflict(f"campaign {parent.id} has no recipient to retry in {names}")
    add_counts(session, {(child.id, RecipientState.INITIAL.value): n})
    repository.add_total(session, child.id, n)
    CAMPAIGN.resolve(None, CampaignEvent.CREATED, CampaignState.NOT_STARTED)
    record(
        session,
        CAMPAIGN,
        [Moved(child.id, workspace_id, None, CampaignState.NOT_STARTED.value)],
        event=CampaignEvent.CREATED,
        actor=actor,
        reason=f"retry of campaign {parent.id} ({names}): {n} recipients",
        at=at,
    )
    session.refresh(child)
    return child
