"""Typed events parsed from WhatsApp webhook bodies (one body carries many: every element of
entry[], changes[], statuses[] and messages[] becomes one event).

Each event keeps ``raw`` (the JSON object it came from), so fields we do not model yet are never
lost. Identity, not value, equality (``eq=False``): the applier tracks events by object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, eq=False)
class WebhookError:
    code: int | None
    title: str | None
    details: str | None = None


@dataclass(frozen=True, eq=False)
class Pricing:
    billable: bool | None
    pricing_model: str | None  # CBP (before 2025-07) | PMP
    type: str | None  # regular | free_customer_service | free_entry_point
    category: str | None  # marketing, utility, authentication, authentication-international, ...


@dataclass(frozen=True, eq=False)
class MessageStatus:
    """statuses[]: sent / delivered / read / failed / played of a message we sent."""

    phone_number_id: str | None
    wamid: str
    status: str
    recipient: str | None
    timestamp: datetime | None
    callback_data: str | None = None  # biz_opaque_callback_data, echoed as we sent it
    errors: tuple[WebhookError, ...] = ()
    pricing: Pricing | None = None
    conversation_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def error_code(self) -> int | None:
        return self.errors[0].code if self.errors else None


@dataclass(frozen=True, eq=False)
class InboundMessage:
    """messages[]: a user wrote to a business number (any type; text has ``text``)."""

    phone_number_id: str | None
    wamid: str
    sender: str  # the user's wa_id ("from")
    timestamp: datetime | None
    type: str  # text, image, interactive, system, unsupported, ...
    text: str | None = None
    context_wamid: str | None = None  # the business message this one replies to
    profile_name: str | None = None
    errors: tuple[WebhookError, ...] = ()
    # A tapped button: a template quick reply's ``payload`` (type button), an interactive reply
    # button's or list row's ``id`` (type interactive); its label is ``text``.
    button: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class ValueErrors:
    """value-level errors[] of a ``messages`` change (Meta could not deliver a webhook part)."""

    phone_number_id: str | None
    errors: tuple[WebhookError, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class AccountUpdate:
    waba_id: str
    event: str  # DISABLED_UPDATE, ACCOUNT_RESTRICTION, ACCOUNT_VIOLATION, ACCOUNT_DELETED, ...
    phone_number: str | None = None
    ban_state: str | None = None  # DISABLE | REINSTATE | SCHEDULE_FOR_DISABLE
    restriction_types: tuple[str, ...] = ()
    restriction_expires: datetime | None = None
    violation_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class PhoneNumberQualityUpdate:
    waba_id: str
    display_phone_number: str | None
    # Legacy FLAGGED / UNFLAGGED / UPGRADE / DOWNGRADE; current ONBOARDING / THROUGHPUT_UPGRADE.
    event: str
    current_limit: str | None
    old_limit: str | None = None
    max_daily_conversations_per_business: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class BusinessCapabilityUpdate:
    waba_id: str
    # "2000" / "10000" / "100000" / "UNLIMITED" (portfolio limit); legacy per-phone field below.
    max_daily_conversations_per_business: str | None
    max_daily_conversation_per_phone: int | None = None
    max_phone_numbers_per_business: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class TemplateStatusUpdate:
    waba_id: str
    event: str  # APPROVED, PAUSED, DISABLED, REJECTED, ... (an open set)
    template_id: str | None
    template_name: str | None
    language: str | None
    reason: str | None = None  # ABUSIVE_CONTENT, INVALID_FORMAT, NONE, ... (null on deletion)
    category: str | None = None
    # PAUSED/UNPAUSE: other_info{title: FIRST_PAUSE | SECOND_PAUSE | RATE_LIMITING_PAUSE |
    # UNPAUSE | DISABLED, description: "... paused for 6 hours until Aug 31 at 12:47 AM UTC ..."}
    info_title: str | None = None
    info_description: str | None = None
    # REJECTED: rejection_info{reason, recommendation}
    rejection_reason: str | None = None
    rejection_recommendation: str | None = None
    disable_date: datetime | None = None  # DISABLED: disable_info.disable_date
    timestamp: datetime | None = None  # entry[].time
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class TemplateQualityUpdate:
    waba_id: str
    template_id: str | None
    template_name: str | None
    language: str | None
    previous_quality: str | None
    new_quality: str | None  # GREEN | YELLOW | RED | UNKNOWN
    timestamp: datetime | None = None  # entry[].time
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class TemplateCategoryUpdate:
    waba_id: str
    template_id: str | None
    template_name: str | None
    language: str | None
    previous_category: str | None
    # Two shapes (Meta's reference): the 24 h notice carries new_category = the *current*
    # category plus correct_category and category_update_timestamp (when it changes); the
    # change itself carries previous_category → new_category.
    new_category: str | None
    correct_category: str | None = None
    category_update_at: datetime | None = None
    timestamp: datetime | None = None  # entry[].time
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def announced(self) -> bool:
        """A notice of a change to come (correct_category differs from the category now)."""
        return self.correct_category is not None and self.correct_category != self.new_category


@dataclass(frozen=True, eq=False)
class TemplateComponentsUpdate:
    """message_template_components_update: the template was edited (body, header, footer,
    buttons as text). Not the full components: a sync reads those."""

    waba_id: str
    template_id: str | None
    template_name: str | None
    language: str | None
    timestamp: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class UserPreferences:
    """The user tapped stop/resume on marketing messages (value: stop | resume | signup)."""

    phone_number_id: str | None
    wa_id: str
    category: str | None
    value: str
    timestamp: datetime | None
    detail: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class Unknown:
    """A change we do not model (or could not read): kept and logged, never fatal."""

    webhook_field: str | None
    reason: str
    raw: Any = field(default=None, repr=False)


WhatsAppEvent = (
    MessageStatus
    | InboundMessage
    | ValueErrors
    | AccountUpdate
    | PhoneNumberQualityUpdate
    | BusinessCapabilityUpdate
    | TemplateStatusUpdate
    | TemplateQualityUpdate
    | TemplateCategoryUpdate
    | TemplateComponentsUpdate
    | UserPreferences
    | Unknown
)
