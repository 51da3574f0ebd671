"""SQL of the timers: what is due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from relaybird.campaigns.transitions import CampaignState, RecipientState
from relaybird.models import Campaign, CampaignCount, Sender


def scheduled_due(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Campaign.id).where(
                Campaign.state == CampaignState.NOT_STARTED.value,
                Campaign.start_at.is_not(None),
                Campaign.start_at <= now,
            )
        )
    )


def ended_with_waiting(session: Session) -> list[int]:
    """ENDED campaigns whose counters still show INITIAL or RETRY_SCHEDULED recipients."""
    return list(
        session.scalars(
            select(Campaign.id)
            .join(CampaignCount, CampaignCount.campaign_id == Campaign.id)
            .where(
                Campaign.state == CampaignState.ENDED.value,
                CampaignCount.state.in_(
                    [RecipientState.INITIAL.value, RecipientState.RETRY_SCHEDULED.value]
                ),
                CampaignCount.count > 0,
            )
            .distinct()
        )
    )


def running_ids(session: Session) -> list[int]:
    return list(
        session.scalars(select(Campaign.id).where(Campaign.state == CampaignState.RUNNING.value))
    )


def restricted_senders(session: Session) -> list[int]:
    return list(session.scalars(select(Sender.id).where(Sender.status == "RESTRICTED")))


def sender(session: Session, sender_id: int) -> Sender | None:
    return session.get(Sender, sender_id)
