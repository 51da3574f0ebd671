"""A sender as people read it: status, quality, limit, usage of the window, throughput, whether it
may send now and why not, and the next scheduled lifecycle moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.kit.pagination import Page
from relaybird.models import Sender
from relaybird.senders import explain, repository, service
from relaybird.senders.schemas import (
    NextMoment,
    SenderDetail,
    SenderOut,
    SenderPage,
    SendingPermit,
    WindowUsage,
)
from relaybird.senders.tiers import capacity
from relaybird.senders.transitions import SenderStatus


def out(sender: Sender) -> SenderOut:
    return SenderOut.model_validate(sender, from_attributes=True)


def describe(session: Session, workspace_id: int, sender_id: int, now: datetime) -> SenderDetail:
    sender = service.get_sender(session, workspace_id, sender_id)
    view = service.view_of(sender)
    ids = service.window_ids(session, sender)
    usage = service.usage_of(session, sender, now)
    gate = explain.gate_business_initiated(view, usage, now)
    moment = explain.next_moment(view, usage, now)
    cap = sender.throughput_cap
    return SenderDetail(
        **out(sender).model_dump(),
        usage=WindowUsage(
            used=usage.used,
            limit=capacity(view.limit),
            shared_by=len(ids),
            frees_at=usage.frees_at,
            unique_7d=usage.unique_7d,
        ),
        throughput=min(sender.throughput_mps, cap) if cap else sender.throughput_mps,
        sending=SendingPermit(
            business_initiated=gate.allowed,
            replies=explain.gate_reply(view).allowed,
            reason=gate.reason,
            until=gate.until,
        ),
        next=NextMoment(kind=moment.kind, at=moment.at, text=moment.text) if moment else None,
        flagged_at=sender.flagged_at,
        restricted_by=view.restricted_by if view.status == SenderStatus.RESTRICTED else None,
        restricted_until=sender.restricted_until,
    )


def listing(session: Session, workspace_id: int, cursor: str | None, limit: int) -> SenderPage:
    page: Page[Sender] = repository.page(session, workspace_id, cursor=cursor, limit=limit)
    return SenderPage(items=[out(s) for s in page.items], next_cursor=page.next_cursor)
