"""The template lifecycles as data (DESIGN.md §3 "Templates"; docs/reference/
templates-pricing-consent.md §1, §4).

Three tables over one row: the review/usage ``status`` Meta reports (webhook
``message_template_status_update`` or a catalogue sync), the ``quality_score``
(``message_template_quality_update``) and the ``category`` (``template_category_update``). Meta
is the authority on all three: the tables list every move Meta can report, so a move missing here
is a webhook out of order (refused, logged; the next sync settles it), not a rule we enforce.
"""

from __future__ import annotations

from enum import StrEnum

from relaybird.kit.state_machine import StateMachine, table
from relaybird.models.template import TemplateQuality as TemplateQuality
from relaybird.models.template import TemplateStatus as TemplateStatus


class TemplateCategory(StrEnum):
    MARKETING = "MARKETING"
    UTILITY = "UTILITY"
    AUTHENTICATION = "AUTHENTICATION"


class TemplateEvent(StrEnum):
    """The events of the TEMPLATE (status) table (history rows store the value)."""

    SYNCED = "synced"
    MISSING_AT_SYNC = "missing_at_sync"
    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"
    PAUSED = "paused"
    DISABLED = "disabled"
    IN_APPEAL = "in_appeal"
    FLAGGED = "flagged"
    REINSTATED = "reinstated"
    PENDING_DELETION = "pending_deletion"
    DELETED = "deleted"
    ARCHIVED = "archived"
    UNARCHIVED = "unarchived"
    LIMIT_EXCEEDED = "limit_exceeded"
    LOCKED = "locked"


class TemplateQualityEvent(StrEnum):
    """The events of the TEMPLATE_QUALITY table: ``quality_`` + the score, lower-case."""

    QUALITY_GREEN = "quality_green"
    QUALITY_YELLOW = "quality_yellow"
    QUALITY_RED = "quality_red"
    QUALITY_UNKNOWN = "quality_unknown"


class TemplateCategoryEvent(StrEnum):
    """The events of the TEMPLATE_CATEGORY table (history rows store the value)."""

    RECATEGORISED = "recategorised"
    CATEGORY_SYNCED = "category_synced"


# Only these may be sent (Meta: only APPROVED; FLAGGED and LOCKED are still APPROVED at Meta).
SENDABLE = frozenset({TemplateStatus.APPROVED, TemplateStatus.FLAGGED, TemplateStatus.LOCKED})
# Statuses that stop a campaign using the template (the next wave pauses campaigns on these).
STOPS_SENDING = frozenset(set(TemplateStatus) - SENDABLE)

_LIVE = (
    TemplateStatus.APPROVED,
    TemplateStatus.PENDING,
    TemplateStatus.REJECTED,
    TemplateStatus.PAUSED,
    TemplateStatus.DISABLED,
    TemplateStatus.IN_APPEAL,
    TemplateStatus.FLAGGED,
    TemplateStatus.ARCHIVED,
    TemplateStatus.LIMIT_EXCEEDED,
    TemplateStatus.LOCKED,
)
_ANY = (None, *_LIVE, TemplateStatus.PENDING_DELETION, TemplateStatus.DELETED)

