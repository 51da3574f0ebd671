"""Outgoing event subscriptions: create, list, delete, the delivery log and replay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from relaybird.api.deps import Admin, Ctx, ListWindow, ReadSession, WriteSession
from relaybird.events import service
from relaybird.events.schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryStatus,
    ReplayRequest,
    ReplayResult,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
)
from relaybird.models import EventSubscription

router = APIRouter(prefix="/event-subscriptions", tags=["events"])


def _out(sub: EventSubscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(sub, from_attributes=True)


@router.post(
    "",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to outgoing events",
    description="Every status change of every lifecycle (or only `event_types`) is POSTed to "
    "`url` as JSON, signed per the Standard Webhooks convention with the returned `secret` "
    "(shown once). Delivery starts with events that happen after this call.",
)
def create(
    body: SubscriptionCreate, principal: Admin, session: WriteSession, ctx: Ctx
) -> SubscriptionCreated:
    created = service.create_subscription(
        session,
        principal,
        url=body.url,
        event_types=body.event_types,
        at=ctx.clock.now(),
        allowed=ctx.settings.event_networks,
    )
    return SubscriptionCreated(**_out(created.subscription).model_dump(), secret=created.secret)


@router.get(
    "",
    response_model=list[SubscriptionOut],
    summary="List the workspace's event subscriptions",
)
def list_all(principal: Admin, session: ReadSession, window: ListWindow) -> list[SubscriptionOut]:
    rows = service.list_subscriptions(session, principal, **window.bounds)
    return [_out(s) for s in window.take(rows)]


@router.get("/{sub_id}", response_model=SubscriptionOut, summary="One event subscription")
def get_one(sub_id: int, principal: Admin, session: ReadSession) -> SubscriptionOut:
    return _out(service.get_subscription(session, principal, sub_id))


@router.delete(
    "/{sub_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an event subscription",
    description="Stops deliveries at once; its delivery log is deleted with it.",
)
def delete(sub_id: int, principal: Admin, session: WriteSession) -> None:
    service.delete_subscription(session, principal, sub_id)


@router.get(
    "/{sub_id}/deliveries",
    response_model=DeliveryPage,
    summary="The subscription's delivery log",
    description="One row per event sent (or being sent) to this subscription, oldest first: "
    "attempts, the last HTTP status or error, when it was delivered or will be retried.",
)
def deliveries(
    sub_id: int,
    principal: Admin,
    session: ReadSession,
    status_filter: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveryPage:
    rows, next_cursor = service.list_deliveries(
        session, principal, sub_id, status=status_filter, cursor=cursor, limit=limit
    )
    items = [DeliveryOut.of(d, type_) for d, type_ in rows]
    return DeliveryPage(items=items, next_cursor=next_cursor)


@router.post(
    "/{sub_id}/replay",
    response_model=ReplayResult,
    summary="Send events again",
    description="Queues the events of finished deliveries (by default the FAILED ones) as new "
    "deliveries. They keep their `webhook-id`, so a receiver can ignore ones it has processed.",
)
def replay(
    sub_id: int, body: ReplayRequest, principal: Admin, session: WriteSession, ctx: Ctx
) -> ReplayResult:
    queued = service.replay(
        session,
        principal,
        sub_id,
        statuses=body.statuses,
        since=body.since,
        delivery_ids=body.delivery_ids,
        at=ctx.clock.now(),
    )
    return ReplayResult(queued=queued)
