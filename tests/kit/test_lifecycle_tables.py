"""Every row of every lifecycle table is allowed; every (from, event, to) not in a table is refused.

The tables are the spec (DESIGN.md §2); these tests pin them row by row so a change to a table is
a deliberate, visible change to this file too.
"""

from __future__ import annotations

import itertools
from enum import StrEnum
from typing import Any

import pytest

from relaybird.campaigns.transitions import (
    CAMPAIGN,
    PROVIDER_RANK,
    RECIPIENT,
    CampaignEvent,
    CampaignState,
    RecipientState,
)
from relaybird.contacts.transitions import (
    AVAILABILITY,
    CONTACT,
    ContactEvent,
    ContactStatus,
    Network,
)
from relaybird.errors import IllegalTransition
from relaybird.kit.state_machine import StateMachine, rank_never_decreases
from relaybird.rooms.transitions import (
    MESSAGE_RANK,
    ROOM,
    ROOM_MESSAGE,
    MessageEvent,
    MessageStatus,
    RoomEvent,
    RoomStatus,
)
from relaybird.senders.transitions import SENDER, SenderEvent, SenderStatus
from relaybird.templates.transitions import (
    TEMPLATE,
    TEMPLATE_CATEGORY,
    TEMPLATE_QUALITY,
    TemplateCategoryEvent,
    TemplateEvent,
    TemplateQualityEvent,
)

R = RecipientState
C = CampaignState
S = SenderStatus
CS = ContactStatus
N = Network

