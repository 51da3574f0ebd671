"""The one classifier of Twilio errors: Twilio's numeric error code → ErrorKind.

The same codes come back in REST error bodies (``{"code": 21211, ...}``) and as ``ErrorCode`` in
status callbacks of failed/undelivered messages. Twilio warns that the code for a given cause may
change, so unknown codes fall back by family (``_fallback``). Source of each row:
docs/reference/networks.md §1.8 (Twilio's error catalogue and pages, docs/api/errors/<code>).
"""

from __future__ import annotations

from typing import Any

from relaybird.providers.port import ErrorKind, ProviderError, RecipientEffect, SenderEffect

INVALID, OPTED_OUT = RecipientEffect.INVALID_ADDRESS, RecipientEffect.OPTED_OUT

# code → (kind, recipient effect, why)
ERROR_TABLE: dict[int, tuple[ErrorKind, RecipientEffect | None, str]] = {
    # the recipient: do not retry this number as is
    21211: (ErrorKind.RECIPIENT_PERMANENT, INVALID, "invalid 'To' phone number"),
    21614: (
        ErrorKind.RECIPIENT_PERMANENT,
        INVALID,
        "'To' is not a valid mobile number (landline or unreachable)",
    ),
    21610: (
        ErrorKind.RECIPIENT_PERMANENT,
        OPTED_OUT,
        "the recipient replied STOP to this sender: no messages until START",
    ),
    21608: (ErrorKind.RECIPIENT_PERMANENT, None, "trial account: the 'To' number is not verified"),
    30004: (ErrorKind.RECIPIENT_PERMANENT, None, "message blocked for this destination"),
    30005: (
        ErrorKind.RECIPIENT_PERMANENT,
        INVALID,
        "unknown destination handset (the number may not exist)",
    ),
    30006: (ErrorKind.RECIPIENT_PERMANENT, INVALID, "landline or unreachable carrier"),
    # the recipient, for now: retry later, a few times
    30003: (
        ErrorKind.RECIPIENT_TRANSIENT,
        None,
        "unreachable destination handset (off, no signal)",
    ),
    30008: (ErrorKind.RECIPIENT_TRANSIENT, None, "unknown delivery error"),
    14107: (
        ErrorKind.RECIPIENT_TRANSIENT,
        None,
        "too many messages between this pair of numbers in a short time",
    ),
    # the sender: back off
    20429: (ErrorKind.SENDER_TRANSIENT, None, "too many concurrent requests"),
    21611: (ErrorKind.SENDER_TRANSIENT, None, "the sender's queue holds more than 4 h of traffic"),
    30001: (ErrorKind.SENDER_TRANSIENT, None, "queue overflow"),
    30022: (ErrorKind.SENDER_TRANSIENT, None, "US A2P 10DLC carrier rate limit exceeded"),
    # the sender: stop until a human fixes the account or the number
    20003: (
        ErrorKind.SENDER_STOP,
        None,
        "authentication failed: check the Account SID and the token or API key",
    ),
    20404: (ErrorKind.SENDER_STOP, None, "the account or resource does not exist"),
    21408: (ErrorKind.SENDER_STOP, None, "SMS to this region is not enabled (Geo Permissions)"),
    21606: (
        ErrorKind.SENDER_STOP,
        None,
        "'From' is not a message-capable Twilio number of this account",
    ),
    21659: (
        ErrorKind.SENDER_STOP,
        None,
        "'From' is not a Twilio phone number or short code of this account",
    ),
    21661: (ErrorKind.SENDER_STOP, None, "'From' is not SMS-capable"),
    30002: (ErrorKind.SENDER_STOP, None, "account suspended"),
    30034: (
        ErrorKind.SENDER_STOP,
        None,
        "US A2P 10DLC: the sending number is not registered to a campaign",
    ),
    30032: (ErrorKind.SENDER_STOP, None, "toll-free number not verified"),
    # the message itself
    21602: (ErrorKind.TEMPLATE_STOP, None, "message body is required"),
    21617: (ErrorKind.TEMPLATE_STOP, None, "message body exceeds 1600 characters"),
    21658: (ErrorKind.TEMPLATE_STOP, None, "parameter exceeds its character limit"),
    30007: (ErrorKind.TEMPLATE_STOP, None, "filtered as spam or objectionable content"),
}

SENDER_EFFECTS: dict[int, SenderEffect] = {
    30002: SenderEffect.RESTRICTED,  # suspended account: nothing leaves
    21606: SenderEffect.UNREACHABLE,  # the number is not (or no longer) ours / not capable
    21659: SenderEffect.UNREACHABLE,
}


def _fallback(code: int) -> ErrorKind:
    if 30000 <= code < 31000:
        # Carrier delivery outcomes: about this message to this person.
        return ErrorKind.RECIPIENT_TRANSIENT
    # Unknown: back off the sender rather than give up on a person; the code is kept.
    return ErrorKind.SENDER_TRANSIENT


def classify(
    code: int,
    title: str = "",
    *,
    details: dict[str, Any] | None = None,
    retry_after: float | None = None,
) -> ProviderError:
    row = ERROR_TABLE.get(code)
    return ProviderError(
        kind=row[0] if row else _fallback(code),
        code=code,
        title=title or (row[2] if row else f"Twilio error {code}"),
        retry_after=retry_after,
        details=details or {},
        sender_effect=SENDER_EFFECTS.get(code),
        recipient_effect=row[1] if row else None,
    )


def from_http_status(status: int, excerpt: str) -> ProviderError:
    """An answer without a Twilio error body (a proxy's page, an outage)."""
    if status == 401:
        return classify(20003, f"HTTP 401 without an error body: {excerpt}")
    if status == 429:
        return classify(20429, "HTTP 429 without an error body")
    return ProviderError(
        kind=ErrorKind.SENDER_TRANSIENT,
        code=None,
        title=f"HTTP {status} without a Twilio error body: {excerpt}",
    )
