"""Room messages: writing them (out, in, system, held), the customer-service window, and the
moves of a message's status. Every new message is a row plus a history/outbox record; every
status change goes through the ROOM_MESSAGE table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.errors import Conflict
from relaybird.events.transitions import Moved, apply_transition, move_many, record
from relaybird.models import Contact, Room, RoomMessage
from relaybird.providers.windows import WECHAT_WINDOW, WHATSAPP_WINDOW
from relaybird.rooms import repository
from relaybird.rooms.errors import (
    ContactMustWriteFirst,
    NobodyToReach,
    RoomDeactivated,
    TemplateNeeded,
)
from relaybird.rooms.transitions import ROOM_MESSAGE, MessageEvent, MessageStatus

SERVICE_WINDOW = WHATSAPP_WINDOW
# Networks with a customer-service window (free-form messages only within it of the contact's
# last message): WhatsApp's 24 h, WeChat's 48 h (also opened by a follow or QR scan; WeChat has
# no templates to reach a contact outside it). LINE and SMS have none.
WINDOWS: dict[str, timedelta] = {
    "WHATSAPP": WHATSAPP_WINDOW,
    "WHATSAPP_DIRECT": WHATSAPP_WINDOW,
    "WECHAT": WECHAT_WINDOW,
}
WINDOW_NETWORKS = frozenset(WINDOWS)
# Contacts that cannot receive anything (the probe said so, or a user blocked them).
UNREACHABLE = frozenset({"UNAVAILABLE", "BLOCKED"})

WELCOME = "WELCOME"
NOTICE = "NOTICE"


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    body_params: tuple[str, ...] = ()


def inbound_kind(whatsapp_type: str) -> str:
    """A room message's kind for an inbound WhatsApp message of this type (TEXT, BUTTON, ...)."""
    return "TEXT" if whatsapp_type == "text" else whatsapp_type.upper()[:16]


def window_open(contact: Contact, now: datetime) -> bool:
    return contact.window_expires_at is not None and contact.window_expires_at > now


def _new(
    session: Session,
    room: Room,
    *,
    direction: str,
    kind: str,
    status: MessageStatus,
    event: MessageEvent,
    actor: str,
    now: datetime,
    contact_id: int | None = None,
    author_user_id: int | None = None,
    text: str | None = None,
    template: Template | None = None,
    wamid: str | None = None,
    at: datetime | None = None,
) -> RoomMessage | None:
    """Insert a message and record its first status; None if (room, wamid) exists already."""
    when = at or now
    row = repository.insert_message(
        session,
        RoomMessage(
            workspace_id=room.workspace_id,
            room_id=room.id,
            direction=direction,
            kind=kind,
            author_user_id=author_user_id,
            contact_id=contact_id,
            text=text,
            status=status,
            template_name=template.name if template else None,
            template_language=template.language if template else None,
            template_params=list(template.body_params) if template else None,
            wamid=wamid,
            created_at=when,
            updated_at=when,
        ),
    )
    if row is None:
        return None
    ROOM_MESSAGE.resolve(None, event, status, explicit=True)
    record(
        session,
        ROOM_MESSAGE,
        [Moved(row.id, room.workspace_id, None, status)],
        event=event,
        actor=actor,
        data={"room_id": room.id, "direction": direction, "kind": kind},
        at=now,
    )
    return row


def queue_out(
    session: Session,
    room: Room,
    contact: Contact,
    *,
    kind: str,
    actor: str,
    now: datetime,
    text: str | None = None,
    template: Template | None = None,
    author_user_id: int | None = None,
) -> RoomMessage:
    """An outbound message, PENDING: the sender loop (or the request, after commit) sends it."""
    row = _new(
        session,
        room,
        direction="OUT",
        kind=kind,
        status=MessageStatus.PENDING,
        event=MessageEvent.QUEUED,
        actor=actor,
        now=now,
        contact_id=contact.id,
        author_user_id=author_user_id,
        text=text,
        template=template,
    )
    assert row is not None  # no wamid yet: nothing to collide with
    return row