# The expected tables, written out independently of the code (DESIGN.md §2).
EXPECTED: dict[str, set[tuple[Any, str, Any]]] = {
    "sender": {
        (None, "added", S.PENDING),
        (S.PENDING, "registered", S.CONNECTED),
        (S.CONNECTED, "unreachable", S.OFFLINE),
        (S.FLAGGED, "unreachable", S.OFFLINE),
        (S.RESTRICTED, "unreachable", S.OFFLINE),
        (S.OFFLINE, "reachable_again", S.CONNECTED),
        (S.OFFLINE, "reachable_again", S.FLAGGED),
        (S.OFFLINE, "reachable_again", S.RESTRICTED),
        (S.CONNECTED, "quality_low", S.FLAGGED),
        (S.FLAGGED, "quality_recovered", S.CONNECTED),
        (S.FLAGGED, "flag_expired", S.CONNECTED),
        (S.CONNECTED, "limit_reached", S.RESTRICTED),
        (S.FLAGGED, "limit_reached", S.RESTRICTED),
        (S.RESTRICTED, "window_freed", S.CONNECTED),
        (S.RESTRICTED, "window_freed", S.FLAGGED),
        # Meta restricts business-initiated messaging itself (account_update, sync).
        (S.CONNECTED, "provider_restricted", S.RESTRICTED),
        (S.FLAGGED, "provider_restricted", S.RESTRICTED),
        (S.RESTRICTED, "restriction_lifted", S.CONNECTED),
        (S.RESTRICTED, "restriction_lifted", S.FLAGGED),
        *(
            (s, "banned", S.BANNED)
            for s in (S.PENDING, S.CONNECTED, S.OFFLINE, S.FLAGGED, S.RESTRICTED)
        ),
        (S.BANNED, "reinstated", S.CONNECTED),
    },
    "campaign": {
        (None, "created", C.NOT_STARTED),
        (C.NOT_STARTED, "start", C.RUNNING),
        (C.NOT_STARTED, "scheduled_start", C.RUNNING),
        (C.RUNNING, "pause", C.PAUSED),
        (C.RUNNING, "auto_pause", C.PAUSED),
        (C.PAUSED, "resume", C.RUNNING),
        (C.PAUSED, "auto_resume", C.RUNNING),
        (C.RUNNING, "complete", C.COMPLETED),
        (C.NOT_STARTED, "end", C.ENDED),
        (C.RUNNING, "end", C.ENDED),
        (C.PAUSED, "end", C.ENDED),
    },
    "recipient": {
        (None, "imported", R.INITIAL),
        (None, "imported_invalid", R.INVALID_RECORD),
        (None, "imported_legacy", R.SUCCESSFULLY_SUBMITTED),
        (R.INITIAL, "claimed", R.IN_PROGRESS),
        # A number that opted out after the upload is skipped (consent).
        *((s, "opted_out", R.REMOVED) for s in (R.INITIAL, R.RETRY_SCHEDULED, R.IN_PROGRESS)),
        (R.RETRY_SCHEDULED, "claimed", R.IN_PROGRESS),
        # A due row that cannot become a send is set aside (issue 11: one bad row never
        # stops a loop).
        (R.INITIAL, "set_aside", R.ERROR),
        (R.RETRY_SCHEDULED, "set_aside", R.ERROR),
        (R.IN_PROGRESS, "accepted", R.SENT),
        (R.IN_PROGRESS, "transient_error", R.RETRY_SCHEDULED),
        (R.IN_PROGRESS, "retries_exhausted", R.ERROR),
        (R.IN_PROGRESS, "unexpected_failure", R.ERROR),
        (R.IN_PROGRESS, "outcome_unknown", R.ERROR),
        (R.IN_PROGRESS, "lease_expired", R.RETRY_SCHEDULED),
        (R.IN_PROGRESS, "released", R.INITIAL),
        (R.IN_PROGRESS, "released", R.RETRY_SCHEDULED),
        (R.IN_PROGRESS, "not_started", R.INITIAL),
        (R.IN_PROGRESS, "not_started", R.RETRY_SCHEDULED),
        *(
            (s, "no_whatsapp_account", R.SENDING_FAILED)
            for s in (R.IN_PROGRESS, R.RETRY_SCHEDULED, R.ERROR, R.SENT)
        ),
        *((s, "status_sent", R.SENT) for s in (R.IN_PROGRESS, R.RETRY_SCHEDULED, R.ERROR)),
        *(
            (s, "status_delivered", R.DELIVERED)
            for s in (R.IN_PROGRESS, R.RETRY_SCHEDULED, R.ERROR, R.SENT)
        ),
        *(
            (s, "status_read", R.READ)
            for s in (R.IN_PROGRESS, R.RETRY_SCHEDULED, R.ERROR, R.SENT, R.DELIVERED)
        ),
        *(
            (s, "status_failed", R.DELIVERY_FAILED)
            for s in (R.IN_PROGRESS, R.RETRY_SCHEDULED, R.ERROR, R.SENT)
        ),
        (R.INITIAL, "removed", R.REMOVED),
        (R.RETRY_SCHEDULED, "removed", R.REMOVED),
        (R.INITIAL, "campaign_ended", R.CANCELED_BY_ADMIN),
        (R.RETRY_SCHEDULED, "campaign_ended", R.CANCELED_BY_ADMIN),
    },
    "room": {
        (None, "created", RoomStatus.ACTIVE),
        (RoomStatus.ACTIVE, "window_closed", RoomStatus.LIMITED),
        (RoomStatus.LIMITED, "windows_open", RoomStatus.ACTIVE),
        (RoomStatus.ACTIVE, "last_contact_removed", RoomStatus.DEACTIVATED),
        (RoomStatus.LIMITED, "last_contact_removed", RoomStatus.DEACTIVATED),
        (RoomStatus.DEACTIVATED, "reactivated", RoomStatus.ACTIVE),
        (RoomStatus.DEACTIVATED, "reactivated", RoomStatus.LIMITED),
    },
}

M = MessageStatus
EXPECTED["room_message"] = {
    (None, "queued", M.PENDING),
    (None, "received", M.RECEIVED),
    (None, "held", M.HELD),
    (None, "posted", M.POSTED),  # a SYSTEM notice in the room (e.g. not on WhatsApp)
    (M.HELD, "released", M.RECEIVED),
    (M.PENDING, "accepted", M.SENT),
    # A transient provider error: nothing went out, tried again after a backoff (bounded).
    (M.PENDING, "retry_scheduled", M.PENDING),
    (M.PENDING, "send_failed", M.FAILED),
    (M.PENDING, "status_sent", M.SENT),
    (M.PENDING, "status_delivered", M.DELIVERED),
    (M.SENT, "status_delivered", M.DELIVERED),
    (M.PENDING, "status_read", M.READ),
    (M.SENT, "status_read", M.READ),
    (M.DELIVERED, "status_read", M.READ),
    (M.PENDING, "status_failed", M.FAILED),
    (M.SENT, "status_failed", M.FAILED),
}

