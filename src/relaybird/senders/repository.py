"""SQL for senders. Services compose these; the door owns the transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from relaybird.kit.pagination import Page, paginate
from relaybird.models import Campaign, Sender, User, Workspace


def add(session: Session, **fields: Any) -> Sender:
    sender = Sender(**fields)
    session.add(sender)
    session.flush()
    return sender


def get(session: Session, workspace_id: int, sender_id: int) -> Sender | None:
    return session.scalar(
        select(Sender).where(Sender.id == sender_id, Sender.workspace_id == workspace_id)
    )


def get_any(session: Session, sender_id: int, *, lock: bool = False) -> Sender | None:
    """By id across workspaces (loops and signals). ``lock``: hold the row for this transaction
    (PostgreSQL; SQLite writers are already serialised by BEGIN IMMEDIATE)."""
    query = select(Sender).where(Sender.id == sender_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def page(session: Session, workspace_id: int, *, cursor: str | None, limit: int) -> Page[Sender]:
    query = select(Sender).where(Sender.workspace_id == workspace_id)
    return paginate(session, query, Sender.id, cursor=cursor, limit=limit)


def by_phone_number_id(session: Session, phone_number_id: str) -> Sender | None:
    return session.scalar(select(Sender).where(Sender.phone_number_id == phone_number_id))


def by_waba(session: Session, waba_id: str) -> list[Sender]:
    return list(
        session.scalars(select(Sender).where(Sender.waba_id == waba_id).order_by(Sender.id))
    )


def portfolio(session: Session, sender: Sender) -> list[Sender]:
    """The senders sharing ``sender``'s limit in the PER_PORTFOLIO model (itself included)."""
    if sender.waba_id is None:
        return [sender]
    return list(
        session.scalars(
            select(Sender)
            .where(Sender.workspace_id == sender.workspace_id, Sender.waba_id == sender.waba_id)
            .order_by(Sender.id)
            .execution_options(populate_existing=True)
        )
    )


def set_fields(session: Session, sender_id: int, values: Mapping[str, Any]) -> None:
    if values:
        session.execute(
            update(Sender).where(Sender.id == sender_id).values(dict(values)),
            execution_options={"synchronize_session": False},
        )


def workspace_limit_model(session: Session, workspace_id: int) -> str:
    return str(session.scalar(select(Workspace.limit_model).where(Workspace.id == workspace_id)))


def admin_emails(session: Session, workspace_id: int) -> list[str]:
    return list(
        session.scalars(
            select(User.email)
            .where(User.workspace_id == workspace_id, User.role == "admin", User.active.is_(True))
            .order_by(User.id)
        )
    )


def with_timers(session: Session) -> list[int]:
    """Senders whose status may change with time alone (restriction release, flag period)."""
    return list(
        session.scalars(
            select(Sender.id)
            .where(Sender.status.in_(["RESTRICTED", "FLAGGED"]))
            .order_by(Sender.id)
        )
    )


def connected(session: Session) -> list[int]:
    """Senders that may reach their limit or earn an upgrade (window checks)."""
    return list(
        session.scalars(
            select(Sender.id).where(Sender.status.in_(["CONNECTED", "FLAGGED"])).order_by(Sender.id)
        )
    )


def due_for_sync(session: Session, before: datetime, limit: int = 50) -> Sequence[int]:
    """Senders last read from the provider before ``before``. A new number counts from when it
    was added: its first reading is the operator's `sync` (or one interval later)."""
    last = func.coalesce(Sender.last_synced_at, Sender.created_at)
    return list(
        session.scalars(
            select(Sender.id).where(last < before).order_by(last, Sender.id).limit(limit)
        )
    )


def guarded_campaigns(session: Session, sender_id: int) -> list[int]:
    """RUNNING campaigns on the sender that pause when it is flagged (quality guard)."""
    return list(
        session.scalars(
            select(Campaign.id)
            .where(
                Campaign.sender_id == sender_id,
                Campaign.state == "RUNNING",
                Campaign.quality_guard.is_(True),
            )
            .order_by(Campaign.id)
        )
    )


def restricted(session: Session) -> list[int]:
    """RESTRICTED senders (the release timer looks at each)."""
    return list(session.scalars(select(Sender.id).where(Sender.status == "RESTRICTED")))