def queue_welcome(
    session: Session, settings: Settings, room: Room, contact: Contact, *, actor: str, now: datetime
) -> RoomMessage | None:
    """The welcome message, once per room and contact (again after one that failed). On
    WhatsApp it is the template that probes the number (131026 → UNAVAILABLE); an UNAVAILABLE or
    BLOCKED contact gets none."""
    if contact.status in UNREACHABLE or contact.phone is None:
        return None
    if room.network not in ("WHATSAPP", "WHATSAPP_DIRECT", "SMS_DIRECT"):
        return None
    # Once per room and contact, unless the last one failed without a verdict (a transient
    # error past its retries, a sender that could not send, outcome unknown): re-adding the
    # contact probes again. A probe that concluded 131026 left the contact UNAVAILABLE above.
    if repository.has_message_of_kind(session, room.id, contact.id, WELCOME, failed_too=False):
        return None
    if room.network == "WHATSAPP":
        template = Template(settings.welcome_template, settings.welcome_template_language)
        return queue_out(
            session, room, contact, kind=WELCOME, actor=actor, now=now, template=template
        )
    owner = repository.user(session, room.workspace_id, room.owner_user_id)
    text = settings.direct_welcome_text.replace("{user}", owner.name if owner else "us")
    return queue_out(session, room, contact, kind=WELCOME, actor=actor, now=now, text=text)


def post_outbound(
    session: Session,
    room: Room,
    *,
    text: str | None,
    template: Template | None,
    author_user_id: int | None,
    actor: str,
    now: datetime,
) -> list[RoomMessage]:
    """A user's message to every reachable contact of the room (one row per contact).

    Free-form text needs every addressed contact's window open: WhatsApp's 24 h (otherwise 409
    template_required), WeChat's 48 h (otherwise 409 contact_must_write_first: WeChat has no
    templates, the contact must write first); nothing is written then."""
    if room.status == "DEACTIVATED":
        raise RoomDeactivated(
            "the room is DEACTIVATED (its last contact was removed): add a contact first"
        )
    targets = [c for c in repository.contacts(session, room.id) if c.status not in UNREACHABLE]
    if not targets:
        raise NobodyToReach("the room has no contact that can receive messages")
    if template is not None and room.network != "WHATSAPP":
        raise Conflict(f"templates are a WhatsApp feature; {room.network} rooms take text")
    if template is None and room.network in WINDOW_NETWORKS:
        closed = [c.id for c in targets if not window_open(c, now)]
        if closed and room.network == "WECHAT":
            raise ContactMustWriteFirst(
                "WeChat lets an Official Account send customer-service messages only within 48 "
                "hours of the contact's last message, follow or QR scan; it is closed for "
                f"contact(s) {', '.join(map(str, closed))}. The contact must write to the "
                "Official Account first (WeChat has no templates to reach them before); the "
                "room is ACTIVE again when they do.",
                contact_ids=closed,
            )
        if closed:
            raise TemplateNeeded(
                "free-form messages can only be sent within 24 hours of the contact's last "
                "message (WhatsApp's customer-service window); it is closed for contact(s) "
                f"{', '.join(map(str, closed))}. Send an approved template instead: "
                '{"template": {"name": ..., "language": ...}}',
                contact_ids=closed,
            )
    kind = "TEMPLATE" if template is not None else "TEXT"
    return [
        queue_out(
            session,
            room,
            c,
            kind=kind,
            actor=actor,
            now=now,
            text=text,
            template=template,
            author_user_id=author_user_id,
        )
        for c in targets
    ]


def post_notice(
    session: Session, room: Room, contact_id: int | None, text: str, *, actor: str, now: datetime
) -> RoomMessage | None:
    """A SYSTEM message, once per room, contact and text."""
    if contact_id is not None and repository.has_message_of_kind(
        session, room.id, contact_id, NOTICE
    ):
        return None
    return _new(
        session,
        room,
        direction="SYSTEM",
        kind=NOTICE,
        status=MessageStatus.POSTED,
        event=MessageEvent.POSTED,
        actor=actor,
        now=now,
        contact_id=contact_id,
        text=text,
    )


def receive(
    session: Session,
    room: Room,
    contact: Contact,
    *,
    wamid: str,
    kind: str,
    text: str | None,
    held: bool,
    actor: str,
    now: datetime,
    at: datetime,
) -> RoomMessage | None:
    """An inbound message (RECEIVED, or HELD from a blocked number); None for a duplicate."""
    return _new(
        session,
        room,
        direction="IN",
        kind=kind,
        status=MessageStatus.HELD if held else MessageStatus.RECEIVED,
        event=MessageEvent.HELD if held else MessageEvent.RECEIVED,
        actor=actor,
        now=now,
        contact_id=contact.id,
        text=text,
        wamid=wamid,
        at=at,
    )


