"""The contact-status lifecycle as data: the seed's network × status matrix and, per network,
the moves between statuses (DESIGN.md §2.3, seed 000). ``None`` is "no status", a real value.
"""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import Move, StateMachine
from relaybird.models.contact import ContactStatus as ContactStatus


class Network(StrEnum):
    WHATSAPP = "WHATSAPP"
    WHATSAPP_DIRECT = "WHATSAPP_DIRECT"
    WECHAT = "WECHAT"
    LINE = "LINE"
    SMS_DIRECT = "SMS_DIRECT"


class ContactEvent(StrEnum):
    """The events of the CONTACT tables, every network's (history rows store the value)."""

    CREATED = "created"
    INVITATION_SENT = "invitation_sent"
    INVITATION_UNDELIVERABLE = "invitation_undeliverable"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_EXPIRED = "invitation_expired"
    WELCOME_DELIVERED = "welcome_delivered"
    WELCOME_NOT_ON_WHATSAPP = "welcome_not_on_whatsapp"
    AUTO_ONBOARDED = "auto_onboarded"
    AUTO_ONBOARD_BLOCKED = "auto_onboard_blocked"
    ONBOARDED = "onboarded"
    UNBLOCKED = "unblocked"


# The seed's table: which statuses each network may take. Anything else is refused.
AVAILABILITY: dict[ContactStatus, frozenset[Network]] = {
    ContactStatus.PENDING_CONFIRMATION: frozenset({Network.WHATSAPP, Network.WECHAT, Network.LINE}),
    ContactStatus.CONFIRMED: frozenset({Network.LINE, Network.WHATSAPP, Network.SMS_DIRECT}),
    ContactStatus.INVITE_EXPIRED: frozenset({Network.WECHAT, Network.LINE}),
    ContactStatus.UNAVAILABLE: frozenset({Network.WHATSAPP}),
    ContactStatus.INCOMPLETE: frozenset({Network.SMS_DIRECT, Network.WHATSAPP_DIRECT}),
    ContactStatus.BLOCKED: frozenset({Network.SMS_DIRECT, Network.WHATSAPP_DIRECT}),
}

INVITATION_NETWORKS = frozenset({Network.WECHAT, Network.LINE})
DIRECT_NETWORKS = frozenset({Network.SMS_DIRECT, Network.WHATSAPP_DIRECT})

