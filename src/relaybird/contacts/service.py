"""Contacts: create (with the first status move and, where used, an invitation), read, list,
edit, delete, resend the invitation. Services take a Session and never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaybird.contacts import invitations, repository
from relaybird.contacts.errors import DuplicateContact, InviteAlreadyConfirmed, InvitesNotUsed
from relaybird.contacts.invitations import InviteSettings
from relaybird.contacts.moves import move_contact
from relaybird.contacts.transitions import (
    CONTACT,
    DIRECT_NETWORKS,
    INVITATION_NETWORKS,
    ContactEvent,
    ContactStatus,
    Network,
    statuses_for,
)
from relaybird.contacts.validation import ContactFields, validate_fields
from relaybird.errors import InvalidInput, found
from relaybird.events.mail import cancel_emails
from relaybird.events.outbox import emit
from relaybird.events.transitions import history
from relaybird.kit.pagination import Page, paginate
from relaybird.models import Contact, Invitation, Transition, User

__all__ = ["ContactDraft", "create_contact", "move_contact"]

# Networks on which an invitation may be sent: always on WeChat and LINE, on request on WhatsApp.
INVITABLE = frozenset({*INVITATION_NETWORKS, Network.WHATSAPP})
# First events of a contact created by the system rather than a user (Direct inbound).
AUTO_EVENTS = frozenset({ContactEvent.AUTO_ONBOARDED, ContactEvent.AUTO_ONBOARD_BLOCKED})


@dataclass(frozen=True)
class ContactDraft:
    network: Network
    owner_user_id: int
    fields: ContactFields
    invite: bool = False  # WhatsApp only: send an invitation e-mail (WeChat/LINE always do)


def create_contact(
    session: Session,
    workspace_id: int,
    draft: ContactDraft,
    *,
    actor: str,
    at: datetime,
    invite_settings: InviteSettings | None = None,
    event: ContactEvent | None = None,
    reason: str | None = None,
    region: str = "US",
) -> Contact:
    """Validate and insert a contact, then apply its first move through the table: "created"
    (SMS-Direct: CONFIRMED; the others: no status), or ``event``
    for system-created contacts ("auto_onboarded" → INCOMPLETE, "auto_onboard_blocked" →
    BLOCKED; phone only; the owner is the virtual number's user, active or not), with
    ``reason`` in its history. WeChat and LINE contacts (WhatsApp ones with ``draft.invite``) get an
    invitation whose e-mail is queued: they become PENDING_CONFIRMATION when it is sent
    (``invitations.settle_delivery``), not before. Duplicates (same workspace, network and
    phone, or e-mail on WeChat and LINE) raise DuplicateContact (409); bad fields raise
    InvalidInput (422)."""
    network = Network(draft.network)
    complete = event not in AUTO_EVENTS
    # Every problem in one answer (issue 12 item 8): the body's own checks first, then the
    # look-ups, each adding to the same list.
    problems: list[dict[str, str]] = []
    try:
        fields = validate_fields(network, draft.fields, complete=complete, region=region)
    except InvalidInput as exc:
        problems += exc.extra.get("errors") or [{"field": "body", "msg": exc.detail}]
    inviting = network in INVITATION_NETWORKS or (draft.invite and network in INVITABLE)
    if draft.invite and network not in INVITABLE:
        problems.append(
            {"field": "invite", "msg": f"{network} contacts are not onboarded by invitation"}
        )
    try:
        owner = _owner(session, workspace_id, draft.owner_user_id, active_only=complete)
    except InvalidInput as exc:
        problems += exc.extra.get("errors") or [{"field": "owner_user_id", "msg": exc.detail}]
    if problems:
        detail = "; ".join(f"{e['field']}: {e['msg']}" for e in problems)
        raise InvalidInput(detail, errors=problems)
    if inviting and invite_settings is None:
        raise ValueError("inviting needs invite_settings")
    _refuse_duplicate(session, workspace_id, network, fields, owner.id)
    try:
        with session.begin_nested():
            contact = repository.add_contact(
                session,
                workspace_id=workspace_id,
                network=network.value,
                owner_user_id=owner.id,
                status=None,
                created_at=at,
                updated_at=at,
                **_columns(fields),
            )
    except IntegrityError:
        # Lost a race with a concurrent create (the unique indexes decided).
        raise DuplicateContact(
            f"a {network} contact with this phone number or e-mail address already exists in "
            "the workspace (on Direct networks: for this owner)"
        ) from None
    first = event or ContactEvent.CREATED
    move_contact(session, contact, first, actor, reason=reason, at=at)
    if inviting:
        assert invite_settings is not None
        invitations.issue(session, contact, owner.name, invite_settings, at=at)
    return contact


def contact_for_reply(
    session: Session, workspace_id: int, phone: str, *, owner_user_id: int, actor: str, at: datetime
) -> Contact:
    """The workspace's WhatsApp contact for ``phone`` (E.164), created with the phone alone
    when there is none: a campaign recipient who wrote back and is being answered (relaybird
    knows nothing else of them; a user may complete the profile later). Its first move is
    ``created``: no status, as every WhatsApp contact until a room's welcome decides."""
    existing = repository.duplicate(
        session, workspace_id, Network.WHATSAPP.value, phone=phone, email=None
    )
    if existing is not None:
        return existing
    owner = _owner(session, workspace_id, owner_user_id)
    try:
        with session.begin_nested():
            contact = repository.add_contact(
                session,
                workspace_id=workspace_id,
                network=Network.WHATSAPP.value,
                owner_user_id=owner.id,
                status=None,
                phone=phone,
                created_at=at,
                updated_at=at,
            )
    except IntegrityError:
        # A concurrent answer created it first (the unique index decided): that one it is.
        again = repository.duplicate(
            session, workspace_id, Network.WHATSAPP.value, phone=phone, email=None
        )
        assert again is not None
        return again
    move_contact(
        session, contact, ContactEvent.CREATED, actor, reason="answering a campaign reply", at=at
    )
    return contact


def get_contact(session: Session, workspace_id: int, contact_id: int) -> Contact:
    return found(find_contact(session, workspace_id, contact_id), f"contact {contact_id}")


def find_contact(session: Session, workspace_id: int, contact_id: int) -> Contact | None:
    """The contact, or None when the workspace has no such contact (``get_contact``: 404)."""
    return repository.contact(session, workspace_id, contact_id)


def move_if_allowed(
    session: Session,
    contact: Contact,
    event: ContactEvent,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    error_code: int | None = None,
) -> bool:
    """A contact-status move through its network's CONTACT table; False (nothing written) if
    the table has no such move from where the contact is — e.g. a late `delivered` for an
    UNAVAILABLE contact, which stays UNAVAILABLE (sticky). ``move_contact`` raises instead."""
    machine = CONTACT[Network(contact.network)]
    observed = None if contact.status is None else ContactStatus(contact.status)
    targets = machine.targets(observed, event)
    if not targets:
        return False
    moved = move_contact(
        session,
        contact,
        event,
        actor,
        target=targets[0],
        explicit_target=True,
        reason=reason,
        error_code=error_code,
        at=now,
    )
    return moved.changed


def complete_profile(
    session: Session,
    contact: Contact,
    fields: ContactFields,
    *,
    actor: str,
    at: datetime,
    region: str = "US",
) -> Contact:
    """Onboard an auto-onboarded Direct contact (INCOMPLETE or BLOCKED): the given names,
    company and e-mail over what it has (its phone never changes), validated as a complete
    contact of its network, and the move ``onboarded`` (SMS-Direct: CONFIRMED; WhatsApp-Direct:
    no status). The move first: an illegal one (already onboarded) changes nothing."""
    current = ContactFields(
        first_name=contact.first_name,
        last_name=contact.last_name,
        company=contact.company,
        email=contact.email,
        phone=contact.phone,
    )
    given = {k: v for k, v in vars(fields).items() if v is not None and k != "phone"}
    cleaned = validate_fields(
        Network(contact.network), replace(current, **given), complete=True, region=region
    )
    move_contact(session, contact, ContactEvent.ONBOARDED, actor, at=at)
    repository.update_contact(
        session,
        contact.id,
        {
            "first_name": cleaned.first_name,
            "last_name": cleaned.last_name,
            "company": cleaned.company,
            "email": cleaned.email,
            "updated_at": at,
        },
    )
    session.refresh(contact)
    return contact


def mark_unfollowed(session: Session, contact_id: int, at: datetime) -> None:
    """The provider says the person opted out (STOP) or does not follow the account any more:
    ``unfollowed_at`` (kept if already set)."""
    repository.mark_unfollowed(session, contact_id, at)


def list_contacts(
    session: Session,
    workspace_id: int,
    *,
    network: Network | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Contact]:
    """``status`` is a ContactStatus or "NONE" (no status). A status the network can never take
    is refused rather than answered with an always-empty page."""
    if status is not None and status != "NONE":
        if status not in ContactStatus.__members__:
            raise InvalidInput(
                f"status: {status!r} is not a contact status "
                f"({', '.join(ContactStatus.__members__)} or NONE)"
            )
        wanted = ContactStatus(status)
        if network is not None and wanted not in statuses_for(network):
            raise InvalidInput(
                f"status: {network} contacts never have status {wanted} "
                f"(possible: {', '.join(sorted(statuses_for(network)))} or NONE)"
            )
    query = repository.list_query(
        workspace_id, network=None if network is None else network.value, status=status
    )
    return paginate(session, query, Contact.id, cursor=cursor, limit=limit)


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: trimmed, lower case, each once, sorted."""
    return sorted({t.strip().lower() for t in tags if t.strip()})


def audience_changes(contact: Contact, changes: dict[str, Any]) -> dict[str, object]:
    """Pops ``tags`` (replaced) and ``attributes`` (merged, None removes) from ``changes``: the
    column values to write."""
    values: dict[str, object] = {}
    if "tags" in changes:
        tags = changes.pop("tags")
        values["tags"] = normalise_tags(tags or [])
    if "attributes" in changes:
        merged = dict(contact.attributes or {})
        for name, value in (changes.pop("attributes") or {}).items():
            if value is None:
                merged.pop(name.strip(), None)
            else:
                merged[name.strip()] = str(value)[:1000]
        values["attributes"] = merged
    return values


def update_contact(
    session: Session,
    workspace_id: int,
    contact_id: int,
    changes: dict[str, Any],
    *,
    actor: str,
    at: datetime,
    region: str = "US",
) -> Contact:
    """Edit names, company, e-mail or owner (the phone and network never change: delete and
    re-create instead). The status does not move; completing an INCOMPLETE profile is
    ``onboard``."""
    contact = get_contact(session, workspace_id, contact_id)
    values: dict[str, object] = audience_changes(contact, changes)
    if "owner_user_id" in changes:
        owner_id = changes.pop("owner_user_id")
        if owner_id is None:
            raise InvalidInput("owner_user_id: a contact always has an owner")
        values["owner_user_id"] = _owner(session, workspace_id, int(owner_id)).id
    if changes:
        current = ContactFields(
            first_name=contact.first_name,
            last_name=contact.last_name,
            company=contact.company,
            email=contact.email,
            phone=contact.phone,
        )
        merged = replace(current, **{k: v for k, v in changes.items() if isinstance(v, str | None)})
        complete = contact.status not in {ContactStatus.INCOMPLETE, ContactStatus.BLOCKED}
        network = Network(contact.network)
        fields = validate_fields(network, merged, complete=complete, region=region)
        owner_id = int(str(values.get("owner_user_id", contact.owner_user_id)))
        _refuse_duplicate(session, workspace_id, network, fields, owner_id, exclude_id=contact.id)
        values.update(_columns(fields))
    if values:
        values["updated_at"] = at
        try:
            with session.begin_nested():
                repository.update_contact(session, contact.id, values)
        except IntegrityError:
            raise DuplicateContact(
                f"another {contact.network} contact already has this phone number or e-mail "
                "address in the workspace"
            ) from None
        emit(
            session,
            workspace_id=workspace_id,
            type="contact.updated",
            entity="contact",
            entity_id=contact.id,
            data={"id": contact.id, "fields": sorted(k for k in values if k != "updated_at")},
            at=at,
        )
        session.refresh(contact)
    return contact


def delete_contact(
    session: Session, workspace_id: int, contact_id: int, *, actor: str, at: datetime
) -> None:
    """Delete the contact and its invitations. The only way to clear a sticky UNAVAILABLE:
    create the contact again. A contact that may be in rooms is deleted through
    ``rooms.service.delete_contact``, which takes it out of them first (rooms build on
    contacts, not the reverse)."""
    contact = get_contact(session, workspace_id, contact_id)
    emails = repository.delete_contact(session, contact.id)
    cancel_emails(session, emails, "canceled: the contact was deleted")
    emit(
        session,
        workspace_id=workspace_id,
        type="contact.deleted",
        entity="contact",
        entity_id=contact.id,
        data={"id": contact.id, "network": contact.network, "status": contact.status, "by": actor},
        at=at,
    )


def resend_invite(
    session: Session,
    workspace_id: int,
    contact_id: int,
    *,
    actor: str,
    at: datetime,
    invite_settings: InviteSettings,
) -> Contact:
    """A new code (the old one stops working, its e-mail is withdrawn if still unsent) in a new
    e-mail. The status follows that e-mail: PENDING_CONFIRMATION with the expiry counted anew
    once it is sent. Refused (409) once the invitation was validated, on networks without
    invitations, and from a status the new invitation could not move (UNAVAILABLE)."""
    contact = get_contact(session, workspace_id, contact_id)
    network = Network(contact.network)
    if network not in INVITABLE:
        raise InvitesNotUsed(f"{network} contacts are not onboarded by invitation")
    latest = repository.latest_invitation(session, contact.id)
    if contact.status == ContactStatus.CONFIRMED or (
        latest is not None and latest.accepted_at is not None
    ):
        raise InviteAlreadyConfirmed(
            f"contact {contact.id} already validated the invitation; there is nothing to resend"
        )
    if contact.email is None:
        raise InvalidInput("email: the contact has no e-mail address to send the invitation to")
    # The move its sending will make must exist from here (409 illegal_transition otherwise).
    CONTACT[network].resolve(
        None if contact.status is None else ContactStatus(contact.status),
        ContactEvent.INVITATION_SENT,
    )
    owner = _owner(session, workspace_id, contact.owner_user_id, active_only=False)
    invitations.issue(session, contact, owner.name, invite_settings, at=at)
    # The status follows the new e-mail (PENDING_CONFIRMATION once it is sent); subscribers
    # learn of the resend now.
    emit(
        session,
        workspace_id=workspace_id,
        type="contact.invite_resent",
        entity="contact",
        entity_id=contact.id,
        data={"id": contact.id, "network": contact.network, "by": actor},
        at=at,
    )
    return contact


@dataclass(frozen=True)
class InvitationState:
    """The latest invitation of a contact and where its e-mail stands."""

    invitation: Invitation
    delivery: str | None  # the e-mail's status: QUEUED | SENT | FAILED | CANCELED
    delivery_error: str | None


def latest_invitations(
    session: Session, contact_ids: list[int], *, smtp_configured: bool
) -> dict[int, InvitationState]:
    latest = {
        cid: inv
        for cid in contact_ids
        if (inv := repository.latest_invitation(session, cid)) is not None
    }
    emails = repository.email_states(
        session, [i.email_id for i in latest.values() if i.email_id is not None]
    )
    found: dict[int, InvitationState] = {}
    for cid, inv in latest.items():
        status, error = emails.get(inv.email_id or 0, (None, None))
        if status == "QUEUED" and error is None and not smtp_configured:
            error = "not sent: no mail server is configured (RELAYBIRD_SMTP_URL)"
        found[cid] = InvitationState(inv, status, error)
    return found


def history_of(
    session: Session, workspace_id: int, contact_id: int, **window: int | None
) -> list[Transition]:
    get_contact(session, workspace_id, contact_id)
    return history(session, "contact", contact_id, workspace_id, **window)


def _owner(session: Session, workspace_id: int, user_id: int, *, active_only: bool = True) -> User:
    user = repository.user(session, workspace_id, user_id)
    if user is None or (active_only and not user.active):
        raise InvalidInput(
            f"owner_user_id: {user_id} is not an active user of this workspace",
            errors=[{"field": "owner_user_id", "msg": "not an active user of this workspace"}],
        )
    return user


def _refuse_duplicate(
    session: Session,
    workspace_id: int,
    network: Network,
    fields: ContactFields,
    owner_user_id: int,
    *,
    exclude_id: int | None = None,
) -> None:
    # On WeChat and LINE the e-mail address is where the invitation goes: one contact per
    # address. Elsewhere people may share an address (a company mailbox); the phone decides.
    email = fields.email if network in INVITATION_NETWORKS else None
    # On the Direct networks a contact is an entry of its owner's list: one per user and phone.
    owner = owner_user_id if network in DIRECT_NETWORKS else None
    existing = repository.duplicate(
        session,
        workspace_id,
        network.value,
        phone=fields.phone,
        email=email,
        owner_user_id=owner,
        exclude_id=exclude_id,
    )
    if existing is not None:
        same = "phone number" if existing.phone == fields.phone else "e-mail address"
        whose = f" for user {owner}" if owner is not None else ""
        raise DuplicateContact(
            f"contact {existing.id} already has this {same} on {network}{whose}",
            existing_id=existing.id,
        )


def _columns(fields: ContactFields) -> dict[str, str | None]:
    return {
        "first_name": fields.first_name,
        "last_name": fields.last_name,
        "company": fields.company,
        "email": fields.email,
        "phone": fields.phone,
    }