# Contacts: (network, from, event, to), from DESIGN.md §2.3 and its readings.
WA, WAD, WC, LN, SMS = N.WHATSAPP, N.WHATSAPP_DIRECT, N.WECHAT, N.LINE, N.SMS_DIRECT
EXPECTED_CONTACT: set[tuple[Network, Any, str, Any]] = {
    (WA, None, "created", None),
    (WAD, None, "created", None),
    (SMS, None, "created", CS.CONFIRMED),
    # WeChat and LINE start with no status: PENDING_CONFIRMATION is "the invitation e-mail was
    # sent" (seed 000), so the e-mail's sending moves them, never its queueing.
    (WC, None, "created", None),
    (LN, None, "created", None),
    *(
        (n, s, "invitation_sent", CS.PENDING_CONFIRMATION)
        for n in (WC, LN)
        for s in (None, CS.PENDING_CONFIRMATION, CS.INVITE_EXPIRED)
    ),
    (WA, None, "invitation_sent", CS.PENDING_CONFIRMATION),
    (WA, CS.PENDING_CONFIRMATION, "invitation_sent", CS.PENDING_CONFIRMATION),
    # An e-mail refused for good (or given up) leaves no invitation in flight: no status.
    *(
        (n, s, "invitation_undeliverable", None)
        for n in (WC, LN)
        for s in (None, CS.PENDING_CONFIRMATION, CS.INVITE_EXPIRED)
    ),
    (WA, None, "invitation_undeliverable", None),
    (WA, CS.PENDING_CONFIRMATION, "invitation_undeliverable", None),
    # Validated from no status too: the code was used before its sending was recorded.
    (LN, None, "invitation_accepted", CS.CONFIRMED),
    (LN, CS.PENDING_CONFIRMATION, "invitation_accepted", CS.CONFIRMED),
    (WA, None, "invitation_accepted", CS.CONFIRMED),
    (WA, CS.PENDING_CONFIRMATION, "invitation_accepted", CS.CONFIRMED),
    (WC, None, "invitation_accepted", None),
    (WC, CS.PENDING_CONFIRMATION, "invitation_accepted", None),
    (WC, CS.PENDING_CONFIRMATION, "invitation_expired", CS.INVITE_EXPIRED),
    (LN, CS.PENDING_CONFIRMATION, "invitation_expired", CS.INVITE_EXPIRED),
    # WhatsApp has no INVITE_EXPIRED (README reading): an expired invitation returns the contact
    # to no status, and a resend from there invites again.
    (WA, CS.PENDING_CONFIRMATION, "invitation_expired", None),
    (WA, None, "welcome_delivered", CS.CONFIRMED),
    (WA, CS.PENDING_CONFIRMATION, "welcome_delivered", CS.CONFIRMED),
    (WA, None, "welcome_not_on_whatsapp", CS.UNAVAILABLE),
    (WA, CS.PENDING_CONFIRMATION, "welcome_not_on_whatsapp", CS.UNAVAILABLE),
    (WA, CS.CONFIRMED, "welcome_not_on_whatsapp", CS.UNAVAILABLE),
    (SMS, None, "auto_onboarded", CS.INCOMPLETE),
    (WAD, None, "auto_onboarded", CS.INCOMPLETE),
    (SMS, None, "auto_onboard_blocked", CS.BLOCKED),
    (WAD, None, "auto_onboard_blocked", CS.BLOCKED),
    (SMS, CS.INCOMPLETE, "onboarded", CS.CONFIRMED),
    (SMS, CS.BLOCKED, "onboarded", CS.CONFIRMED),
    (WAD, CS.INCOMPLETE, "onboarded", None),
    (WAD, CS.BLOCKED, "onboarded", None),
    (SMS, CS.BLOCKED, "unblocked", CS.INCOMPLETE),
    (WAD, CS.BLOCKED, "unblocked", CS.INCOMPLETE),
}

MACHINES: dict[str, StateMachine[Any]] = {
    "sender": SENDER,
    "campaign": CAMPAIGN,
    "recipient": RECIPIENT,
    "room": ROOM,
    "room_message": ROOM_MESSAGE,
}


def _space(machine: StateMachine[Any]) -> list[tuple[Any, str, Any]]:
    states: list[StrEnum | None] = [None, *machine.states]
    return list(itertools.product(states, machine.events, states))


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_table_is_exactly_the_spec(name: str) -> None:
    machine = MACHINES[name]
    actual = {(m.source, m.event, m.target) for m in machine.rows}
    assert actual == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_every_row_allowed_and_everything_else_refused(name: str) -> None:
    machine = MACHINES[name]
    for source, event, target in _space(machine):
        allowed = (source, event, target) in EXPECTED[name]
        assert machine.can(source, event, target) is allowed, (source, event, target)
        if allowed:
            assert machine.resolve(source, event, target, explicit=True) == target
        else:
            with pytest.raises(IllegalTransition):
                machine.resolve(source, event, target, explicit=True)


