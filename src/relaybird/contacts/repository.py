"""SQL of contacts, invitations, users and their virtual numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from relaybird.models import Contact, Invitation, User, VirtualNumber


def add_contact(session: Session, **values: Any) -> Contact:
    contact = Contact(**values)
    session.add(contact)
    session.flush()
    return contact


def contact(session: Session, workspace_id: int, contact_id: int) -> Contact | None:
    """The contact as the database has it now (a status moved by a compare-and-set UPDATE in
    this session is read back, not the stale object of the identity map)."""
    return session.scalar(
        select(Contact)
        .where(Contact.id == contact_id, Contact.workspace_id == workspace_id)
        .execution_options(populate_existing=True)
    )


def contact_by_id(session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id, populate_existing=True)


def duplicate(
    session: Session,
    workspace_id: int,
    network: str,
    *,
    phone: str | None,
    email: str | None,
    exclude_id: int | None = None,
) -> Contact | None:
    """A contact of the same workspace and network with this phone (or, when given, e-mail)."""
    matches = []
    if phone is not None:
        matches.append(Contact.phone == phone)
    if email is not None:
        matches.append(Contact.email == email)
    if not matches:
        return None
    query = select(Contact).where(
        Contact.workspace_id == workspace_id,
        Contact.network == network,
        matches[0] if len(matches) == 1 else (matches[0] | matches[1]),
    )
    if exclude_id is not None:
        query = query.where(Contact.id != exclude_id)
    return session.scalar(query.limit(1))


def list_query(workspace_id: int, *, network: str | None, status: str | None) -> Select[Any]:
    """``status`` "NONE" selects contacts with no status."""
    query = select(Contact).where(Contact.workspace_id == workspace_id)
    if network is not None:
        query = query.where(Contact.network == network)
    if status == "NONE":
        query = query.where(Contact.status.is_(None))
    elif status is not None:
        query = query.where(Contact.status == status)
    return query


def update_contact(session: Session, contact_id: int, values: dict[str, Any]) -> None:
    session.execute(
        update(Contact).where(Contact.id == contact_id).values(**values),
        execution_options={"synchronize_session": False},
    )


def delete_contact(session: Session, contact_id: int) -> None:
    session.execute(delete(Invitation).where(Invitation.contact_id == contact_id))
    session.execute(delete(Contact).where(Contact.id == contact_id))


# --- invitations ---


def add_invitation(session: Session, **values: Any) -> Invitation:
    invitation = Invitation(**values)
    session.add(invitation)
    session.flush()
    return invitation


def invitation_by_hash(session: Session, code_hash: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.code_hash == code_hash))


def latest_invitation(session: Session, contact_id: int) -> Invitation | None:
    return session.scalar(
        select(Invitation)
        .where(Invitation.contact_id == contact_id)
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def _open() -> tuple[Any, ...]:
    return (
        Invitation.accepted_at.is_(None),
        Invitation.superseded_at.is_(None),
        Invitation.expired_at.is_(None),
    )


def supersede_open(session: Session, contact_id: int, at: datetime) -> int:
    result = session.execute(
        update(Invitation)
        .where(Invitation.contact_id == contact_id, *_open())
        .values(superseded_at=at)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_accept(session: Session, invitation_id: int, at: datetime) -> bool:
    """Mark an open, unexpired invitation accepted (compare-and-set: one winner)."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.expires_at > at, *_open())
        .values(accepted_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim_expire(session: Session, invitation_id: int, at: datetime) -> bool:
    """Mark an open invitation past its expiry expired (compare-and-set: one winner)."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.expires_at <= at, *_open())
        .values(expired_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def due_expiries(session: Session, now: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(Invitation.id)
            .where(Invitation.expires_at <= now, *_open())
            .order_by(Invitation.expires_at)
            .limit(limit)
        )
    )


def invitation(session: Session, invitation_id: int) -> Invitation | None:
    return session.get(Invitation, invitation_id, populate_existing=True)


# --- users and virtual numbers ---


def add_user(session: Session, **values: Any) -> User:
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def user(session: Session, workspace_id: int, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == user_id, User.workspace_id == workspace_id))


def user_by_email(session: Session, workspace_id: int, email: str) -> User | None:
    return session.scalar(
        select(User).where(User.workspace_id == workspace_id, User.email == email)
    )


def users_query(workspace_id: int) -> Select[Any]:
    return select(User).where(User.workspace_id == workspace_id)


def virtual_numbers(session: Session, user_ids: list[int]) -> list[VirtualNumber]:
    if not user_ids:
        return []
    return list(
        session.scalars(
            select(VirtualNumber)
            .where(VirtualNumber.user_id.in_(user_ids))
            .order_by(VirtualNumber.network)
        )
    )


def virtual_number(session: Session, network: str, phone: str) -> VirtualNumber | None:
    return session.scalar(
        select(VirtualNumber).where(VirtualNumber.network == network, VirtualNumber.phone == phone)
    )


def clear_virtual_number(session: Session, user_id: int, network: str) -> int:
    result = session.execute(
        delete(VirtualNumber).where(
            VirtualNumber.user_id == user_id, VirtualNumber.network == network
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def add_virtual_number(session: Session, **values: Any) -> VirtualNumber:
    number = VirtualNumber(**values)
    session.add(number)
    session.flush()
    return number