def open_window(contact: Contact, at: datetime) -> bool:
    """The contact wrote at ``at``: its window lasts until at + 24 h (never moves backwards)."""
    until = at + SERVICE_WINDOW
    changed = False
    if contact.window_expires_at is None or contact.window_expires_at < until:
        contact.window_expires_at = until
        changed = True
    if contact.last_inbound_at is None or contact.last_inbound_at < at:
        contact.last_inbound_at = at
    return changed


def release_held(
    session: Session, contact: Contact, *, actor: str, now: datetime
) -> list[RoomMessage]:
    """HELD → RECEIVED for every message the contact sent while blocked."""
    held = repository.held_messages(session, contact.id)
    moved = move_many(
        session,
        ROOM_MESSAGE,
        RoomMessage,
        [m.id for m in held],
        source=MessageStatus.HELD,
        event=MessageEvent.RELEASED,
        target=MessageStatus.RECEIVED,
        actor=actor,
        values={"updated_at": now},
        at=now,
    )
    ids = {m.id for m in moved}
    return [m for m in held if m.id in ids]


# --- status moves --------------------------------------------------------------------------

_STATUS_EVENTS = {
    "sent": (MessageEvent.STATUS_SENT, MessageStatus.SENT),
    "delivered": (MessageEvent.STATUS_DELIVERED, MessageStatus.DELIVERED),
    "read": (MessageEvent.STATUS_READ, MessageStatus.READ),
    "failed": (MessageEvent.STATUS_FAILED, MessageStatus.FAILED),
}


def apply_status(
    session: Session,
    message: RoomMessage,
    status: str,
    *,
    error_code: int | None,
    error_title: str | None,
    actor: str,
    now: datetime,
) -> bool:
    """A provider status for an outbound message. Monotonic: a late `delivered` after READ,
    or any status after FAILED, is a no-op (the table has no such row)."""
    known = _STATUS_EVENTS.get(status)
    if known is None:
        return False
    event, target = known
    observed = message.status
    if not ROOM_MESSAGE.can(observed, event, target):
        return False
    values: dict[str, object] = {"updated_at": now}
    if target is MessageStatus.FAILED:
        values.update(error_code=error_code, error_title=error_title)
    moved = apply_transition(
        session,
        ROOM_MESSAGE,
        RoomMessage,
        message.id,
        event=event,
        target=target,
        actor=actor,
        error_code=error_code,
        reason=error_title,
        values=values,
        at=now,
    )
    message.status = target
    return moved.changed


def mark_sent(session: Session, message: RoomMessage, message_id: str, *, now: datetime) -> None:
    """The provider accepted it. A webhook may have moved it on already: then keep the id only."""
    repository.set_wamid(session, message.id, message_id)
    repository.clear_error(session, message.id)
    if message.status == MessageStatus.PENDING:
        apply_transition(
            session,
            ROOM_MESSAGE,
            RoomMessage,
            message.id,
            event=MessageEvent.ACCEPTED,
            target=MessageStatus.SENT,
            actor="rooms.sender",
            values={"updated_at": now},
            at=now,
        )


def retry_later(
    session: Session,
    message: RoomMessage,
    *,
    at: datetime,
    error_code: int | None,
    error_title: str,
    now: datetime,
) -> bool:
    """A transient provider error (the provider said no, so nothing went out): back to PENDING,
    unclaimed, due at ``at``, the error shown meanwhile. False if it is no longer PENDING."""
    if message.status != MessageStatus.PENDING:
        return False
    apply_transition(
        session,
        ROOM_MESSAGE,
        RoomMessage,
        message.id,
        event=MessageEvent.RETRY_SCHEDULED,
        target=MessageStatus.PENDING,
        actor="rooms.sender",
        reason=error_title,
        error_code=error_code,
        values={
            "updated_at": now,
            "claimed_at": None,
            "next_attempt_at": at,
            "error_code": error_code,
            "error_title": error_title,
        },
        at=now,
    )
    return True


def mark_failed(
    session: Session,
    message_ids: Sequence[int],
    *,
    error_code: int | None,
    error_title: str,
    now: datetime,
) -> list[int]:
    moved = move_many(
        session,
        ROOM_MESSAGE,
        RoomMessage,
        list(message_ids),
        source=MessageStatus.PENDING,
        event=MessageEvent.SEND_FAILED,
        target=MessageStatus.FAILED,
        actor="rooms.sender",
        reason=error_title,
        error_code=error_code,
        values={"updated_at": now, "error_code": error_code, "error_title": error_title},
        at=now,
    )
    return [m.id for m in moved]
