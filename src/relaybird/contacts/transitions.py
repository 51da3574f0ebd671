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


WA, WAD, WC, LN, SMS = (
    Network.WHATSAPP,
    Network.WHATSAPP_DIRECT,
    Network.WECHAT,
    Network.LINE,
    Network.SMS_DIRECT,
)
PC, CF, IE, UN, INC, BL = (
    ContactStatus.PENDING_CONFIRMATION,
    ContactStatus.CONFIRMED,
    ContactStatus.INVITE_EXPIRED,
    ContactStatus.UNAVAILABLE,
    ContactStatus.INCOMPLETE,
    ContactStatus.BLOCKED,
)

# The seed's table: which statuses each network may take. Anything else is refused.
AVAILABILITY: dict[ContactStatus, frozenset[Network]] = {
    PC: frozenset({WA, WC, LN}),
    CF: frozenset({LN, WA, SMS}),
    IE: frozenset({WC, LN}),
    UN: frozenset({WA}),
    INC: frozenset({SMS, WAD}),
    BL: frozenset({SMS, WAD}),
}

INVITATION_NETWORKS = frozenset({WC, LN})
DIRECT_NETWORKS = frozenset({SMS, WAD})

_ROWS: tuple[
    tuple[frozenset[Network], tuple[ContactStatus | None, ...], str, ContactStatus | None, str], ...
] = (
    (frozenset({WA, WAD}), (None,), "created", None, "no status (invitations, if any, move it)"),
    (
        frozenset({WC, LN}),
        (None,),
        "created",
        None,
        "no status until the invitation e-mail is sent",
    ),
    (frozenset({SMS}), (None,), "created", CF, "manually created SMS-Direct contact"),
    # The seed: PENDING_CONFIRMATION is "the invitation e-mail was sent". The e-mail's fate
    # moves the contact (contacts.invitations.settle_delivery), never its queueing.
    (
        frozenset({WC, LN}),
        (None, PC, IE),
        "invitation_sent",
        PC,
        "the invitation e-mail was sent: the expiry counts from now",
    ),
    (
        frozenset({WA}),
        (None, PC),
        "invitation_sent",
        PC,
        "the invitation e-mail was sent: the expiry counts from now",
    ),
    (
        frozenset({WC, LN}),
        (None, PC, IE),
        "invitation_undeliverable",
        None,
        "the invitation e-mail was refused or could not be sent",
    ),
    (
        frozenset({WA}),
        (None, PC),
        "invitation_undeliverable",
        None,
        "the invitation e-mail was refused or could not be sent",
    ),
    # From no status too: the code was used before its e-mail's sending was recorded.
    (frozenset({LN, WA}), (None, PC), "invitation_accepted", CF, "contact validated it"),
    (frozenset({WC}), (None, PC), "invitation_accepted", None, "WeChat has no CONFIRMED"),
    (frozenset({WC, LN}), (PC,), "invitation_expired", IE, "not validated within the delay"),
    (
        frozenset({WA}),
        (PC,),
        "invitation_expired",
        None,
        "not validated in time: WhatsApp has no INVITE_EXPIRED, back to no status",
    ),
    (
        frozenset({WA}),
        (None, PC),
        "welcome_delivered",
        CF,
        "added to a room: welcome template went out",
    ),
    (
        frozenset({WA}),
        (None, PC, CF),
        "welcome_not_on_whatsapp",
        UN,
        "welcome template failed: 131026 (sticky)",
    ),
    (
        frozenset({SMS, WAD}),
        (None,),
        "auto_onboarded",
        INC,
        "unknown number wrote or called a virtual number",
    ),
    (frozenset({SMS, WAD}), (None,), "auto_onboard_blocked", BL, "number on the user's block list"),
    (frozenset({SMS}), (INC, BL), "onboarded", CF, "a user completed the profile"),
    (frozenset({WAD}), (INC, BL), "onboarded", None, "a user completed the profile: no status"),
    (frozenset({SMS, WAD}), (BL,), "unblocked", INC, "a user unblocked the number"),
)


def statuses_for(network: Network) -> frozenset[ContactStatus]:
    return frozenset(s for s, networks in AVAILABILITY.items() if network in networks)


def _machine(network: Network) -> StateMachine[ContactStatus]:
    moves = tuple(
        Move(source, event, target, note)
        for networks, sources, event, target, note in _ROWS
        if network in networks
        for source in sources
    )
    return StateMachine(
        entity="contact",
        states=ContactStatus,
        state_field="status",
        rows=moves,
        idempotent_events=frozenset({"welcome_delivered", "welcome_not_on_whatsapp"}),
        # Sticky UNAVAILABLE, on the networks that can take it (WhatsApp only).
        final_states=frozenset({UN}) & statuses_for(network),
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

CONTACT: dict[Network, StateMachine[ContactStatus]] = {n: _machine(n) for n in Network}
