"""The Twilio adapter: ``TwilioChannel`` implements the Direct port for SMS & Voice.

Sends ``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`` (form-encoded, HTTP Basic
with an API key or the Account SID + Auth Token) with a ``StatusCallback`` URL that carries our
callback data; callbacks are verified with ``X-Twilio-Signature`` (keyed with the Auth Token).
``base_url`` is https://api.twilio.com or the simulator's ``/twilio``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from pydantic import ValidationError

from relaybird.providers.channel import (
    CallbackReply,
    CallbackRequest,
    DirectChannel,
    DirectNetwork,
    OutboundText,
)
from relaybird.providers.channel_events import ChannelEvent
from relaybird.providers.http import HttpAnswer, ProviderHttp, TransportFailed, transport_error
from relaybird.providers.port import ProviderCallFailed, ProviderError, SendResult
from relaybird.providers.twilio import parse as twilio_parse
from relaybird.providers.twilio import signature, twiml, wire
from relaybird.providers.twilio.errors import classify, from_http_status


@dataclass(frozen=True)
class TwilioAccount:
    """One Twilio account (a connector). The Auth Token verifies webhooks; REST calls use the API
    key when given (Twilio's recommendation), else the Account SID + Auth Token."""

    account_sid: str
    auth_token: str = field(repr=False)
    api_key_sid: str | None = None
    api_key_secret: str | None = field(default=None, repr=False)
    # Used when OutboundText.sender is not given: Twilio picks a number from the service's pool.
    messaging_service_sid: str | None = None
    # Our public URL for status callbacks (e.g. https://relaybird.example/webhooks/twilio/1).
    status_callback_url: str | None = None

    @property
    def basic_auth(self) -> tuple[str, str]:
        if self.api_key_sid and self.api_key_secret:
            return self.api_key_sid, self.api_key_secret
        return self.account_sid, self.auth_token


def status_callback(base: str, callback_data: str | None) -> str:
    """Our StatusCallback URL with the callback data in its query. Twilio signs the URL as we
    give it, so it is written in the form HTTP clients leave alone (``:`` not escaped)."""
    if not callback_data:
        return base
    separator = "&" if urlsplit(base).query else "?"
    query = urlencode({twilio_parse.CALLBACK_PARAM: callback_data}, quote_via=quote, safe=":")
    return base + separator + query


class TwilioChannel:
    network = DirectNetwork.SMS_DIRECT

    def __init__(self, base_url: str, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = ProviderHttp(timeout=timeout)

    async def send_text(self, account: TwilioAccount, message: OutboundText) -> SendResult:
        sender = message.sender
        if not sender and not account.messaging_service_sid:
            return SendResult(error=classify(21606, "no 'From' number and no Messaging Service"))
        callback = (
            status_callback(account.status_callback_url, message.callback_data)
            if account.status_callback_url
            else None
        )
        form = wire.send_form(
            to=message.to,
            body=message.text,
            from_=sender,
            messaging_service_sid=None if sender else account.messaging_service_sid,
            status_callback=callback,
        )
        try:
            answer = await self._http.request(
                "POST",
                self.base_url + wire.messages_path(account.account_sid),
                form=form,
                basic_auth=account.basic_auth,
            )
        except TransportFailed as exc:
            return SendResult(error=exc.error)
        if answer.status in (200, 201):
            try:
                resource = wire.MessageResource.model_validate(answer.json())
            except ValidationError:
                # A success we cannot read: Twilio probably queued it. Ambiguous, not failed.
                return SendResult(
                    error=transport_error(
                        f"unreadable {answer.status} answer: {answer.excerpt}", ambiguous=True
                    )
                )
            if resource.error_code:
                return SendResult(error=classify(resource.error_code, resource.error_message or ""))
            return SendResult(message_id=resource.sid)
        return SendResult(error=_error(answer))

    async def fetch_message(self, account: TwilioAccount, sid: str) -> wire.MessageResource:
        """A message's current status (to settle a send whose answer was lost)."""
        url = (
            f"{self.base_url}/{wire.API_VERSION}/Accounts/{account.account_sid}/Messages/{sid}.json"
        )
        try:
            answer = await self._http.request("GET", url, basic_auth=account.basic_auth)
        except TransportFailed as exc:
            raise ProviderCallFailed(exc.error) from None
        if answer.status != 200:
            raise ProviderCallFailed(_error(answer))
        try:
            return wire.MessageResource.model_validate(answer.json())
        except ValidationError:
            raise ProviderCallFailed(
                transport_error(f"unreadable message: {answer.excerpt}", ambiguous=False)
            ) from None

    def verify(self, account: TwilioAccount, request: CallbackRequest) -> bool:
        header = request.header(signature.HEADER)
        if "bodySHA256" in request.query:
            return signature.verify_json(request.url, request.body, header, account.auth_token)
        try:
            params = twilio_parse.form_params(request)
        except ValueError:
            return False
        return signature.verify(request.url, params, header, account.auth_token)

    def handshake(self, account: TwilioAccount, request: CallbackRequest) -> CallbackReply | None:
        return None  # Twilio has no URL-verification request

    def parse(self, account: TwilioAccount, request: CallbackRequest) -> list[ChannelEvent]:
        return twilio_parse.parse(request)

    def acknowledge(self, request: CallbackRequest) -> CallbackReply:
        """Empty TwiML: no reply to a message; for a call, use ``answer_call``."""
        return CallbackReply(body=twiml.empty(), content_type=twiml.CONTENT_TYPE)

    @staticmethod
    def answer_call(answer: twiml.CallAnswer) -> CallbackReply:
        return CallbackReply(body=twiml.answer_call(answer), content_type=twiml.CONTENT_TYPE)

    async def close(self) -> None:
        await self._http.close()


def _retry_after(answer: HttpAnswer) -> float | None:
    value = answer.headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _error(answer: HttpAnswer) -> ProviderError:
    read = wire.read_error(answer.json())
    if read is None:
        return from_http_status(answer.status, answer.excerpt)
    code, title, details = read
    return classify(code, title, details=details, retry_after=_retry_after(answer))


def _conforms(channel: TwilioChannel) -> DirectChannel[TwilioAccount]:
    """mypy checks here that the adapter implements the Direct port."""
    return channel
