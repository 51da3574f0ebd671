"""The campaign and recipient lifecycles as data (DESIGN.md §2.2, seed 001)."""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import StateMachine, table


class CampaignState(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    ENDED = "ENDED"


class RecipientState(StrEnum):
    INITIAL = "INITIAL"
    IN_PROGRESS = "IN_PROGRESS"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    SENDING_FAILED = "SENDING_FAILED"
    ERROR = "ERROR"
    REMOVED = "REMOVED"
    CANCELED_BY_ADMIN = "CANCELED_BY_ADMIN"
    INVALID_RECORD = "INVALID_RECORD"
    # Legacy (seed 001): accepted when importing historical data, never produced by the engine.
    SUCCESSFULLY_SUBMITTED = "SUCCESSFULLY_SUBMITTED"


class RecipientEvent(StrEnum):
    """The events of the RECIPIENT table (history rows store the value)."""

    IMPORTED = "imported"
    IMPORTED_INVALID = "imported_invalid"
    IMPORTED_LEGACY = "imported_legacy"
    CLAIMED = "claimed"
    SET_ASIDE = "set_aside"
    ACCEPTED = "accepted"
    TRANSIENT_ERROR = "transient_error"
    RETRIES_EXHAUSTED = "retries_exhausted"
    UNEXPECTED_FAILURE = "unexpected_failure"
    OUTCOME_UNKNOWN = "outcome_unknown"
    LEASE_EXPIRED = "lease_expired"
    RELEASED = "released"
    NOT_STARTED = "not_started"
    NO_WHATSAPP_ACCOUNT = "no_whatsapp_account"
    STATUS_SENT = "status_sent"
    STATUS_DELIVERED = "status_delivered"
    STATUS_READ = "status_read"
    STATUS_FAILED = "status_failed"
    REMOVED = "removed"
    CAMPAIGN_ENDED = "campaign_ended"


NS, RUN, PA, CO, EN = (
    CampaignState.NOT_STARTED,
    CampaignState.RUNNING,
    CampaignState.PAUSED,
    CampaignState.COMPLETED,
    CampaignState.ENDED,
)

CAMPAIGN = StateMachine(
    entity="campaign",
    states=CampaignState,
    rows=table(
        (None, "created", NS),
        (NS, "start", RUN, "admin starts it"),
        (NS, "scheduled_start", RUN, "its start time comes"),
        (RUN, "pause", PA, "admin pauses it"),
        (RUN, "auto_pause", PA, "the engine pauses it with a reason"),
        (PA, "resume", RUN, "admin resumes it"),
        (PA, "auto_resume", RUN, "the template that paused it is sendable again (auto_resume)"),
        (RUN, "complete", CO, "nothing left to send"),
        ((NS, RUN, PA), "end", EN, "admin ends it"),
    ),
    idempotent_events=frozenset({"auto_pause", "auto_resume", "complete", "scheduled_start"}),
    final_states=frozenset({CO, EN}),
)

# Upload to / recipient removal from a campaign is allowed only in these states.
ACCEPTS_UPLOADS = frozenset({NS, RUN, PA})
ALLOWS_REMOVAL = frozenset({NS, PA})

I, IP, RS, SE, DE, RE, DF, SF, ER, RM, CA, IR, SS = (
    RecipientState.INITIAL,
    RecipientState.IN_PROGRESS,
    RecipientState.RETRY_SCHEDULED,
    RecipientState.SENT,
    RecipientState.DELIVERED,
    RecipientState.READ,
    RecipientState.DELIVERY_FAILED,
    RecipientState.SENDING_FAILED,
    RecipientState.ERROR,
    RecipientState.REMOVED,
    RecipientState.CANCELED_BY_ADMIN,
    RecipientState.INVALID_RECORD,
    RecipientState.SUCCESSFULLY_SUBMITTED,
)

RECIPIENT = StateMachine(
    entity="recipient",
    states=RecipientState,
    rows=table(
        (None, "imported", I, "uploaded row is valid"),
        (None, "imported_invalid", IR, "row invalid: reason and row number kept"),
        (None, "imported_legacy", SS, "historical data only; never produced"),
        ((I, RS), "claimed", IP, "dispatcher claims it (campaign RUNNING, sender may send)"),
        ((I, RS), "set_aside", ER, "its stored row cannot become a send: reason kept, rest sent"),
        (IP, "accepted", SE, "provider accepted (wamid)"),
        (IP, "transient_error", RS, "transient error, attempts left: backoff with jitter"),
        (IP, "retries_exhausted", ER, "transient error, no attempts left"),
        (IP, "unexpected_failure", ER, "unexpected failure"),
        (IP, "outcome_unknown", ER, "lease expired after a crash, policy at-most-once"),
        (IP, "lease_expired", RS, "lease expired after a crash, policy at-least-once"),
        (IP, "released", I, "sender/template stop: put back untouched"),
        (IP, "released", RS, "sender/template stop: put back untouched"),
        (IP, "not_started", I, "lease expired before its send started (crash): put back"),
        (IP, "not_started", RS, "lease expired before its send started (crash): put back"),
        # Status webhooks. They may arrive before the send call returns (IN_PROGRESS), after a
        # timeout was scheduled for retry (RETRY_SCHEDULED: the send did go out), or after we
        # gave the outcome up as unknown (ERROR: a crash, or a client timeout under at-most-once):
        # in each case the provider's word is the truth, for every outcome.
        ((IP, RS, ER, SE), "no_whatsapp_account", SF, "131026: recipient not on WhatsApp"),
        ((IP, RS, ER), "status_sent", SE, "sent webhook"),
        ((IP, RS, ER, SE), "status_delivered", DE, "delivered webhook"),
        ((IP, RS, ER, SE, DE), "status_read", RE, "read webhook"),
        ((IP, RS, ER, SE), "status_failed", DF, "failed webhook (+ code)"),
        ((I, RS), "removed", RM, "admin removes (campaign NOT_STARTED or PAUSED only)"),
        ((I, RS), "campaign_ended", CA, "admin ends the campaign"),
    ),
    idempotent_events=frozenset(
        {"status_sent", "status_delivered", "status_read", "status_failed", "no_whatsapp_account"}
    ),
    final_states=frozenset({RE, DF, SF, ER, RM, CA, IR, SS}),
)

# Provider statuses only move up: a late `delivered` never overwrites READ (DESIGN.md §2.2).
PROVIDER_RANK: dict[RecipientState, int] = {
    I: 0,
    RS: 0,
    IP: 0,
    ER: 0,
    SE: 1,
    DE: 2,
    RE: 3,
    DF: 3,
    SF: 3,
}

# Nothing left to send for these (a campaign whose recipients are all here is COMPLETED).
DONE_SENDING = frozenset(set(RecipientState) - {I, IP, RS})
# Due for the dispatcher.
CLAIMABLE = frozenset({I, RS})
# "Failed", the one definition every view uses (API `failed`, CLI, dashboard, demo): the final
# states in which the message did not reach the recipient, in the order their parts are shown.
FAILED_STATES: tuple[RecipientState, ...] = (SF, DF, ER, IR)
