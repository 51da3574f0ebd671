"""Twilio's shapes on the wire: the Messages.json request (form-encoded) and its JSON answer,
REST error bodies (legacy and RFC 9457), and the form parameters of the callbacks Twilio sends
(status callbacks, inbound SMS, inbound calls) with builders for the simulator.

Pure (pydantic and the standard library): the adapter and the simulator share these.
Reference: docs/reference/networks.md §1.2–§1.5, §1.8.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

API_VERSION = "2010-04-01"
BODY_MAX = 1600

# Message statuses (resource and callbacks), Twilio's words.
OUTBOUND_STATUSES = frozenset(
    {
        "accepted",
        "scheduled",
        "queued",
        "sending",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "read",
        "canceled",
        "partially_delivered",
    }
)


class _Wire(BaseModel):
    # Twilio adds fields without notice: neither side may choke on one it does not know.
    model_config = ConfigDict(extra="allow")


def messages_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"


def send_form(
    *,
    to: str,
    body: str,
    from_: str | None = None,
    messaging_service_sid: str | None = None,
    status_callback: str | None = None,
) -> dict[str, str]:
    """The form fields of ``POST .../Messages.json`` (From or MessagingServiceSid)."""
    form = {"To": to, "Body": body}
    if from_:
        form["From"] = from_
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if status_callback:
        form["StatusCallback"] = status_callback
    return form


class MessageResource(_Wire):
    """The 201 answer (and GET) of a Message."""

    sid: str
    status: str
    to: str | None = None
    body: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    num_segments: str | None = None
    direction: str | None = None
    account_sid: str | None = None
    messaging_service_sid: str | None = None
    date_created: str | None = None


class LegacyError(_Wire):
    code: int
    message: str = ""
    more_info: str | None = None
    status: int | None = None


class ProblemError(_Wire):
    """RFC 9457 bodies of newer endpoints (``type, title, status, code, detail``)."""

    type: str
    title: str
    status: int
    code: int
    detail: str | None = None


def read_error(data: Any) -> tuple[int, str, dict[str, Any]] | None:
    """(code, title, details) from either error shape, or None when it is neither."""
    if not isinstance(data, dict):
        return None
    if {"type", "title", "status", "code"} <= data.keys():
        try:
            problem = ProblemError.model_validate(data)
        except ValueError:
            return None
        return problem.code, problem.detail or problem.title, dict(data)
    try:
        legacy = LegacyError.model_validate(data)
    except ValueError:
        return None
    return legacy.code, legacy.message, dict(data)


def error_body(code: int, message: str, status: int) -> dict[str, Any]:
    """A legacy REST error body, as Twilio answers Messages.json."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


# --- identifiers and dates --------------------------------------------------------------------


def new_sid(prefix: str, *seed: object) -> str:
    """A Twilio-shaped SID: two letters + 32 hex (deterministic from ``seed``)."""
    digest = hashlib.sha256("|".join(map(str, seed)).encode()).hexdigest()[:32]
    return prefix + digest


def rfc2822(when: datetime) -> str:
    return format_datetime(when)


def message_resource(
    *,
    sid: str,
    account_sid: str,
    to: str,
    from_: str,
    body: str,
    status: str,
    created: datetime,
    messaging_service_sid: str | None = None,
) -> dict[str, Any]:
    date = rfc2822(created)
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": date,
        "date_sent": None,
        "date_updated": date,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": from_,
        "messaging_service_sid": messaging_service_sid,
        "num_media": "0",
        "num_segments": str(max(1, -(-len(body) // 153))) if len(body) > 160 else "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
        "to": to,
        "uri": uri,
    }


# --- callbacks (form parameters Twilio POSTs to us) -------------------------------------------


def status_callback_params(
    *,
    account_sid: str,
    message_sid: str,
    status: str,
    from_: str,
    to: str,
    error_code: int | None = None,
    raw_dlr_done_date: str | None = None,
) -> dict[str, str]:
    params = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "From": from_,
        "MessageSid": message_sid,
        "MessageStatus": status,
        "SmsSid": message_sid,
        "SmsStatus": status,
        "To": to,
    }
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    if raw_dlr_done_date is not None:
        params["RawDlrDoneDate"] = raw_dlr_done_date
    return params


def inbound_sms_params(
    *, account_sid: str, message_sid: str, from_: str, to: str, body: str
) -> dict[str, str]:
    return {
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "SmsMessageSid": message_sid,
        "AccountSid": account_sid,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }


def inbound_call_params(
    *, account_sid: str, call_sid: str, from_: str, to: str, status: str = "ringing"
) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": account_sid,
        "From": from_,
        "To": to,
        "Caller": from_,
        "Called": to,
        "CallStatus": status,
        "ApiVersion": API_VERSION,
        "Direction": "inbound",
    }
