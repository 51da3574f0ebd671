"""The campaign and recipient lifecycles as data (DESIGN.md §2.2, seed 001)."""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import StateMachine, table
from relaybird.models.campaign import CampaignState as CampaignState
from relaybird.models.campaign import RecipientState as RecipientState


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
    OPTED_OUT = "opted_out"


class CampaignEvent(StrEnum):
    """The events of the CAMPAIGN table (history rows store the value)."""

    CREATED = "created"
    START = "start"
    SCHEDULED_START = "scheduled_start"
    PAUSE = "pause"
    AUTO_PAUSE = "auto_pause"
    RESUME = "resume"
    AUTO_RESUME = "auto_resume"
    COMPLETE = "complete"
    END = "end"


CAMPAIGN = StateMachine(
    event_names=CampaignEvent,
    entity="campaign",
    states=CampaignState,
    rows=table(
        (None, "created", CampaignState.NOT_STARTED),
        (CampaignState.NOT_STARTED, "start", CampaignState.RUNNING, "admin starts it"),
        (
            CampaignState.NOT_STARTED,
            "scheduled_start",
            CampaignState.RUNNING,
            "its start time comes",
        ),
        (CampaignState.RUNNING, "pause", CampaignState.PAUSED, "admin pauses it"),
        (
            CampaignState.RUNNING,
            "auto_pause",
            CampaignState.PAUSED,
            "the engine pauses it with a reason",
        ),
        (CampaignState.PAUSED, "resume", CampaignState.RUNNING, "admin resumes it"),
        (
            CampaignState.PAUSED,
            "auto_resume",
            CampaignState.RUNNING,
            "the template that paused it is sendable again (auto_resume)",
        ),
        (CampaignState.RUNNING, "complete", CampaignState.COMPLETED, "nothing left to send"),
        (
            (CampaignState.NOT_STARTED, CampaignState.RUNNING, CampaignState.PAUSED),
            "end",
            CampaignState.ENDED,
            "admin ends it",
        ),
    ),
    idempotent_events=frozenset({"auto_pause", "auto_resume", "complete", "scheduled_start"}),
    final_states=frozenset({CampaignState.COMPLETED, CampaignState.ENDED}),
)

# Upload to / recipient removal from a campaign is allowed only in these states.
ACCEPTS_UPLOADS = frozenset(
    {CampaignState.NOT_STARTED, CampaignState.RUNNING, CampaignState.PAUSED}
)
ALLOWS_REMOVAL = frozenset({CampaignState.NOT_STARTED, CampaignState.PAUSED})


