"""Typed events of the Direct networks, one vocabulary for every adapter.

A callback body becomes a list of these (LINE batches several events in one POST; Twilio and
WeChat send one per request). Each keeps ``raw`` (what it was parsed from) so nothing we do not
model is lost, and an ``event_id``: the provider's own identity of the event, stable across its
redeliveries, which the inbox uses to apply each event once.

``account`` is always *our* side of the conversation: the Twilio number that was called or texted,
the LINE bot's user id (``destination``), the WeChat Official Account's original id
(``ToUserName``), the WhatsApp phone-number id. ``user_id`` / ``sender`` is the person's address on
that network: E.164, a LINE user id, a WeChat OpenID (which is per Official Account).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from relaybird.providers.port import ProviderError


class DeliveryState(StrEnum):
    """Where an outbound message stands, in the engine's words (room messages' SENT/DELIVERED/
    READ/FAILED; ACCEPTED is the provider's queue before it left, no move)."""

    ACCEPTED = "ACCEPTED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    FAILED = "FAILED"


class Keyword(StrEnum):
    """Carrier keywords (US long codes and toll-free: single word, case-insensitive)."""

    OPT_OUT = "OPT_OUT"  # STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT
    OPT_IN = "OPT_IN"  # START, YES, UNSTOP
    HELP = "HELP"  # HELP, INFO


@dataclass(frozen=True, eq=False)
class InboundText:
    network: str
    account: str
    sender: str
    message_id: str
    text: str
    at: datetime | None
    event_id: str
    keyword: Keyword | None = None
    media_count: int = 0
    reply_token: str | None = None  # LINE: single use, within a minute
    raw: Any = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class InboundCall:
    """A voice call to one of our numbers: the door answers it with TwiML (say or forward)."""

    network: str
    account: str  # the number called
    caller: str  # E.164, or "anonymous"/"unknown" when the caller id is withheld
    call_id: str
    status: str  # ringing, in-progress, completed, busy, failed, no-answer, canceled, ...
    at: datetime | None
    event_id: str
    forwarded_from: str | None = None
    raw: Any = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class StatusUpdate:
    """What became of a message we sent (Twilio status callbacks; WhatsApp statuses)."""

    network: str
    message_id: str
    state: DeliveryState
    provider_status: str  # verbatim: queued, sent, delivered, undelivered, failed, read, ...
    recipient: str | None
    at: datetime | None
    event_id: str
    callback_data: str | None = None  # what we passed as OutboundText.callback_data
    error: ProviderError | None = None
    raw: Any = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class Follow:
    """The person followed (LINE friend added / unblocked; WeChat subscribe). Through a WeChat
    parametric QR code, ``scene`` is the scene string we put in it (``qrscene_`` removed)."""

    network: str
    account: str
    user_id: str
    at: datetime | None
    event_id: str
    scene: str | None = None
    ticket: str | None = None
    unblocked: bool = False
    reply_token: str | None = None
    raw: Any = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class Unfollow:
    """Unfollowed / blocked the account: nothing reaches them until they follow again (WeChat
    asks that their data be deleted)."""

    network: str
    account: str
    user_id: str
    at: datetime | None
    event_id: str
    raw: Any = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class AccountLink:
    """LINE account linking came back: ``nonce`` is the one we issued for our user; ``ok`` False
    means LINE refused it (then there is no user id)."""

    network: str
    account: str
    user_id: str | None
    nonce: str
    ok: bool
    at: datetime | None
    event_id: str
    reply_token: str | None = None
    raw: Any = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class QrScan:
    """A WeChat user who already follows the account scanned one of our parametric QR codes."""

    network: str
    account: str
    user_id: str
    scene: str
    ticket: str | None
    at: datetime | None
    event_id: str
    raw: Any = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class Unknown:
    """An event we do not model (or could not read): kept and logged, never fatal."""

    network: str
    reason: str
    event_id: str | None = None
    raw: Any = field(default=None, repr=False)


ChannelEvent = (
    InboundText | InboundCall | StatusUpdate | Follow | Unfollow | AccountLink | QrScan | Unknown
)
