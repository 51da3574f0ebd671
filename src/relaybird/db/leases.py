"""Leases: "this worker drives that row until T", on SQLite and PostgreSQL alike.

A lease is two columns on the leased row (``lease_owner``, ``lease_expires_at``) moved by
compare-and-set UPDATEs, so any number of workers coordinate through the database alone. A worker
that dies (kill -9) stops renewing; once its lease expires another worker takes the row over.
Each step is its own short transaction: a lease is never held by holding a lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session


def acquire(
    session: Session, model: type[Any], row_id: int, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Take (or renew) the lease on one row; True when ``owner`` holds it afterwards."""
    result = session.execute(
        update(model)
        .where(
            model.id == row_id,
            or_(
                model.lease_owner.is_(None),
                model.lease_owner == owner,
                model.lease_expires_at.is_(None),
                model.lease_expires_at <= now,
            ),
        )
        .values(lease_owner=owner, lease_expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew(
    session: Session, model: type[Any], row_id: int, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Extend a lease we hold; False if it was lost (expired and taken over)."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.lease_owner == owner)
        .values(lease_expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, model: type[Any], row_id: int, owner: str) -> None:
    session.execute(
        update(model)
        .where(model.id == row_id, model.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def holder(session: Session, model: type[Any], row_id: int, now: datetime) -> str | None:
    """Who holds a live lease on the row, if anyone."""
    row = session.execute(
        select(model.lease_owner).where(
            model.id == row_id,
            and_(model.lease_owner.is_not(None), model.lease_expires_at > now),
        )
    ).one_or_none()
    return None if row is None else str(row[0])
