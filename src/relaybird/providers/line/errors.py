"""The one classifier of LINE Messaging API errors: (HTTP status, message) → ErrorKind.

LINE has no numeric error codes: the status says the class, and for 400 and 429 the documented
``message`` tells the cases apart (a user id from another provider vs a bad body; the per-second
rate limit vs the monthly quota, which only next month or a plan change lifts). Rows: reference
§ "Status codes" and § "Error messages" of developers.line.biz/en/reference/messaging-api/
(docs/reference/networks.md §2.2). ``ProviderError.code`` is the HTTP status.
A 409 on a retried push is not an error: the client reads it as the accepted send.
"""

from __future__ import annotations

from typing import Any

from relaybird.providers.line import wire
from relaybird.providers.port import ErrorKind, ProviderError, RecipientEffect

# (status, message prefix or None for any) → (kind, recipient effect, why); first match wins.
ERROR_TABLE: tuple[tuple[int, str | None, ErrorKind, RecipientEffect | None, str], ...] = (
    (
        400,
        wire.FAILED_TO_SEND,
        ErrorKind.RECIPIENT_PERMANENT,
        RecipientEffect.INVALID_ADDRESS,
        "the user id does not exist or belongs to another provider",
    ),
    (400, None, ErrorKind.TEMPLATE_STOP, None, "invalid request: message object or property"),
    (
        401,
        None,
        ErrorKind.SENDER_STOP,
        None,
        "the channel access token is invalid, expired or revoked",
    ),
    (403, None, ErrorKind.SENDER_STOP, None, "this API is not available for the account or plan"),
    (
        404,
        None,
        ErrorKind.RECIPIENT_PERMANENT,
        RecipientEffect.INVALID_ADDRESS,
        "no such user for this channel",
    ),
    (413, None, ErrorKind.TEMPLATE_STOP, None, "request larger than 2 MB"),
    (429, wire.MONTHLY_LIMIT, ErrorKind.SENDER_STOP, None, "monthly message quota reached"),
    (
        429,
        None,
        ErrorKind.SENDER_TRANSIENT,
        None,
        "rate limit or concurrent-operation limit exceeded",
    ),
)


def _row(status: int, message: str) -> tuple[ErrorKind, RecipientEffect | None, str] | None:
    for row_status, prefix, kind, effect, why in ERROR_TABLE:
        if row_status == status and (prefix is None or message.startswith(prefix)):
            return kind, effect, why
    return None


def classify(
    status: int,
    message: str = "",
    *,
    details: dict[str, Any] | None = None,
    retry_after: float | None = None,
) -> ProviderError:
    row = _row(status, message)
    if row is None:
        # 5xx (retry with the same retry key) and anything undocumented: back off the sender.
        kind, effect, why = ErrorKind.SENDER_TRANSIENT, None, f"HTTP {status}"
    else:
        kind, effect, why = row
    return ProviderError(
        kind=kind,
        code=status,
        title=message or why,
        retry_after=retry_after,
        details=details or {},
        recipient_effect=effect,
    )
