"""Onboarding invitations (WeChat, LINE, and WhatsApp when asked for): a code e-mailed to the
contact, validated by following its link, expiring after RELAYBIRD_INVITE_EXPIRY.

Only the SHA-256 of a code is stored, so a database leak reveals no working link. Each invitation
and its e-mail are written in the transaction that moves the contact, and every later change of
an invitation is a compare-and-set on its row (accepted / expired / superseded: one winner), so
a crash or a second worker can neither lose nor double a move.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.connectors import service as connectors
from relaybird.contacts import repository
from relaybird.contacts.errors import (
    InvitationExpired,
    InvitationNotFound,
    InvitationSuperseded,
)
from relaybird.contacts.moves import move_contact
from relaybird.contacts.transitions import ContactEvent
from relaybird.errors import IllegalTransition
from relaybird.events.mail import cancel_emails, queue_email
from relaybird.models import Contact, Invitation
from relaybird.providers.line.linking import new_nonce

# What the outbox shows in place of a code (and of the code in the link).
REDACTED = "[code redacted: only in the e-mail sent]"
# Unambiguous upper-case letters and digits (no 0/O, 1/I/L, U): 30 symbols, 12 of them ≈ 59 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 12
NETWORK_NAMES = {"WECHAT": "WeChat", "LINE": "LINE", "WHATSAPP": "WhatsApp"}


@dataclass(frozen=True)
class InviteSettings:
    public_url: str
    expiry: timedelta

    @classmethod
    def of(cls, settings: Settings) -> InviteSettings:
        return cls(public_url=settings.public_url, expiry=settings.invite_expiry)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """The code as issued from what a person typed or a link carried (dashes, spaces and case
    do not matter); None when it cannot be one of ours."""
    code = raw.replace("-", "").replace(" ", "").upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def display_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def link(public_url: str, code: str) -> str:
    return f"{public_url}/invitations/{code}"


def issue(
    session: Session, contact: Contact, owner_name: str, invite: InviteSettings, *, at: datetime
) -> Invitation:
    """Supersede any open invitation of ``contact`` (withdrawing its e-mail if still unsent),
    create a new one and queue its e-mail (same transaction). The contact does not move here:
    it becomes PENDING_CONFIRMATION when the e-mail is sent (``settle_delivery``).

    The code travels only in the text handed to SMTP (``secret_body``, erased once the e-mail
    is done); the body the outbox shows has it redacted, so no reader of the API or the
    dashboard holds a working link."""
    if contact.email is None:
        raise ValueError("an invitation needs the contact's e-mail address")
    replaced = repository.supersede_open(session, contact.id, at)
    cancel_emails(session, replaced, "canceled: the invitation was replaced by a newer one")
    code = new_code()
    network = NETWORK_NAMES.get(contact.network, contact.network)
    subject = f"{owner_name} invites you to connect on {network}"
    friend = _add_friend(session, contact)
    wechat_qr = contact.network == "WECHAT" and (
        connectors.for_network(session, contact.workspace_id, "WECHAT") is not None
    )

    def body(url: str, shown_code: str) -> str:
        greeting = f"Hello {contact.first_name}," if contact.first_name else "Hello,"
        on_line = (
            f"On LINE: add our Official Account {friend[0]} as a friend ({friend[1]}) and "
            f"send it this code in the chat: {shown_code}\n\n"
            if friend
            else ""
        )
        if wechat_qr:
            on_line = (
                "On WeChat: open this QR code and scan it with WeChat to follow our Official "
                f"Account (this validates your invitation):\n{url}/wechat-qr\n\n"
            )
        return (
            f"{greeting}\n\n"
            f"{owner_name} invites you to connect on {network}.\n\n"
            f"{on_line}"
            f"Open this link to validate your invitation:\n{url}\n\n"
            f"Or enter this code: {shown_code}\n\n"
            f"The invitation is valid for {_duration(invite.expiry)} from this e-mail. If you "
            "did not expect it, ignore this e-mail.\n"
        )

    email_id = queue_email(
        session,
        workspace_id=contact.workspace_id,
        to=contact.email,
        subject=subject,
        body=body(link(invite.public_url, REDACTED), REDACTED),
        secret_body=body(link(invite.public_url, code), display_code(code)),
        kind="invitation",
        at=at,
    )
    return repository.add_invitation(
        session,
        workspace_id=contact.workspace_id,
        contact_id=contact.id,
        code_hash=hash_code(code),
        email_id=email_id,
        expires_at=None,
        created_at=at,
    )


def _add_friend(session: Session, contact: Contact) -> tuple[str, str] | None:
    """LINE: the workspace's Official Account (basic ID, add-friend link) when its connector
    names it; the code sent in the chat validates the invitation (rooms/channels.py)."""
    if contact.network != "LINE":
        return None
    connector = connectors.for_network(session, contact.workspace_id, "LINE")
    basic_id = (connector.options or {}).get("basic_id") if connector else None
    if not basic_id:
        return None
    return basic_id, f"https://line.me/R/ti/p/{basic_id}"


def _duration(delay: timedelta) -> str:
    """7 days, 36 hours, 90 minutes: the largest whole unit."""
    seconds = int(delay.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def state_of(invitation: Invitation, now: datetime) -> str:
    """unsent | pending | accepted | expired | superseded | undeliverable."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.superseded_at is not None:
        return "superseded"
    if invitation.undeliverable_at is not None:
        return "undeliverable"
    if invitation.expired_at is not None or (
        invitation.expires_at is not None and invitation.expires_at <= now
    ):
        return "expired"
    if invitation.sent_at is None:
        return "unsent"
    return "pending"


