"""The sender-number lifecycle as data (DESIGN.md §2.1, seed 002).

The rules that decide *when* an event happens (7-day flag rule, moving 24 h window, tier moves)
live in ``senders.lifecycle``; this table only says which moves exist.
"""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import StateMachine, table


class SenderStatus(StrEnum):
    PENDING = "PENDING"
    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    FLAGGED = "FLAGGED"
    RESTRICTED = "RESTRICTED"
    BANNED = "BANNED"


class QualityRating(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    UNKNOWN = "UNKNOWN"


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


class MessagingLimit(StrEnum):
    TIER_50 = "TIER_50"
    TIER_250 = "TIER_250"
    TIER_1K = "TIER_1K"
    TIER_2K = "TIER_2K"
    TIER_10K = "TIER_10K"
    TIER_100K = "TIER_100K"
    TIER_UNLIMITED = "TIER_UNLIMITED"


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

P, C, OFF, F, R, B = (
    SenderStatus.PENDING,
    SenderStatus.CONNECTED,
    SenderStatus.OFFLINE,
    SenderStatus.FLAGGED,
    SenderStatus.RESTRICTED,
    SenderStatus.BANNED,
)

SENDER = StateMachine(
    entity="sender",
    states=SenderStatus,
    state_field="status",
    rows=table(
        (None, "added", P, "number added"),
        (P, "registered", C, "provider confirms registration"),
        ((C, F, R), "unreachable", OFF, "provider cannot reach it"),
        (OFF, "reachable_again", C, "back to the status it had"),
        (OFF, "reachable_again", F, "back to the status it had"),
        (OFF, "reachable_again", R, "back to the status it had"),
        (C, "quality_low", F, "quality rating becomes LOW"),
        (F, "quality_recovered", C, "HIGH/MEDIUM held 7 days: same limit"),
        (F, "flag_expired", C, "7 days without recovery: limit one tier lower"),
        ((C, F), "limit_reached", R, "unique-recipient count reaches the limit"),
        (R, "window_freed", C, "the moving 24 h window frees room: the status it had"),
        (R, "window_freed", F, "the moving 24 h window frees room: the status it had"),
        # Meta can restrict business-initiated messaging itself (account_update
        # ACCOUNT_RESTRICTION, a sync reading RESTRICTED): same effect, different release.
        ((C, F), "provider_restricted", R, "provider restricts business-initiated messaging"),
        (R, "restriction_lifted", C, "provider restriction ends: the status it had"),
        (R, "restriction_lifted", F, "provider restriction ends: the status it had"),
        ((P, C, OFF, F, R), "banned", B, "provider bans it / account disabled"),
        (B, "reinstated", C, "provider lifts the ban"),
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