TEMPLATE = StateMachine(
    event_names=TemplateEvent,
    entity="template",
    states=TemplateStatus,
    state_field="status",
    rows=table(
        # A sync reads the status Meta has now: from anything (or nothing: first seen) to it.
        *((_ANY, "synced", s, "the catalogue sync read this status") for s in TemplateStatus),
        (
            (
                TemplateStatus.APPROVED,
                TemplateStatus.PAUSED,
                TemplateStatus.FLAGGED,
                TemplateStatus.LOCKED,
                TemplateStatus.ARCHIVED,
                TemplateStatus.DISABLED,
            ),
            "missing_at_sync",
            TemplateStatus.DELETED,
            "no longer in Meta's catalogue",
        ),
        (
            (
                None,
                TemplateStatus.PENDING,
                TemplateStatus.REJECTED,
                TemplateStatus.IN_APPEAL,
                TemplateStatus.LIMIT_EXCEEDED,
            ),
            "missing_at_sync",
            TemplateStatus.DELETED,
            "no longer in Meta's catalogue",
        ),
        (
            (
                TemplateStatus.PENDING,
                TemplateStatus.IN_APPEAL,
                TemplateStatus.PAUSED,
                TemplateStatus.FLAGGED,
                TemplateStatus.REJECTED,
                TemplateStatus.ARCHIVED,
                TemplateStatus.LOCKED,
                TemplateStatus.LIMIT_EXCEEDED,
            ),
            "approved",
            TemplateStatus.APPROVED,
            "APPROVED (review passed, unpaused)",
        ),
        (
            (
                TemplateStatus.APPROVED,
                TemplateStatus.REJECTED,
                TemplateStatus.PAUSED,
                TemplateStatus.FLAGGED,
                TemplateStatus.LOCKED,
            ),
            "pending",
            TemplateStatus.PENDING,
            "PENDING (created or edited: in review)",
        ),
        (
            (
                TemplateStatus.PENDING,
                TemplateStatus.IN_APPEAL,
                TemplateStatus.APPROVED,
                TemplateStatus.FLAGGED,
                TemplateStatus.PAUSED,
                TemplateStatus.LOCKED,
            ),
            "rejected",
            TemplateStatus.REJECTED,
            "REJECTED (with reason)",
        ),
        (
            (TemplateStatus.APPROVED, TemplateStatus.FLAGGED, TemplateStatus.LOCKED),
            "paused",
            TemplateStatus.PAUSED,
            "PAUSED for low quality (3 h, then 6 h)",
        ),
        (
            (
                TemplateStatus.APPROVED,
                TemplateStatus.PAUSED,
                TemplateStatus.FLAGGED,
                TemplateStatus.LOCKED,
            ),
            "disabled",
            TemplateStatus.DISABLED,
            "DISABLED after repeated pauses",
        ),
        (
            (TemplateStatus.REJECTED, TemplateStatus.DISABLED),
            "in_appeal",
            TemplateStatus.IN_APPEAL,
            "IN_APPEAL",
        ),
        (
            (TemplateStatus.APPROVED, TemplateStatus.LOCKED),
            "flagged",
            TemplateStatus.FLAGGED,
            "FLAGGED: negative feedback, at risk",
        ),
        (
            (TemplateStatus.FLAGGED, TemplateStatus.DISABLED, TemplateStatus.PAUSED),
            "reinstated",
            TemplateStatus.APPROVED,
            "REINSTATED: sendable again",
        ),
        (
            (
                TemplateStatus.APPROVED,
                TemplateStatus.PENDING,
                TemplateStatus.REJECTED,
                TemplateStatus.PAUSED,
                TemplateStatus.FLAGGED,
                TemplateStatus.ARCHIVED,
                TemplateStatus.LOCKED,
                TemplateStatus.IN_APPEAL,
            ),
            "pending_deletion",
            TemplateStatus.PENDING_DELETION,
            "PENDING_DELETION",
        ),
        ((*_LIVE, TemplateStatus.PENDING_DELETION), "deleted", TemplateStatus.DELETED, "DELETED"),
        (
            (
                TemplateStatus.APPROVED,
                TemplateStatus.PAUSED,
                TemplateStatus.FLAGGED,
                TemplateStatus.LOCKED,
                TemplateStatus.REJECTED,
            ),
            "archived",
            TemplateStatus.ARCHIVED,
            "ARCHIVED (inactive)",
        ),
        (TemplateStatus.ARCHIVED, "unarchived", TemplateStatus.APPROVED, "UNARCHIVED"),
        (
            (None, TemplateStatus.PENDING, TemplateStatus.REJECTED),
            "limit_exceeded",
            TemplateStatus.LIMIT_EXCEEDED,
            "the WABA is at its template cap",
        ),
        (
            (TemplateStatus.APPROVED, TemplateStatus.FLAGGED),
            "locked",
            TemplateStatus.LOCKED,
            "LOCKED: cannot be edited",
        ),
    ),
    idempotent_events=frozenset(
        {
            "approved",
            "pending",
            "rejected",
            "paused",
            "disabled",
            "in_appeal",
            "flagged",
            "reinstated",
            "pending_deletion",
            "deleted",
            "archived",
            "unarchived",
            "limit_exceeded",
            "locked",
            "missing_at_sync",
        }
    ),
    final_states=frozenset({TemplateStatus.DELETED}),
)