@dataclass(frozen=True)
class Found:
    invitation: Invitation
    contact: Contact
    state: str  # pending | accepted


def find(session: Session, raw_code: str, now: datetime) -> Found:
    """The invitation behind a code, if it can still be used or was already accepted. Unknown →
    InvitationNotFound (404); expired or superseded → 410. Reads only."""
    code = normalise_code(raw_code)
    invitation = repository.invitation_by_hash(session, hash_code(code)) if code else None
    contact = repository.contact_by_id(session, invitation.contact_id) if invitation else None
    if invitation is None or contact is None:
        raise InvitationNotFound("this invitation code is unknown: check the link in the e-mail")
    state = state_of(invitation, now)
    if state in ("unsent", "undeliverable"):
        # Only the e-mail carries the code: whoever holds it got the e-mail (its sending was
        # not recorded yet, e.g. a crash right after SMTP accepted it).
        state = "pending"
    if state == "superseded":
        raise InvitationSuperseded(
            "this invitation was replaced by a newer one: use the link in the latest e-mail"
        )
    if state == "expired":
        raise InvitationExpired(
            "this invitation has expired: ask your contact person to send a new one"
        )
    return Found(invitation, contact, state)


def accept(session: Session, raw_code: str, *, at: datetime) -> Found:
    """Validate the invitation: the contact moves PENDING_CONFIRMATION → CONFIRMED (no status on
    WeChat). Accepting an accepted code again changes nothing and answers the same."""
    found = find(session, raw_code, at)
    if found.state == "accepted":
        return found
    if not repository.claim_accept(session, found.invitation.id, at):
        # Someone else accepted, superseded or expired it between our read and write.
        return find(session, raw_code, at)
    # The contact may have moved on by another path (a WhatsApp contact confirmed by its room's
    # welcome template, or UNAVAILABLE): then the invitation is used and the status stays.
    with contextlib.suppress(IllegalTransition):
        move_contact(
            session,
            found.contact,
            ContactEvent.INVITATION_ACCEPTED,
            f"invitation:{found.invitation.id}",
            at=at,
        )
    return Found(found.invitation, found.contact, "accepted")


SCENE_PREFIX = "inv:"  # a WeChat QR code's scene: inv:<invitation id>


def invitation_scene(invitation_id: int) -> str:
    return f"{SCENE_PREFIX}{invitation_id}"