def test_contact_tables_are_exactly_the_spec() -> None:
    actual = {
        (network, m.source, m.event, m.target)
        for network, mach in CONTACT.items()
        for m in mach.rows
    }
    assert actual == EXPECTED_CONTACT


@pytest.mark.parametrize("network", list(Network))
def test_contact_every_row_allowed_and_everything_else_refused(network: Network) -> None:
    machine = CONTACT[network]
    for source, event, target in _space(machine):
        allowed = (network, source, event, target) in EXPECTED_CONTACT
        assert machine.can(source, event, target) is allowed, (network, source, event, target)


@pytest.mark.parametrize("network", list(Network))
def test_contact_never_reaches_a_status_its_network_cannot_take(network: Network) -> None:
    for move in CONTACT[network].rows:
        for status in (move.source, move.target):
            if status is not None:
                assert network in AVAILABILITY[status], (network, move)


def test_availability_matrix_is_the_seeds() -> None:
    assert AVAILABILITY == {
        CS.PENDING_CONFIRMATION: {WA, WC, LN},
        CS.CONFIRMED: {LN, WA, SMS},
        CS.INVITE_EXPIRED: {WC, LN},
        CS.UNAVAILABLE: {WA},
        CS.INCOMPLETE: {SMS, WAD},
        CS.BLOCKED: {SMS, WAD},
    }


def test_unavailable_is_sticky() -> None:
    machine = CONTACT[WA]
    assert [m for m in machine.rows if m.source == CS.UNAVAILABLE] == []


def test_legacy_successfully_submitted_is_never_produced_by_the_engine() -> None:
    producing = [m for m in RECIPIENT.rows if m.target == R.SUCCESSFULLY_SUBMITTED]
    assert [(m.source, m.event) for m in producing] == [(None, "imported_legacy")]


def test_provider_statuses_never_move_backwards() -> None:
    assert rank_never_decreases(PROVIDER_RANK, RECIPIENT) == []
    assert rank_never_decreases(MESSAGE_RANK, ROOM_MESSAGE) == []
    # And nothing leaves READ, the top of the ladder.
    assert [m for m in RECIPIENT.rows if m.source == R.READ] == []


def test_ambiguous_event_needs_an_explicit_target() -> None:
    with pytest.raises(IllegalTransition, match="explicit target"):
        SENDER.resolve(S.OFFLINE, "reachable_again")
    assert SENDER.resolve(S.OFFLINE, "reachable_again", S.FLAGGED) == S.FLAGGED


def test_refusal_message_names_the_states() -> None:
    with pytest.raises(IllegalTransition) as info:
        CAMPAIGN.resolve(C.COMPLETED, "start")
    assert "COMPLETED" in info.value.detail
    assert "start" in info.value.detail


def test_room_event_enum_is_the_room_tables_events() -> None:
    """RoomEvent names every event of the ROOM table, and nothing else."""
    assert {e.value for e in RoomEvent} == set(ROOM.events)


def test_sender_event_enum_is_the_sender_tables_events() -> None:
    """SenderEvent names every event of the SENDER table, and nothing else."""
    assert {e.value for e in SenderEvent} == set(SENDER.events)


def test_campaign_event_enum_is_the_campaign_tables_events() -> None:
    """CampaignEvent names every event of the CAMPAIGN table, and nothing else."""
    assert {e.value for e in CampaignEvent} == set(CAMPAIGN.events)


def test_message_event_enum_is_the_room_message_tables_events() -> None:
    """MessageEvent names every event of the ROOM_MESSAGE table, and nothing else."""
    assert {e.value for e in MessageEvent} == set(ROOM_MESSAGE.events)


def test_contact_event_enum_is_the_contact_tables_events() -> None:
    """ContactEvent names every event of the CONTACT tables (all networks), and nothing else."""
    assert {e.value for e in ContactEvent} == {e for m in CONTACT.values() for e in m.events}


def test_template_event_enums_are_the_template_tables_events() -> None:
    """TemplateEvent, TemplateQualityEvent and TemplateCategoryEvent name every event of the
    TEMPLATE, TEMPLATE_QUALITY and TEMPLATE_CATEGORY tables, and nothing else."""
    assert {e.value for e in TemplateEvent} == set(TEMPLATE.events)
    assert {e.value for e in TemplateQualityEvent} == set(TEMPLATE_QUALITY.events)
    assert {e.value for e in TemplateCategoryEvent} == set(TEMPLATE_CATEGORY.events)