# Meta's `event` of message_template_status_update → our event name. An open set at Meta: an
# event not listed here is logged and left to the next sync.
STATUS_EVENTS: dict[str, TemplateEvent] = {
    "APPROVED": TemplateEvent.APPROVED,
    "PENDING": TemplateEvent.PENDING,
    "REJECTED": TemplateEvent.REJECTED,
    "PAUSED": TemplateEvent.PAUSED,
    "DISABLED": TemplateEvent.DISABLED,
    "IN_APPEAL": TemplateEvent.IN_APPEAL,
    "FLAGGED": TemplateEvent.FLAGGED,
    "REINSTATED": TemplateEvent.REINSTATED,
    "PENDING_DELETION": TemplateEvent.PENDING_DELETION,
    "DELETED": TemplateEvent.DELETED,
    "ARCHIVED": TemplateEvent.ARCHIVED,
    "UNARCHIVED": TemplateEvent.UNARCHIVED,
    "LIMIT_EXCEEDED": TemplateEvent.LIMIT_EXCEEDED,
    "LOCKED": TemplateEvent.LOCKED,
}
# The status each event leads to (for the events whose target is not a table lookup away).
EVENT_TARGET: dict[TemplateEvent, TemplateStatus] = {
    TemplateEvent.APPROVED: TemplateStatus.APPROVED,
    TemplateEvent.PENDING: TemplateStatus.PENDING,
    TemplateEvent.REJECTED: TemplateStatus.REJECTED,
    TemplateEvent.PAUSED: TemplateStatus.PAUSED,
    TemplateEvent.DISABLED: TemplateStatus.DISABLED,
    TemplateEvent.IN_APPEAL: TemplateStatus.IN_APPEAL,
    TemplateEvent.FLAGGED: TemplateStatus.FLAGGED,
    TemplateEvent.REINSTATED: TemplateStatus.APPROVED,
    TemplateEvent.PENDING_DELETION: TemplateStatus.PENDING_DELETION,
    TemplateEvent.DELETED: TemplateStatus.DELETED,
    TemplateEvent.ARCHIVED: TemplateStatus.ARCHIVED,
    TemplateEvent.UNARCHIVED: TemplateStatus.APPROVED,
    TemplateEvent.LIMIT_EXCEEDED: TemplateStatus.LIMIT_EXCEEDED,
    TemplateEvent.LOCKED: TemplateStatus.LOCKED,
    TemplateEvent.MISSING_AT_SYNC: TemplateStatus.DELETED,
}

_QUALITIES = (
    TemplateQuality.GREEN,
    TemplateQuality.YELLOW,
    TemplateQuality.RED,
    TemplateQuality.UNKNOWN,
)

TEMPLATE_QUALITY = StateMachine(
    event_names=TemplateQualityEvent,
    entity="template",
    states=TemplateQuality,
    state_field="quality_score",
    rows=table(
        *((_QUALITIES, f"quality_{q.value.lower()}", q, f"quality becomes {q}") for q in _QUALITIES)
    ),
    idempotent_events=frozenset(f"quality_{q.value.lower()}" for q in _QUALITIES),
)

_CATEGORIES = (
    None,
    TemplateCategory.MARKETING,
    TemplateCategory.UTILITY,
    TemplateCategory.AUTHENTICATION,
)

TEMPLATE_CATEGORY = StateMachine(
    event_names=TemplateCategoryEvent,
    entity="template",
    states=TemplateCategory,
    state_field="category",
    rows=table(
        *(
            (
                _CATEGORIES,
                "recategorised",
                c,
                "Meta changed the category (template_category_update)",
            )
            for c in (
                TemplateCategory.MARKETING,
                TemplateCategory.UTILITY,
                TemplateCategory.AUTHENTICATION,
            )
        ),
        *(
            (_CATEGORIES, "category_synced", c, "the catalogue sync read this category")
            for c in (
                TemplateCategory.MARKETING,
                TemplateCategory.UTILITY,
                TemplateCategory.AUTHENTICATION,
            )
        ),
    ),
    idempotent_events=frozenset({"recategorised", "category_synced"}),
)


def quality_event(quality: TemplateQuality) -> TemplateQualityEvent:
    return TemplateQualityEvent(f"quality_{quality.value.lower()}")


def parse_quality(value: str | None) -> TemplateQuality | None:
    """Meta's score (GREEN/YELLOW/RED/UNKNOWN; "NA" on numbers) → ours; None if unreadable."""
    if value is None:
        return None
    value = value.strip().upper()
    if value == "NA":
        return TemplateQuality.UNKNOWN
    try:
        return TemplateQuality(value)
    except ValueError:
        return None


def parse_category(value: str | None) -> TemplateCategory | None:
    if value is None:
        return None
    try:
        return TemplateCategory(value.strip().upper())
    except ValueError:
        return None


def parse_status(value: str | None) -> TemplateStatus | None:
    if value is None:
        return None
    try:
        return TemplateStatus(value.strip().upper())
    except ValueError:
        return None
