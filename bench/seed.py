"""The rows every bench starts from: a CONNECTED sender and a campaign on it (nothing is sent to
Meta; the benches measure our side)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from relaybird.models import Campaign, Sender


def add_sender(session: Session, workspace_id: int, phone_number_id: str, **extra: Any) -> Sender:
    sender = Sender(
        workspace_id=workspace_id,
        name="b",
        phone_number_id=phone_number_id,
        display_phone_number="1",
        access_token="t",
        status="CONNECTED",
        **extra,
    )
    session.add(sender)
    session.flush()
    return sender


def add_campaign(
    session: Session,
    workspace_id: int,
    sender_id: int,
    *,
    body_params: list[str],
    state: str,
    name: str = "bench",
    **extra: Any,
) -> Campaign:
    campaign = Campaign(
        workspace_id=workspace_id,
        sender_id=sender_id,
        name=name,
        template_name="t",
        template_language="en",
        body_params=body_params,
        state=state,
        **extra,
    )
    session.add(campaign)
    session.flush()
    return campaign
