"""The port of the Direct networks: SMS & Voice (Twilio), LINE, WeChat and WhatsApp Direct.

One narrow interface, one adapter per provider (``providers/{twilio,line,wechat}``,
``providers/whatsapp_direct.py``); Vonage, Telnyx or Sinch would be one more adapter each. The
engine sees only these types plus ``SendResult``/``ProviderError`` from ``port.py``:

- ``send_text(account, OutboundText) -> SendResult`` — never raises; errors are classified into
  the existing ``ErrorKind``s, with a ``RecipientEffect`` when the error speaks about the person.
- ``verify(account, CallbackRequest) -> bool`` — the provider's signature over what it sent; the
  door calls it before storing anything.
- ``handshake(account, CallbackRequest) -> CallbackReply | None`` — a URL-verification request
  (WeChat's GET echo) answered, or None when the request is not one.
- ``parse(account, CallbackRequest) -> list[ChannelEvent]`` — the applier's half: a verified,
  stored callback turned into typed events (``channel_events.py``).
- ``acknowledge(CallbackRequest) -> CallbackReply`` — the answer the provider expects when there
  is nothing else to say (Twilio: empty TwiML; WeChat: ``success``; LINE: empty 200).

Credentials are arguments (an ``account`` object per adapter: ``TwilioAccount``, ``LineAccount``,
``WeChatAccount``, ``WhatsAppDirectAccount``; secrets kept out of their repr), never global
settings: they live per connector in the database. Base URLs (real API or the simulator) are
settings. Each adapter module ends with ``_conforms``, where mypy checks it implements the port.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

from relaybird.providers.channel_events import ChannelEvent
from relaybird.providers.port import SendResult


class DirectNetwork(StrEnum):
    """The contact networks with an adapter behind them (values = ``contacts.Network``)."""

    SMS_DIRECT = "SMS_DIRECT"
    WHATSAPP_DIRECT = "WHATSAPP_DIRECT"
    LINE = "LINE"
    WECHAT = "WECHAT"


@dataclass(frozen=True)
class OutboundText:
    """One text to one person.

    ``to``: E.164 for SMS/WhatsApp, a LINE user id (``U`` + 32 hex), a WeChat OpenID.
    ``sender``: which of the account's identities sends it when it has several (Twilio: the
    user's virtual number or a Messaging Service SID); LINE and WeChat send as the account.
    ``callback_data``: our reference (``m:<room message id>``), echoed in the status events of
    networks that report delivery (Twilio through the StatusCallback URL, WhatsApp through
    ``biz_opaque_callback_data``).
    ``idempotency_key``: the same key on a retry makes the provider execute the send once where
    it supports it (LINE ``X-Line-Retry-Key``, a UUID).
    """

    to: str
    text: str
    sender: str | None = None
    callback_data: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CallbackRequest:
    """An inbound HTTP request from a provider, as received: nothing re-serialised.

    ``url`` is the full public URL the provider called (scheme, host, path and query): Twilio
    signs it, so behind a proxy the door rebuilds it from the forwarded headers.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    @property
    def query(self) -> dict[str, str]:
        """The URL's query parameters (the last value wins for a repeated name)."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))


@dataclass(frozen=True)
class CallbackReply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


class MalformedCallback(ValueError):
    """A verified callback whose body cannot be read (not form/JSON/XML): answer 400, store
    nothing."""


AccountT = TypeVar("AccountT", contravariant=True)


class DirectChannel(Protocol[AccountT]):
    """What every Direct-network adapter implements (see the module docstring)."""

    @property
    def network(self) -> DirectNetwork: ...

    async def send_text(self, account: AccountT, message: OutboundText) -> SendResult: ...

    def verify(self, account: AccountT, request: CallbackRequest) -> bool: ...

    def handshake(self, account: AccountT, request: CallbackRequest) -> CallbackReply | None: ...

    def parse(self, account: AccountT, request: CallbackRequest) -> list[ChannelEvent]: ...

    def acknowledge(self, request: CallbackRequest) -> CallbackReply: ...

    async def close(self) -> None: ...
