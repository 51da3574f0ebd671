"""SQL of contacts, invitations, users and their virtual numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.orm import Session

from relaybird.models import Contact, Invitation, OutgoingEmail, User, VirtualNumber


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
    owner_user_id: int | None = None,
    exclude_id: int | None = None,
) -> Contact | None:
    """A contact of the same workspace and network with this phone (or, when given, e-mail);
    with ``owner_user_id``, only among that user's contacts (the Direct networks)."""
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
    if owner_user_id is not None:
        query = query.where(Contact.owner_user_id == owner_user_id)
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


def delete_contact(session: Session, contact_id: int) -> list[int]:
    """Delete the contact and its invitations; return the ids of their e-mails."""
    emails = session.scalars(
        delete(Invitation).where(Invitation.contact_id == contact_id).returning(Invitation.email_id)
    )
    email_ids = [e for e in emails if e is not None]
    session.execute(delete(Contact).where(Contact.id == contact_id))
    return email_ids


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


def supersede_open(session: Session, contact_id: int, at: datetime) -> list[int]:
    """Supersede the contact's open invitations; return the ids of their e-mails."""
    emails = session.scalars(
        update(Invitation)
        .where(Invitation.contact_id == contact_id, *_open())
        .values(superseded_at=at)
        .returning(Invitation.email_id),
        execution_options={"synchronize_session": False},
    )
    return [e for e in emails if e is not None]


def claim_accept(session: Session, invitation_id: int, at: datetime) -> bool:
    """Mark an open, unexpired invitation accepted (compare-and-set: one winner). An invitation
    whose sending is not recorded yet has no expiry yet."""
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            or_(Invitation.expires_at.is_(None), Invitation.expires_at > at),
            *_open(),
        )
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


def _unsettled() -> tuple[Any, ...]:
    return (*_open(), Invitation.sent_at.is_(None), Invitation.undeliverable_at.is_(None))


def unsettled_deliveries(session: Session, after_id: int, limit: int) -> list[int]:
    """Open invitations whose e-mail was sent or failed for good, not applied yet (id order,
    after ``after_id``)."""
    return list(
        session.scalars(
            select(Invitation.id)
            .join(OutgoingEmail, OutgoingEmail.id == Invitation.email_id)
            .where(
                Invitation.id > after_id,
                *_unsettled(),
                OutgoingEmail.status.in_(("SENT", "FAILED")),
            )
            .order_by(Invitation.id)
            .limit(limit)
        )
    )


def delivery(
    session: Session, invitation_id: int
) -> tuple[Invitation, str, datetime | None, str | None] | None:
    """The invitation with its e-mail's status, sending time and last error."""
    row = session.execute(
        select(Invitation, OutgoingEmail.status, OutgoingEmail.sent_at, OutgoingEmail.last_error)
        .join(OutgoingEmail, OutgoingEmail.id == Invitation.email_id)
        .where(Invitation.id == invitation_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        return None
    return row[0], row[1], row[2], row[3]


def claim_sent(
    session: Session, invitation_id: int, sent_at: datetime, expires_at: datetime
) -> bool:
    """Start an unsettled invitation's clock (compare-and-set: one winner)."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, *_unsettled())
        .values(sent_at=sent_at, expires_at=expires_at),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim_undeliverable(session: Session, invitation_id: int, at: datetime) -> bool:
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, *_unsettled())
        .values(undeliverable_at=at),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def email_states(session: Session, email_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """E-mail id → (status, last error), for showing an invitation's delivery."""
    if not email_ids:
        return {}
    rows = session.execute(
        select(OutgoingEmail.id, OutgoingEmail.status, OutgoingEmail.last_error).where(
            OutgoingEmail.id.in_(email_ids)
        )
    )
    return {int(r[0]): (str(r[1]), r[2]) for r in rows}


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


def mark_unfollowed(session: Session, contact_id: int, at: datetime) -> None:
    """The provider says the person opted out (STOP) or does not follow the account any more:
    ``unfollowed_at`` (kept if already set)."""
    session.execute(
        update(Contact)
        .where(Contact.id == contact_id, Contact.unfollowed_at.is_(None))
        .values(unfollowed_at=at)
    )


def invitation_by_nonce_hash(session: Session, nonce_hash: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.link_nonce_hash == nonce_hash))
