"""SQL of the per-user block lists (Direct networks)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaybird.kit.pagination import window
from relaybird.models import BlockedNumber


def add(session: Session, entry: BlockedNumber) -> BlockedNumber | None:
    """Insert; None when the number is on the user's list already."""
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        return None
    return entry


def of_user(session: Session, user_id: int, **bounds: int | None) -> list[BlockedNumber]:
    query = select(BlockedNumber).where(BlockedNumber.user_id == user_id)
    return list(session.scalars(window(query, BlockedNumber.id, **bounds)))


def remove(session: Session, user_id: int, phone: str) -> bool:
    result = session.execute(
        delete(BlockedNumber).where(BlockedNumber.user_id == user_id, BlockedNumber.phone == phone)
    )
    return bool(getattr(result, "rowcount", 0))
