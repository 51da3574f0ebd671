from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

DeliveryStatus = Literal["PENDING", "DELIVERED", "FAILED"]


class SubscriptionCreate(BaseModel):
    url: str = Field(
        max_length=2000,
        description="Where events are POSTed: http:// or https://, no user:password@, a public "
        "address on port 80, 443 or 1024 and up (private networks only where the operator "
        "allows them: RELAYBIRD_EVENT_PRIVATE_NETWORKS). See docs/events.md.",
        examples=["https://example.com/relaybird-events"],
    )
    event_types: list[str] | None = Field(
        default=None,
        max_length=50,
        description="Only these types (e.g. `campaign.state_changed`, or `recipient.*` for every "
        "type of one entity). Omitted: every event.",
    )


class SubscriptionOut(BaseModel):
    id: int
    url: str
    event_types: list[str] | None
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(
        description="`whsec_...`: verify the `webhook-signature` header with it. Shown once."
    )


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: object, event_type: str) -> DeliveryOut:
        """A stored delivery (its attributes named as the fields) and its event's type."""
        names = cls.model_fields.keys() - {"event_type"}
        return cls.model_validate(
            {**{name: getattr(delivery, name) for name in names}, "event_type": event_type}
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class ReplayRequest(BaseModel):
    statuses: list[Literal["DELIVERED", "FAILED"]] = Field(
        default=["FAILED"],
        min_length=1,
        description="Replay deliveries that ended in these statuses (default: FAILED).",
    )
    since: datetime | None = Field(
        default=None, description="Only events that happened at or after this time."
    )
    delivery_ids: list[int] | None = Field(
        default=None, max_length=1000, description="Only these deliveries."
    )


class ReplayResult(BaseModel):
    queued: int = Field(description="Events queued for delivery again.")
