"""Twilio callbacks → typed events: status callbacks, inbound SMS, inbound voice calls.

Twilio POSTs form parameters (GET puts them in the query). Which callback it is follows from the
parameters: ``MessageStatus`` of an outbound message → ``StatusUpdate``; ``CallSid`` →
``InboundCall``; a ``MessageSid`` with a ``Body`` → ``InboundText``. Unknown parameters are
ignored (Twilio adds them without notice); what cannot be read is an ``Unknown`` event.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from relaybird.providers.channel import CallbackRequest, MalformedCallback
from relaybird.providers.channel_events import (
    ChannelEvent,
    DeliveryState,
    InboundCall,
    InboundText,
    StatusUpdate,
    Unknown,
)
from relaybird.providers.twilio.errors import classify
from relaybird.providers.twilio.keywords import keyword

NETWORK = "SMS_DIRECT"
# The query parameter of our StatusCallback URL that carries OutboundText.callback_data back
# (Twilio signs the whole URL, so it cannot be altered).
CALLBACK_PARAM = "rb"

_STATES = {
    "accepted": DeliveryState.ACCEPTED,
    "scheduled": DeliveryState.ACCEPTED,
    "queued": DeliveryState.ACCEPTED,
    "sending": DeliveryState.ACCEPTED,
    "sent": DeliveryState.SENT,
    # Deprecated: some segments arrived; not all, so not delivered.
    "partially_delivered": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "undelivered": DeliveryState.FAILED,
    "failed": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}
_INBOUND_STATUSES = frozenset({"received", "receiving"})


def form_params(request: CallbackRequest) -> dict[str, list[str]]:
    """Every parameter Twilio sent (all values of a repeated name), as the signature needs."""
    if request.method.upper() == "GET":
        return {}
    try:
        text = request.body.decode()
    except UnicodeDecodeError:
        raise MalformedCallback("the body is not UTF-8 form data") from None
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    return params


def _flat(request: CallbackRequest) -> dict[str, str]:
    if request.method.upper() == "GET":
        return request.query
    return {name: values[-1] for name, values in form_params(request).items()}


def parse(request: CallbackRequest) -> list[ChannelEvent]:
    params = _flat(request)
    return [parse_params(params, callback_data=request.query.get(CALLBACK_PARAM))]


def parse_params(params: Mapping[str, str], callback_data: str | None = None) -> ChannelEvent:
    status = params.get("MessageStatus")
    if status and status not in _INBOUND_STATUSES:
        return _status(params, status, callback_data)
    if params.get("CallSid"):
        return _call(params)
    message_sid = params.get("MessageSid") or params.get("SmsMessageSid")
    if message_sid and ("Body" in params or "NumMedia" in params):
        return _inbound(params, message_sid)
    return Unknown(NETWORK, "not a status, message or call callback", raw=dict(params))


def _status(params: Mapping[str, str], status: str, callback_data: str | None) -> ChannelEvent:
    sid = params.get("MessageSid") or params.get("SmsSid")
    state = _STATES.get(status)
    if not sid or state is None:
        return Unknown(
            NETWORK, f"status callback without a sid or with status {status!r}", raw=dict(params)
        )
    error = None
    code = params.get("ErrorCode")
    if code:
        try:
            error = classify(
                int(code),
                details={"ChannelStatusMessage": params.get("ChannelStatusMessage")}
                if params.get("ChannelStatusMessage")
                else None,
            )
        except ValueError:
            error = None
    return StatusUpdate(
        network=NETWORK,
        message_id=sid,
        state=state,
        provider_status=status,
        recipient=params.get("To"),
        at=None,  # Twilio's callbacks carry no event time (RawDlrDoneDate has no time zone)
        event_id=f"{sid}:{status}",
        callback_data=callback_data,
        error=error,
        raw=dict(params),
    )


def _call(params: Mapping[str, str]) -> ChannelEvent:
    sid = params["CallSid"]
    status = params.get("CallStatus", "")
    return InboundCall(
        network=NETWORK,
        account=params.get("To", ""),
        caller=params.get("From", "") or params.get("Caller", ""),
        call_id=sid,
        status=status,
        at=None,
        event_id=f"{sid}:{status}",
        forwarded_from=params.get("ForwardedFrom") or None,
        raw=dict(params),
    )


def _inbound(params: Mapping[str, str], sid: str) -> ChannelEvent:
    body = params.get("Body", "")
    try:
        media = int(params.get("NumMedia", "0") or 0)
    except ValueError:
        media = 0
    return InboundText(
        network=NETWORK,
        account=params.get("To", ""),
        sender=params.get("From", ""),
        message_id=sid,
        text=body,
        at=None,
        event_id=sid,
        keyword=keyword(body, params.get("OptOutType")),
        media_count=media,
        raw=dict(params),
    )
