"""The sender-number lifecycle as data (DESIGN.md §2.1, seed 002).

The rules that decide *when* an event happens (7-day flag rule, moving 24 h window, tier moves)
live in ``senders.lifecycle``; this table only says which moves exist.
"""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import StateMachine, table
from relaybird.models.sender import MessagingLimit as MessagingLimit
from relaybird.models.sender import QualityRating as QualityRating
from relaybird.models.sender import SenderStatus as SenderStatus

# Meta's names for the quality ratings.
QUALITY_FROM_META = {
    "GREEN": QualityRating.HIGH,
    "YELLOW": QualityRating.MEDIUM,
    "RED": QualityRating.LOW,
    "NA": QualityRating.UNKNOWN,
    "UNKNOWN": QualityRating.UNKNOWN,
    "HIGH": QualityRating.HIGH,
    "MEDIUM": QualityRating.MEDIUM,
    "LOW": QualityRating.LOW,
}


# Unique recipients of business-initiated messages per moving 24 h; None: no limit.
LIMIT_RECIPIENTS: dict[MessagingLimit, int | None] = {
    MessagingLimit.TIER_50: 50,
    MessagingLimit.TIER_250: 250,
    MessagingLimit.TIER_1K: 1_000,
    MessagingLimit.TIER_2K: 2_000,
    MessagingLimit.TIER_10K: 10_000,
    MessagingLimit.TIER_100K: 100_000,
    MessagingLimit.TIER_UNLIMITED: None,
}

# Statuses from which nothing business-initiated may leave (DESIGN.md §2.1 rules).
NO_BUSINESS_INITIATED = frozenset(
    {SenderStatus.PENDING, SenderStatus.OFFLINE, SenderStatus.BANNED, SenderStatus.RESTRICTED}
)
# Statuses from which replies inside an open customer-service window may still go out.
MAY_REPLY = frozenset({SenderStatus.CONNECTED, SenderStatus.FLAGGED, SenderStatus.RESTRICTED})


class SenderEvent(StrEnum):
    """The events of the SENDER table (history rows store the value)."""

    ADDED = "added"
    BANNED = "banned"
    FLAG_EXPIRED = "flag_expired"
    LIMIT_REACHED = "limit_reached"
    PROVIDER_RESTRICTED = "provider_restricted"
    QUALITY_LOW = "quality_low"
    QUALITY_RECOVERED = "quality_recovered"
    REACHABLE_AGAIN = "reachable_again"
    REGISTERED = "registered"
    REINSTATED = "reinstated"
    RESTRICTION_LIFTED = "restriction_lifted"
    UNREACHABLE = "unreachable"
    WINDOW_FREED = "window_freed"


SENDER = StateMachine(
    event_names=SenderEvent,
    entity="sender",
    states=SenderStatus,
    state_field="status",
    rows=table(
        (None, "added", SenderStatus.PENDING, "number added"),
        (
            SenderStatus.PENDING,
            "registered",
            SenderStatus.CONNECTED,
            "provider confirms registration",
        ),
        (
            (SenderStatus.CONNECTED, SenderStatus.FLAGGED, SenderStatus.RESTRICTED),
            "unreachable",
            SenderStatus.OFFLINE,
            "provider cannot reach it",
        ),
        (
            SenderStatus.OFFLINE,
            "reachable_again",
            SenderStatus.CONNECTED,
            "back to the status it had",
        ),
        (
            SenderStatus.OFFLINE,
            "reachable_again",
            SenderStatus.FLAGGED,
            "back to the status it had",
        ),
        (
            SenderStatus.OFFLINE,
            "reachable_again",
            SenderStatus.RESTRICTED,
            "back to the status it had",
        ),
        (SenderStatus.CONNECTED, "quality_low", SenderStatus.FLAGGED, "quality rating becomes LOW"),
        (
            SenderStatus.FLAGGED,
            "quality_recovered",
            SenderStatus.CONNECTED,
            "HIGH/MEDIUM held 7 days: same limit",
        ),
        (
            SenderStatus.FLAGGED,
            "flag_expired",
            SenderStatus.CONNECTED,
            "7 days without recovery: limit one tier lower",
        ),
        (
            (SenderStatus.CONNECTED, SenderStatus.FLAGGED),
            "limit_reached",
            SenderStatus.RESTRICTED,
            "unique-recipient count reaches the limit",
        ),
        (
            SenderStatus.RESTRICTED,
            "window_freed",
            SenderStatus.CONNECTED,
            "the moving 24 h window frees room: the status it had",
        ),
        (
            SenderStatus.RESTRICTED,
            "window_freed",
            SenderStatus.FLAGGED,
            "the moving 24 h window frees room: the status it had",
        ),
        # Meta can restrict business-initiated messaging itself (account_update
        # ACCOUNT_RESTRICTION, a sync reading RESTRICTED): same effect, different release.
        (
            (SenderStatus.CONNECTED, SenderStatus.FLAGGED),
            "provider_restricted",
            SenderStatus.RESTRICTED,
            "provider restricts business-initiated messaging",
        ),
        (
            SenderStatus.RESTRICTED,
            "restriction_lifted",
            SenderStatus.CONNECTED,
            "provider restriction ends: the status it had",
        ),
        (
            SenderStatus.RESTRICTED,
            "restriction_lifted",
            SenderStatus.FLAGGED,
            "provider restriction ends: the status it had",
        ),
        (
            (
                SenderStatus.PENDING,
                SenderStatus.CONNECTED,
                SenderStatus.OFFLINE,
                SenderStatus.FLAGGED,
                SenderStatus.RESTRICTED,
            ),
            "banned",
            SenderStatus.BANNED,
            "provider bans it / account disabled",
        ),
        (SenderStatus.BANNED, "reinstated", SenderStatus.CONNECTED, "provider lifts the ban"),
    ),
    idempotent_events=frozenset(
        {
            "registered",
            "unreachable",
            "reachable_again",
            "quality_low",
            "limit_reached",
            "window_freed",
            "provider_restricted",
            "restriction_lifted",
            "banned",
            "reinstated",
        }
    ),
)
