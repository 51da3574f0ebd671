"""The one way a contact's status changes: through the CONTACT[network] table, with history and
an outbox event (events.transitions.apply_transition) in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from relaybird.contacts.transitions import CONTACT, ContactEvent, ContactStatus, Network
from relaybird.events.transitions import Moved, apply_transition
from relaybird.kit.time import utcnow
from relaybird.models import Contact


def move_contact(
    session: Session,
    contact: Contact,
    event: ContactEvent,
    actor: str,
    *,
    target: ContactStatus | None = None,
    explicit_target: bool = False,
    reason: str | None = None,
    error_code: int | None = None,
    at: datetime | None = None,
) -> Moved:
    """Move ``contact`` by ``event`` (e.g. "invitation_accepted", "welcome_not_on_whatsapp").

    The row is re-read and compare-and-set, so a stale ``contact`` object is fine; a move the
    network's table does not allow raises IllegalTransition (409). ``contact.status`` is updated
    in memory to the new status.
    """
    when = at or utcnow()
    moved = apply_transition(
        session,
        CONTACT[Network(contact.network)],
        Contact,
        contact.id,
        event=event,
        target=target,
        explicit_target=explicit_target,
        workspace_id=contact.workspace_id,
        actor=actor,
        reason=reason,
        error_code=error_code,
        values={"updated_at": when},
        data={"network": contact.network},
        at=when,
    )
    # Not a pending change of the object (the UPDATE above wrote it): no second write at flush.
    set_committed_value(contact, "status", moved.target)
    return moved
