"""The LINE adapter: ``LineChannel`` implements the Direct port for a LINE Official Account.

Push: ``POST {base}/v2/bot/message/push`` with the channel access token and an
``X-Line-Retry-Key`` (a UUID; the same key on a retry makes LINE send once and answer 409 with the
accepted ``sentMessages``). A 200 means accepted, not delivered: LINE has no delivery receipt,
and a push to a user who blocked the account still answers 200 (the block arrives as
``unfollow``). ``base_url`` is https://api.line.me or the simulator's ``/line``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

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
from relaybird.providers.line import linking, signature, wire
from relaybird.providers.line.errors import classify
from relaybird.providers.line.parse import parse_body
from relaybird.providers.port import ProviderCallFailed, ProviderError, SendResult

# Derives a UUID retry key from any idempotency key (e.g. "m:123"), the same on every retry.
_RETRY_KEY_NAMESPACE = uuid.UUID("6f1d6f0e-5a8c-4bb0-9a58-2f4f0c1de7a1")


@dataclass(frozen=True)
class LineAccount:
    """One Messaging API channel of a LINE Official Account (a connector)."""

    channel_access_token: str = field(repr=False)
    channel_secret: str = field(repr=False)  # verifies x-line-signature
    bot_user_id: str | None = None  # the webhook's ``destination``


def retry_key(idempotency_key: str) -> str:
    try:
        return str(uuid.UUID(idempotency_key))
    except ValueError:
        return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, idempotency_key))


class LineChannel:
    network = DirectNetwork.LINE

    def __init__(
        self, base_url: str, *, access_url: str = linking.ACCESS_URL, timeout: float = 15.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_url = access_url.rstrip("/")
        self._http = ProviderHttp(timeout=timeout)

    def _headers(self, account: LineAccount) -> dict[str, str]:
        return {"Authorization": f"Bearer {account.channel_access_token}"}

    async def send_text(self, account: LineAccount, message: OutboundText) -> SendResult:
        headers = self._headers(account)
        if message.idempotency_key:
            headers[wire.RETRY_KEY_HEADER] = retry_key(message.idempotency_key)
        try:
            answer = await self._http.request(
                "POST",
                self.base_url + wire.PUSH_PATH,
                json_body=wire.push_request(message.to, message.text),
                headers=headers,
            )
        except TransportFailed as exc:
            return SendResult(error=exc.error)
        if answer.status == 200:
            return _accepted(answer)
        body = _error_body(answer)
        if answer.status == 409 and body is not None and body.message == wire.RETRY_KEY_ACCEPTED:
            # An earlier attempt with this key was accepted: that one is the send.
            return _accepted(answer, body.sentMessages)
        return SendResult(error=_error(answer, body))

    async def issue_link_token(self, account: LineAccount, user_id: str) -> str:
        """A single-use link token for ``user_id`` (valid 10 minutes)."""
        try:
            answer = await self._http.request(
                "POST",
                self.base_url + wire.link_token_path(user_id),
                headers=self._headers(account),
            )
        except TransportFailed as exc:
            raise ProviderCallFailed(exc.error) from None
        if answer.status != 200:
            raise ProviderCallFailed(_error(answer, _error_body(answer)))
        try:
            return wire.LinkTokenResponse.model_validate(answer.json()).linkToken
        except ValidationError:
            raise ProviderCallFailed(
                transport_error(f"unreadable link token answer: {answer.excerpt}", ambiguous=False)
            ) from None

    def link_url(self, link_token: str, nonce: str) -> str:
        """Where to redirect the user once our side knows them (see ``linking``)."""
        return linking.link_url(link_token, nonce, self.access_url)

    def verify(self, account: LineAccount, request: CallbackRequest) -> bool:
        return signature.verify(
            request.body, request.header(signature.HEADER), account.channel_secret
        )

    def handshake(self, account: LineAccount, request: CallbackRequest) -> CallbackReply | None:
        return None  # LINE's "Verify" button sends a signed POST with no events

    def parse(self, account: LineAccount, request: CallbackRequest) -> list[ChannelEvent]:
        return parse_body(request.body)

    def acknowledge(self, request: CallbackRequest) -> CallbackReply:
        return CallbackReply()

    async def close(self) -> None:
        await self._http.close()


def _accepted(answer: HttpAnswer, sent: list[wire.SentMessage] | None = None) -> SendResult:
    if sent is None:
        try:
            sent = wire.PushResponse.model_validate(answer.json()).sentMessages
        except ValidationError:
            sent = []
    if sent:
        return SendResult(message_id=sent[0].id)
    request_id = answer.headers.get(wire.ACCEPTED_REQUEST_ID_HEADER) or answer.headers.get(
        wire.REQUEST_ID_HEADER
    )
    return SendResult(message_id=f"line-request:{request_id or 'unknown'}")


def _error_body(answer: HttpAnswer) -> wire.ErrorBody | None:
    try:
        return wire.ErrorBody.model_validate(answer.json())
    except ValidationError:
        return None


def _error(answer: HttpAnswer, body: wire.ErrorBody | None) -> ProviderError:
    retry_after = None
    value = answer.headers.get("retry-after")
    if value:
        try:
            retry_after = float(value)
        except ValueError:
            retry_after = None
    if body is None:
        return classify(
            answer.status,
            f"HTTP {answer.status}: {answer.excerpt}".strip(),
            retry_after=retry_after,
        )
    details = body.model_dump(exclude_none=True)
    details["request_id"] = answer.headers.get(wire.REQUEST_ID_HEADER)
    return classify(answer.status, body.message, details=details, retry_after=retry_after)


def _conforms(channel: LineChannel) -> DirectChannel[LineAccount]:
    """mypy checks here that the adapter implements the Direct port."""
    return channel
