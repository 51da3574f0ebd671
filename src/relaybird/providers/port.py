"""The port every messaging provider adapter implements, and the outcome kinds it reports.

The engine sees only these types: nothing outside ``providers/`` knows aiohttp or Graph API error
codes. The WhatsApp Cloud API adapter (providers/whatsapp) is the real implementation. The Direct
networks (Twilio, LINE, WeChat, WhatsApp Direct) have their own narrow port in
``providers/channel.py`` and report outcomes with the same ``SendResult`` and ``ErrorKind``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class ErrorKind(StrEnum):
    """What an error means for the engine (DESIGN.md §3)."""

    RECIPIENT_PERMANENT = "recipient-permanent"  # 131026: not on WhatsApp → SENDING_FAILED
    RECIPIENT_TRANSIENT = "recipient-transient"  # 131056 pair rate limit: retry this one later
    SENDER_TRANSIENT = "sender-transient"  # throttled/outage/timeout: back off the whole sender
    SENDER_STOP = "sender-stop"  # token, account, payment: pause campaigns on this sender
    TEMPLATE_STOP = "template-stop"  # template missing/paused/params: pause the campaign


class SenderEffect(StrEnum):
    """What a sender-level error says about the number itself (feeds the sender lifecycle)."""

    UNREACHABLE = "unreachable"  # e.g. not registered: treat as OFFLINE until a sync says more
    RESTRICTED = "restricted"  # blocked / locked / spam-limited: no business-initiated sends
    BANNED = "banned"  # the account is disabled


class RecipientEffect(StrEnum):
    """What an error says about the person at the other end (the Direct networks' contacts)."""

    INVALID_ADDRESS = "invalid-address"  # no such number / not a mobile / unknown user id
    OPTED_OUT = "opted-out"  # replied STOP (Twilio 21610): nothing until they opt in again
    NOT_FOLLOWING = "not-following"  # unfollowed / blocked the Official Account
    WINDOW_CLOSED = "window-closed"  # outside the customer-service window (or its quota used)


@dataclass(frozen=True)
class SenderCredentials:
    phone_number_id: str
    access_token: str


@dataclass(frozen=True)
class TemplateMessage:
    to: str  # E.164
    template_name: str
    language: str
    body_params: tuple[str, ...] = ()
    # Echoed back in status webhooks (biz_opaque_callback_data): how we match them to our rows.
    callback_data: str | None = None
    # The send's ``template.components`` exactly as Meta documents them (header media, named
    # parameters, buttons: ``templates.builder.build_template``). When set, wins over body_params.
    components: tuple[dict[str, Any], ...] | None = None


@dataclass(frozen=True)
class SendResult:
    """Either ``message_id`` (accepted) or ``error`` (refused / failed)."""

    message_id: str | None = None
    error: ProviderError | None = None

    @property
    def accepted(self) -> bool:
        return self.message_id is not None


@dataclass(frozen=True)
class ProviderError:
    kind: ErrorKind
    code: int | None
    title: str
    # True when the request may have reached the provider (a timeout after sending): the
    # message may have gone out, so a retry risks a duplicate.
    ambiguous: bool = False
    retry_after: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # Set by the adapter's classifier when the error says something about the number's status.
    sender_effect: SenderEffect | None = None
    # Set when the error says something about the recipient (opted out, unfollowed, ...).
    recipient_effect: RecipientEffect | None = None
    # True when the provider says the object the request names (a business account, a number)
    # does not exist or these credentials cannot read it: the caller's data is wrong, the
    # provider is fine (a 4xx at our door, not a 502).
    unknown_object: bool = False
    # A one-off failure of this request (Meta's 131000 "something went wrong", a 5xx, a timeout,
    # a broken connection): retry the recipient; only a burst of them concerns the sender.
    isolated: bool = False


class ProviderCallFailed(Exception):
    """Raised by provider calls that are not sends (reads, link tokens, QR codes) with the
    classified error; sends return it in a ``SendResult`` instead."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(f"{error.kind}: {error.code} {error.title}")
        self.error = error


@dataclass(frozen=True)
class PhoneNumberInfo:
    """The provider's fields of a number, verbatim where they are an open set."""

    status: str | None
    quality_rating: str | None
    messaging_limit_tier: str | None
    throughput_level: str | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogueTemplate:
    """One (name, language) variant of a template as the provider's catalogue lists it."""

    id: str  # the provider's id (a string; webhooks send it as a number)
    name: str
    language: str
    status: str | None
    category: str | None
    components: list[dict[str, Any]]  # verbatim
    parameter_format: str | None = None
    sub_category: str | None = None
    quality_score: str | None = None
    rejected_reason: str | None = None


class TemplateCatalogue(Protocol):
    """Reading a business account's templates and uploading header media (WhatsApp Cloud API).
    Failures raise an exception carrying a classified ``ProviderError`` as ``.error``."""

    async def list_templates(
        self, sender: SenderCredentials, waba_id: str
    ) -> list[CatalogueTemplate]: ...

    async def upload_media(
        self, sender: SenderCredentials, data: bytes, mime_type: str, filename: str
    ) -> str: ...


class MessagingProvider(Protocol):
    async def send_template(
        self, sender: SenderCredentials, message: TemplateMessage
    ) -> SendResult: ...

    async def send_text(
        self, sender: SenderCredentials, to: str, text: str, callback_data: str | None = None
    ) -> SendResult: ...

    async def get_phone_number(self, sender: SenderCredentials) -> PhoneNumberInfo: ...

    async def close(self) -> None: ...
