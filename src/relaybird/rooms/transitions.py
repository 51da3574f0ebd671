"""The room and room-message lifecycles as data (DESIGN.md §2.4)."""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import StateMachine, table
from relaybird.models.room import MessageStatus as MessageStatus
from relaybird.models.room import RoomStatus as RoomStatus


class RoomEvent(StrEnum):
    """The events of the ROOM table (history rows store the value)."""

    CREATED = "created"
    WINDOW_CLOSED = "window_closed"
    WINDOWS_OPEN = "windows_open"
    LAST_CONTACT_REMOVED = "last_contact_removed"
    REACTIVATED = "reactivated"


ROOM = StateMachine(
    event_names=RoomEvent,
    entity="room",
    states=RoomStatus,
    state_field="status",
    rows=table(
        (None, "created", RoomStatus.ACTIVE, "a room without contacts is active"),
        (
            RoomStatus.ACTIVE,
            "window_closed",
            RoomStatus.LIMITED,
            "a contact's window (WhatsApp 24 h, WeChat 48 h) is not open",
        ),
        (RoomStatus.LIMITED, "windows_open", RoomStatus.ACTIVE, "every contact's window is open"),
        (
            (RoomStatus.ACTIVE, RoomStatus.LIMITED),
            "last_contact_removed",
            RoomStatus.DEACTIVATED,
            "its last contact was removed",
        ),
        (
            RoomStatus.DEACTIVATED,
            "reactivated",
            RoomStatus.ACTIVE,
            "a contact was added again, windows open",
        ),
        (
            RoomStatus.DEACTIVATED,
            "reactivated",
            RoomStatus.LIMITED,
            "a contact was added again, a window is closed",
        ),
    ),
    idempotent_events=frozenset({"window_closed", "windows_open"}),
)


class MessageEvent(StrEnum):
    """The events of the ROOM_MESSAGE table (history rows store the value)."""

    QUEUED = "queued"
    RECEIVED = "received"
    HELD = "held"
    POSTED = "posted"
    RELEASED = "released"
    ACCEPTED = "accepted"
    RETRY_SCHEDULED = "retry_scheduled"
    SEND_FAILED = "send_failed"
    STATUS_DELIVERED = "status_delivered"
    STATUS_READ = "status_read"
    STATUS_FAILED = "status_failed"
    STATUS_SENT = "status_sent"


ROOM_MESSAGE = StateMachine(
    event_names=MessageEvent,
    entity="room_message",
    states=MessageStatus,
    state_field="status",
    rows=table(
        (None, "queued", MessageStatus.PENDING, "outbound message written"),
        (None, "received", MessageStatus.RECEIVED, "inbound message from the network"),
        (None, "held", MessageStatus.HELD, "inbound from a blocked number: held"),
        (None, "posted", MessageStatus.POSTED, "a system notice in the room"),
        (
            MessageStatus.HELD,
            "released",
            MessageStatus.RECEIVED,
            "the number was onboarded or unblocked",
        ),
        (MessageStatus.PENDING, "accepted", MessageStatus.SENT, "provider accepted it"),
        (
            MessageStatus.PENDING,
            "retry_scheduled",
            MessageStatus.PENDING,
            "transient provider error: sent again after a backoff",
        ),
        (
            MessageStatus.PENDING,
            "send_failed",
            MessageStatus.FAILED,
            "provider refused it, or the outcome of a crashed send is unknown",
        ),
        ((MessageStatus.PENDING, MessageStatus.SENT), "status_delivered", MessageStatus.DELIVERED),
        (
            (MessageStatus.PENDING, MessageStatus.SENT, MessageStatus.DELIVERED),
            "status_read",
            MessageStatus.READ,
        ),
        ((MessageStatus.PENDING, MessageStatus.SENT), "status_failed", MessageStatus.FAILED),
        (MessageStatus.PENDING, "status_sent", MessageStatus.SENT),
    ),
    idempotent_events=frozenset(
        {"status_sent", "status_delivered", "status_read", "status_failed"}
    ),
    final_states=frozenset(
        {MessageStatus.READ, MessageStatus.FAILED, MessageStatus.RECEIVED, MessageStatus.POSTED}
    ),
)

MESSAGE_RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
    MessageStatus.FAILED: 3,
}