_ROWS: tuple[
    tuple[frozenset[Network], tuple[ContactStatus | None, ...], str, ContactStatus | None, str], ...
] = (
    (
        frozenset({Network.WHATSAPP, Network.WHATSAPP_DIRECT}),
        (None,),
        "created",
        None,
        "no status (invitations, if any, move it)",
    ),
    (
        frozenset({Network.WECHAT, Network.LINE}),
        (None,),
        "created",
        None,
        "no status until the invitation e-mail is sent",
    ),
    (
        frozenset({Network.SMS_DIRECT}),
        (None,),
        "created",
        ContactStatus.CONFIRMED,
        "manually created SMS-Direct contact",
    ),
    # The seed: PENDING_CONFIRMATION is "the invitation e-mail was sent". The e-mail's fate
    # moves the contact (contacts.invitations.settle_delivery), never its queueing.
    (
        frozenset({Network.WECHAT, Network.LINE}),
        (None, ContactStatus.PENDING_CONFIRMATION, ContactStatus.INVITE_EXPIRED),
        "invitation_sent",
        ContactStatus.PENDING_CONFIRMATION,
        "the invitation e-mail was sent: the expiry counts from now",
    ),
    (
        frozenset({Network.WHATSAPP}),
        (None, ContactStatus.PENDING_CONFIRMATION),
        "invitation_sent",
        ContactStatus.PENDING_CONFIRMATION,
        "the invitation e-mail was sent: the expiry counts from now",
    ),
    (
        frozenset({Network.WECHAT, Network.LINE}),
        (None, ContactStatus.PENDING_CONFIRMATION, ContactStatus.INVITE_EXPIRED),
        "invitation_undeliverable",
        None,
        "the invitation e-mail was refused or could not be sent",
    ),
    (
        frozenset({Network.WHATSAPP}),
        (None, ContactStatus.PENDING_CONFIRMATION),
        "invitation_undeliverable",
        None,
        "the invitation e-mail was refused or could not be sent",
    ),
    # From no status too: the code was used before its e-mail's sending was recorded.
    (
        frozenset({Network.LINE, Network.WHATSAPP}),
        (None, ContactStatus.PENDING_CONFIRMATION),
        "invitation_accepted",
        ContactStatus.CONFIRMED,
        "contact validated it",
    ),
    (
        frozenset({Network.WECHAT}),
        (None, ContactStatus.PENDING_CONFIRMATION),
        "invitation_accepted",
        None,
        "WeChat has no CONFIRMED",
    ),
    (
        frozenset({Network.WECHAT, Network.LINE}),
        (ContactStatus.PENDING_CONFIRMATION,),
        "invitation_expired",
        ContactStatus.INVITE_EXPIRED,
        "not validated within the delay",
    ),
    (
        frozenset({Network.WHATSAPP}),
        (ContactStatus.PENDING_CONFIRMATION,),
        "invitation_expired",
        None,
        "not validated in time: WhatsApp has no INVITE_EXPIRED, back to no status",
    ),
    (
        frozenset({Network.WHATSAPP}),
        (None, ContactStatus.PENDING_CONFIRMATION),
        "welcome_delivered",
        ContactStatus.CONFIRMED,
        "added to a room: welcome template went out",
    ),
    (
        frozenset({Network.WHATSAPP}),
        (None, ContactStatus.PENDING_CONFIRMATION, ContactStatus.CONFIRMED),
        "welcome_not_on_whatsapp",
        ContactStatus.UNAVAILABLE,
        "welcome template failed: 131026 (sticky)",
    ),
    (
        frozenset({Network.SMS_DIRECT, Network.WHATSAPP_DIRECT}),
        (None,),
        "auto_onboarded",
        ContactStatus.INCOMPLETE,
        "unknown number wrote or called a virtual number",
    ),
    (
        frozenset({Network.SMS_DIRECT, Network.WHATSAPP_DIRECT}),
        (None,),
        "auto_onboard_blocked",
        ContactStatus.BLOCKED,
        "number on the user's block list",
    ),
    (
        frozenset({Network.SMS_DIRECT}),
        (ContactStatus.INCOMPLETE, ContactStatus.BLOCKED),
        "onboarded",
        ContactStatus.CONFIRMED,
        "a user completed the profile",
    ),
    (
        frozenset({Network.WHATSAPP_DIRECT}),
        (ContactStatus.INCOMPLETE, ContactStatus.BLOCKED),
        "onboarded",
        None,
        "a user completed the profile: no status",
    ),
    (
        frozenset({Network.SMS_DIRECT, Network.WHATSAPP_DIRECT}),
        (ContactStatus.BLOCKED,),
        "unblocked",
        ContactStatus.INCOMPLETE,
        "a user unblocked the number",
    ),
)


def statuses_for(network: Network) -> frozenset[ContactStatus]:
    return frozenset(s for s, networks in AVAILABILITY.items() if network in networks)


def _machine(network: Network) -> StateMachine[ContactStatus, ContactEvent]:
    moves = tuple(
        Move(source, event, target, note)
        for networks, sources, event, target, note in _ROWS
        if network in networks
        for source in sources
    )
    return StateMachine(
        event_names=ContactEvent,
        entity="contact",
        states=ContactStatus,
        state_field="status",
        rows=moves,
        idempotent_events=frozenset({"welcome_delivered", "welcome_not_on_whatsapp"}),
        # Sticky UNAVAILABLE, on the networks that can take it (WhatsApp only).
        final_states=frozenset({ContactStatus.UNAVAILABLE}) & statuses_for(network),
    )


def _check_matrix() -> None:
    """Every target and source of the table must be a status its network may take (import-time
    guard: a row that breaks the seed's matrix is a bug, not a runtime surprise)."""
    for networks, sources, event, target, _ in _ROWS:
        for network in networks:
            for state in (*sources, target):
                if state is not None and network not in AVAILABILITY[state]:
                    raise AssertionError(f"{event}: {state} is not available on {network}")


_check_matrix()

CONTACT: dict[Network, StateMachine[ContactStatus, ContactEvent]] = {
    n: _machine(n) for n in Network
}
