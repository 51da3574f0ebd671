"""The room and room-message lifecycles as data (DESIGN.md §2.4)."""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import StateMachine, table


class RoomStatus(StrEnum):
    ACTIVE = "ACTIVE"
    LIMITED = "LIMITED"
    DEACTIVATED = "DEACTIVATED"


class MessageStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    FAILED = "FAILED"
    RECEIVED = "RECEIVED"
    # Inbound from a blocked number: kept, not delivered to the room.
    HELD = "HELD"
    # A system notice in the room (e.g. "no WhatsApp account for this contact").
    POSTED = "POSTED"


AC, LI, DA = RoomStatus.ACTIVE, RoomStatus.LIMITED, RoomStatus.DEACTIVATED

ROOM = StateMachine(
    entity="room",
    states=RoomStatus,
    state_field="status",
    rows=table(
        (None, "created", AC, "a room without contacts is active"),
        (AC, "window_closed", LI, "a contact's window (WhatsApp 24 h, WeChat 48 h) is not open"),
        (LI, "windows_open", AC, "every contact's window is open"),
        ((AC, LI), "last_contact_removed", DA, "its last contact was removed"),
        (DA, "reactivated", AC, "a contact was added again, windows open"),
        (DA, "reactivated", LI, "a contact was added again, a window is closed"),
    ),
    idempotent_events=frozenset({"window_closed", "windows_open"}),
)

MP, MS, MD, MR, MF, MRC, MH, MPO = (
    MessageStatus.PENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
    MessageStatus.FAILED,
    MessageStatus.RECEIVED,
    MessageStatus.HELD,
    MessageStatus.POSTED,
)

ROOM_MESSAGE = StateMachine(
    entity="room_message",
    states=MessageStatus,
    state_field="status",
    rows=table(
        (None, "queued", MP, "outbound message written"),
        (None, "received", MRC, "inbound message from the network"),
        (None, "held", MH, "inbound from a blocked number: held"),
        (None, "posted", MPO, "a system notice in the room"),
        (MH, "released", MRC, "the number was onboarded or unblocked"),
        (MP, "accepted", MS, "provider accepted it"),
        (MP, "retry_scheduled", MP, "transient provider error: sent again after a backoff"),
        (MP, "send_failed", MF, "provider refused it, or the outcome of a crashed send is unknown"),
        ((MP, MS), "status_delivered", MD),
        ((MP, MS, MD), "status_read", MR),
        ((MP, MS), "status_failed", MF),
        (MP, "status_sent", MS),
    ),
    idempotent_events=frozenset(
        {"status_sent", "status_delivered", "status_read", "status_failed"}
    ),
    final_states=frozenset({MR, MF, MRC, MPO}),
)

MESSAGE_RANK = {MP: 0, MS: 1, MD: 2, MR: 3, MF: 3}