RECIPIENT = StateMachine(
    event_names=RecipientEvent,
    entity="recipient",
    states=RecipientState,
    rows=table(
        (None, "imported", RecipientState.INITIAL, "uploaded row is valid"),
        (
            None,
            "imported_invalid",
            RecipientState.INVALID_RECORD,
            "row invalid: reason and row number kept",
        ),
        (
            None,
            "imported_legacy",
            RecipientState.SUCCESSFULLY_SUBMITTED,
            "historical data only; never produced",
        ),
        (
            (RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED),
            "claimed",
            RecipientState.IN_PROGRESS,
            "dispatcher claims it (campaign RUNNING, sender may send)",
        ),
        (
            (RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED),
            "set_aside",
            RecipientState.ERROR,
            "its stored row cannot become a send: reason kept, rest sent",
        ),
        (RecipientState.IN_PROGRESS, "accepted", RecipientState.SENT, "provider accepted (wamid)"),
        (
            RecipientState.IN_PROGRESS,
            "transient_error",
            RecipientState.RETRY_SCHEDULED,
            "transient error, attempts left: backoff with jitter",
        ),
        (
            RecipientState.IN_PROGRESS,
            "retries_exhausted",
            RecipientState.ERROR,
            "transient error, no attempts left",
        ),
        (
            RecipientState.IN_PROGRESS,
            "unexpected_failure",
            RecipientState.ERROR,
            "unexpected failure",
        ),
        (
            RecipientState.IN_PROGRESS,
            "outcome_unknown",
            RecipientState.ERROR,
            "lease expired after a crash, policy at-most-once",
        ),
        (
            RecipientState.IN_PROGRESS,
            "lease_expired",
            RecipientState.RETRY_SCHEDULED,
            "lease expired after a crash, policy at-least-once",
        ),
        (
            RecipientState.IN_PROGRESS,
            "released",
            RecipientState.INITIAL,
            "sender/template stop: put back untouched",
        ),
        (
            RecipientState.IN_PROGRESS,
            "released",
            RecipientState.RETRY_SCHEDULED,
            "sender/template stop: put back untouched",
        ),
        (
            RecipientState.IN_PROGRESS,
            "not_started",
            RecipientState.INITIAL,
            "lease expired before its send started (crash): put back",
        ),
        (
            RecipientState.IN_PROGRESS,
            "not_started",
            RecipientState.RETRY_SCHEDULED,
            "lease expired before its send started (crash): put back",
        ),
        # Status webhooks. They may arrive before the send call returns (IN_PROGRESS), after a
        # timeout was scheduled for retry (RETRY_SCHEDULED: the send did go out), or after we
        # gave the outcome up as unknown (ERROR: a crash, or a client timeout under at-most-once):
        # in each case the provider's word is the truth, for every outcome.
        (
            (
                RecipientState.IN_PROGRESS,
                RecipientState.RETRY_SCHEDULED,
                RecipientState.ERROR,
                RecipientState.SENT,
            ),
            "no_whatsapp_account",
            RecipientState.SENDING_FAILED,
            "131026: recipient not on WhatsApp",
        ),
        (
            (RecipientState.IN_PROGRESS, RecipientState.RETRY_SCHEDULED, RecipientState.ERROR),
            "status_sent",
            RecipientState.SENT,
            "sent webhook",
        ),
        (
            (
                RecipientState.IN_PROGRESS,
                RecipientState.RETRY_SCHEDULED,
                RecipientState.ERROR,
                RecipientState.SENT,
            ),
            "status_delivered",
            RecipientState.DELIVERED,
            "delivered webhook",
        ),
        (
            (
                RecipientState.IN_PROGRESS,
                RecipientState.RETRY_SCHEDULED,
                RecipientState.ERROR,
                RecipientState.SENT,
                RecipientState.DELIVERED,
            ),
            "status_read",
            RecipientState.READ,
            "read webhook",
        ),
        (
            (
                RecipientState.IN_PROGRESS,
                RecipientState.RETRY_SCHEDULED,
                RecipientState.ERROR,
                RecipientState.SENT,
            ),
            "status_failed",
            RecipientState.DELIVERY_FAILED,
            "failed webhook (+ code)",
        ),
        (
            (RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED),
            "removed",
            RecipientState.REMOVED,
            "admin removes (campaign NOT_STARTED or PAUSED only)",
        ),
        (
            (RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED),
            "opted_out",
            RecipientState.REMOVED,
            "its number opted out after the upload: skipped at claim",
        ),
        (
            RecipientState.IN_PROGRESS,
            "opted_out",
            RecipientState.REMOVED,
            "its number opted out after the claim, before the send started",
        ),
        (
            (RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED),
            "campaign_ended",
            RecipientState.CANCELED_BY_ADMIN,
            "admin ends the campaign",
        ),
    ),
    idempotent_events=frozenset(
        {"status_sent", "status_delivered", "status_read", "status_failed", "no_whatsapp_account"}
    ),
    final_states=frozenset(
        {
            RecipientState.READ,
            RecipientState.DELIVERY_FAILED,
            RecipientState.SENDING_FAILED,
            RecipientState.ERROR,
            RecipientState.REMOVED,
            RecipientState.CANCELED_BY_ADMIN,
            RecipientState.INVALID_RECORD,
            RecipientState.SUCCESSFULLY_SUBMITTED,
        }
    ),
)

# Provider statuses only move up: a late `delivered` never overwrites READ (DESIGN.md §2.2).
PROVIDER_RANK: dict[RecipientState, int] = {
    RecipientState.INITIAL: 0,
    RecipientState.RETRY_SCHEDULED: 0,
    RecipientState.IN_PROGRESS: 0,
    RecipientState.ERROR: 0,
    RecipientState.SENT: 1,
    RecipientState.DELIVERED: 2,
    RecipientState.READ: 3,
    RecipientState.DELIVERY_FAILED: 3,
    RecipientState.SENDING_FAILED: 3,
}

# Nothing left to send for these (a campaign whose recipients are all here is COMPLETED).
DONE_SENDING = frozenset(
    set(RecipientState)
    - {RecipientState.INITIAL, RecipientState.IN_PROGRESS, RecipientState.RETRY_SCHEDULED}
)
# Due for the dispatcher.
CLAIMABLE = frozenset({RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED})
# "Failed", the one definition every view uses (API `failed`, CLI, dashboard, demo): the final
# states in which the message did not reach the recipient, in the order their parts are shown.
FAILED_STATES: tuple[RecipientState, ...] = (
    RecipientState.SENDING_FAILED,
    RecipientState.DELIVERY_FAILED,
    RecipientState.ERROR,
    RecipientState.INVALID_RECORD,
)
# The milestones of the analytics (campaigns/analytics.py), each a set no recipient ever leaves
# except SENT_OR_LATER, left only for SENDING_FAILED (a 131026 `failed` webhook after Meta had
# accepted the send: not on WhatsApp after all; it is then a failure, not a send).
# "Sent" = Meta accepted it (it has a wamid), whatever came after; the dashboard's and the API's
# "sent" everywhere.
SENT_OR_LATER: frozenset[RecipientState] = frozenset(
    {
        RecipientState.SENT,
        RecipientState.DELIVERED,
        RecipientState.READ,
        RecipientState.DELIVERY_FAILED,
    }
)
DELIVERED_OR_LATER: frozenset[RecipientState] = frozenset(
    {RecipientState.DELIVERED, RecipientState.READ}
)
READ_STATES: frozenset[RecipientState] = frozenset({RecipientState.READ})