def accept_by_id(session: Session, invitation_id: int, *, at: datetime) -> Found | None:
    """Validate an invitation known by its id (a WeChat QR code's scene carries it): as
    ``accept``, without the code. None when it cannot be used (unknown, expired, replaced);
    an accepted one answers as accepted."""
    invitation = repository.invitation(session, invitation_id)
    contact = repository.contact_by_id(session, invitation.contact_id) if invitation else None
    if invitation is None or contact is None:
        return None
    state = state_of(invitation, at)
    if state == "accepted":
        return Found(invitation, contact, state)
    if state in ("expired", "superseded"):
        return None
    if not repository.claim_accept(session, invitation.id, at):
        return None
    with contextlib.suppress(IllegalTransition):
        move_contact(
            session, contact, ContactEvent.INVITATION_ACCEPTED, f"invitation:{invitation.id}", at=at
        )
    return Found(invitation, contact, "accepted")


def begin_account_link(
    session: Session, raw_code: str, *, workspace_id: int, network: str, at: datetime
) -> tuple[Found, str]:
    """LINE account linking, our half: the person (who came from LINE with a link token) gave
    their invitation code; a new single-use nonce is bound to the invitation (its hash kept)
    and returned for LINE's account-link redirect. The code must be an open invitation of a
    contact of that network and workspace (else InvitationNotFound, 404)."""
    found = find(session, raw_code, at)
    contact = found.contact
    if (
        found.state != "pending"
        or contact.network != network
        or contact.workspace_id != workspace_id
    ):
        raise InvitationNotFound("this code is not an open invitation of this account")
    nonce = new_nonce()
    found.invitation.link_nonce_hash = hash_code(nonce)
    session.flush()
    return found, nonce


def accept_by_nonce(session: Session, nonce: str, *, at: datetime) -> Found | None:
    """The accountLink event carried ``nonce``: validate its invitation (the nonce is used up)."""
    invitation = repository.invitation_by_nonce_hash(session, hash_code(nonce))
    if invitation is None:
        return None
    invitation.link_nonce_hash = None
    session.flush()
    return accept_by_id(session, invitation.id, at=at)


def expire(session: Session, invitation_id: int, *, at: datetime) -> bool:
    """Expire one invitation past its time and move its contact (INVITE_EXPIRED on WeChat and
    LINE, back to no status on WhatsApp). False when it was no longer open (idempotent)."""
    if not repository.claim_expire(session, invitation_id, at):
        return False
    invitation = repository.invitation(session, invitation_id)
    contact = repository.contact_by_id(session, invitation.contact_id) if invitation else None
    if contact is None:
        return True
    # A contact no longer waiting for this invitation (confirmed through a room) stays as it is.
    with contextlib.suppress(IllegalTransition):
        move_contact(
            session,
            contact,
            ContactEvent.INVITATION_EXPIRED,
            "scheduler",
            reason="not validated within the invitation delay",
            at=at,
        )
    return True


def settle_delivery(
    session: Session, invitation_id: int, *, expiry: timedelta, now: datetime
) -> bool:
    """Apply the fate of an invitation's e-mail to the invitation and its contact (the seed's
    PENDING_CONFIRMATION is "the invitation e-mail was sent"):

    - SENT: the invitation's clock starts at the e-mail's ``sent_at`` (expires ``expiry``
      later) and the contact becomes PENDING_CONFIRMATION;
    - FAILED (refused for good, or retries exhausted): the invitation is undeliverable and the
      contact returns to no status, with the reason in its history (a resend tries again).

    Compare-and-set on the invitation: False when there was nothing (left) to apply."""
    found = repository.delivery(session, invitation_id)
    if found is None:
        return False
    invitation, status, sent_at, error = found
    contact = repository.contact_by_id(session, invitation.contact_id)
    if status == "SENT" and sent_at is not None:
        if not repository.claim_sent(session, invitation.id, sent_at, sent_at + expiry):
            return False
        event, reason, at = ContactEvent.INVITATION_SENT, "invitation e-mail sent", sent_at
    elif status == "FAILED":
        if not repository.claim_undeliverable(session, invitation.id, now):
            return False
        detail = f": {error}" if error else ""
        event, reason, at = (
            ContactEvent.INVITATION_UNDELIVERABLE,
            f"the e-mail could not be sent{detail}",
            now,
        )
    else:
        return False
    if contact is not None:
        # A contact that moved on by another path (confirmed by a room's welcome template,
        # UNAVAILABLE) keeps its status: the table has no such move from there.
        with contextlib.suppress(IllegalTransition):
            move_contact(session, contact, event, "mail", reason=reason[:500], at=at)
    return True
