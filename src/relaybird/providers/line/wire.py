"""LINE Messaging API shapes: push request and answer, error bodies, link token, and webhook
bodies (with builders for the simulator). Pure: the adapter and the simulator share these.
Reference: docs/reference/networks.md §2.2–§2.5.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PUSH_PATH = "/v2/bot/message/push"
TEXT_MAX = 5000
MESSAGES_MAX = 5
USER_ID = re.compile(r"^U[0-9a-f]{32}$")
RETRY_KEY_HEADER = "X-Line-Retry-Key"
REQUEST_ID_HEADER = "x-line-request-id"
ACCEPTED_REQUEST_ID_HEADER = "x-line-accepted-request-id"

# Error messages LINE documents (reference § "Error messages").
FAILED_TO_SEND = "Failed to send messages"
MONTHLY_LIMIT = "You have reached your monthly limit."
RATE_LIMIT = "The API rate limit has been exceeded. Try again later."
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
NOT_AVAILABLE = "Access to this API is not available for your account"
AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


def link_token_path(user_id: str) -> str:
    return f"/v2/bot/user/{user_id}/linkToken"


class TextMessage(_Wire):
    type: str = "text"
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class PushRequest(_Wire):
    to: str
    messages: list[dict[str, Any]] = Field(min_length=1, max_length=MESSAGES_MAX)
    notificationDisabled: bool = False  # LINE's field names are camelCase


def push_request(to: str, text: str) -> dict[str, Any]:
    return {"to": to, "messages": [{"type": "text", "text": text}]}


class SentMessage(_Wire):
    id: str
    quoteToken: str | None = None


class PushResponse(_Wire):
    sentMessages: list[SentMessage] = Field(default_factory=list)


class ErrorDetail(_Wire):
    message: str | None = None
    property: str | None = None


class ErrorBody(_Wire):
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)
    sentMessages: list[SentMessage] = Field(default_factory=list)


class LinkTokenResponse(_Wire):
    linkToken: str


def error_body(message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return body


# --- webhook bodies (builders for the simulator) ----------------------------------------------


def webhook_body(destination: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"destination": destination, "events": events}


def _event(kind: str, event_id: str, timestamp_ms: int, user_id: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms,
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
    }
    if user_id is not None:
        event["source"] = {"type": "user", "userId": user_id}
    return event


def message_event(
    event_id: str, timestamp_ms: int, user_id: str, message_id: str, text: str, reply_token: str
) -> dict[str, Any]:
    event = _event("message", event_id, timestamp_ms, user_id)
    event["replyToken"] = reply_token
    event["message"] = {"type": "text", "id": message_id, "text": text}
    return event


def follow_event(
    event_id: str, timestamp_ms: int, user_id: str, reply_token: str, unblocked: bool = False
) -> dict[str, Any]:
    event = _event("follow", event_id, timestamp_ms, user_id)
    event["replyToken"] = reply_token
    event["follow"] = {"isUnblocked": unblocked}
    return event


def unfollow_event(event_id: str, timestamp_ms: int, user_id: str) -> dict[str, Any]:
    return _event("unfollow", event_id, timestamp_ms, user_id)


def account_link_event(
    event_id: str, timestamp_ms: int, user_id: str | None, nonce: str, reply_token: str | None
) -> dict[str, Any]:
    """``ok`` when ``user_id`` is given; a failed link has neither source nor reply token."""
    event = _event("accountLink", event_id, timestamp_ms, user_id)
    if user_id is not None and reply_token is not None:
        event["replyToken"] = reply_token
    event["link"] = {"result": "ok" if user_id is not None else "failed", "nonce": nonce}
    return event
