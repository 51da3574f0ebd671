"""Small factories for test data. Each returns what a test needs and nothing more."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.campaigns import activity
from relaybird.campaigns.recipients import add_counts
from relaybird.context import AppContext
from relaybird.kit.time import utcnow
from relaybird.models import Campaign, CampaignCount, Recipient, Sender


@dataclass
class KeyMaker:
    ctx: AppContext

    def create(self, role: Role | str = Role.ADMIN, workspace: str = "default") -> str:
        """Create an API key in ``workspace`` (created if needed); return the secret."""
        with self.ctx.db.write() as session:
            ws = auth.ensure_workspace(session, workspace)
            created = auth.create_key(
                session, workspace_id=ws.id, role=Role(role), name="test", at=self.ctx.clock.now()
            )
        return created.secret

    def headers(self, role: Role | str = Role.ADMIN, workspace: str = "default") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.create(role, workspace)}"}

    def workspace_id(self, workspace: str = "default") -> int:
        with self.ctx.db.write() as session:
            return auth.ensure_workspace(session, workspace).id


def make_workspace(session: Session, slug: str = "default") -> int:
    return auth.ensure_workspace(session, slug).id


def make_sender(
    session: Session, workspace_id: int, *, status: str = "CONNECTED", **kw: Any
) -> int:
    n = session.scalar(select(func.count()).select_from(Sender)) or 0
    values: dict[str, Any] = {
        "workspace_id": workspace_id,
        "name": f"sender {n}",
        "phone_number_id": f"pnid-{workspace_id}-{n}-{uuid.uuid4().hex[:6]}",
        "display_phone_number": "+15550000000",
        "access_token": "token",
        "status": status,
    }
    values.update(kw)
    sender = Sender(**values)
    session.add(sender)
    session.flush()
    return sender.id


def make_campaign(
    session: Session, workspace_id: int, sender_id: int, *, state: str = "NOT_STARTED", **kw: Any
) -> int:
    values: dict[str, Any] = {
        "workspace_id": workspace_id,
        "sender_id": sender_id,
        "name": "campaign",
        "template_name": "hello_world",
        "template_language": "en_US",
        "body_params": [],
        "state": state,
    }
    values.update(kw)
    campaign = Campaign(**values)
    session.add(campaign)
    session.flush()
    return campaign.id


def make_recipients(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    n: int,
    *,
    state: str = "INITIAL",
    at: datetime | None = None,
) -> list[int]:
    """Insert ``n`` recipients in ``state`` and count them (as an importer would)."""
    when = at or utcnow()
    rows = [
        Recipient(
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            row_number=i + 2,
            phone=f"+1555{i:07d}",
            params=[],
            state=state,
            created_at=when,
            updated_at=when,
        )
        for i in range(n)
    ]
    session.add_all(rows)
    session.flush()
    add_counts(session, {(campaign_id, state): n})
    return [r.id for r in rows]


def make_recipient(
    session: Session,
    workspace_id: int,
    campaign_id: int,
    phone: str,
    *,
    state: str = "INITIAL",
    wamid: str | None = None,
    at: datetime | None = None,
) -> int:
    """One recipient of ``phone`` in ``state``, counted; with ``wamid`` it was sent at ``at``."""
    when = at or utcnow()
    row = Recipient(
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        row_number=2,
        phone=phone,
        params=[],
        state=state,
        wamid=wamid,
        send_started_at=when if wamid else None,
        created_at=when,
        updated_at=when,
    )
    session.add(row)
    session.flush()
    add_counts(session, {(campaign_id, state): 1})
    return row.id


def new_sender(ctx: AppContext, workspace: str = "default", **kw: Any) -> int:
    """A sender in ``workspace`` (CONNECTED unless told), in its own transaction."""
    with ctx.db.write() as session:
        return make_sender(session, make_workspace(session, workspace), **kw)


def counters_and_counts(
    session: Session, campaign_id: int | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    """The per-state counters (the non-zero ones) and COUNT(*) of the recipients by state, of
    one campaign or of all: the two must always agree."""
    counters_q = select(CampaignCount.state, func.sum(CampaignCount.count)).group_by(
        CampaignCount.state
    )
    counted_q = select(Recipient.state, func.count()).group_by(Recipient.state)
    if campaign_id is not None:
        counters_q = counters_q.where(CampaignCount.campaign_id == campaign_id)
        counted_q = counted_q.where(Recipient.campaign_id == campaign_id)
    counters = {str(k): int(v) for k, v in session.execute(counters_q).all() if v}
    counted = {str(k): int(v) for k, v in session.execute(counted_q).all()}
    return counters, counted


def activity_and_counts(
    session: Session, campaign_id: int
) -> tuple[dict[tuple[datetime, str], int], dict[tuple[datetime, str], int]]:
    """The activity counters (sent / delivered / read per quarter hour) and the same counted
    from the recipient rows (campaigns/activity.py's invariant): the two must always agree."""
    return activity.counters(session, campaign_id), activity.counted_slow(session, campaign_id)
