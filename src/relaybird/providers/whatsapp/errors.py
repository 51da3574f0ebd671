"""The one classifier of Graph API errors: ``error.code`` → ErrorKind (DESIGN.md §3).

Keyed on the code, never on the HTTP status: Meta throttles with HTTP 400 (130429, 131056, 4,
80007) and reports outages as 500/503. The table is data; ``tests/providers`` has a test per row.
Codes not in the table fall back on what Meta's reference says of their family (see
``_fallback``).
"""

from __future__ import annotations

from typing import Any

from relaybird.providers.port import ErrorKind, ProviderError, SenderEffect

# code → (kind, why). docs/reference/whatsapp-cloud-api.md §4 is the source of each row.
ERROR_TABLE: dict[int, tuple[ErrorKind, str]] = {
    # recipient-permanent: this recipient only, do not retry as is
    131026: (
        ErrorKind.RECIPIENT_PERMANENT,
        "message undeliverable: not on WhatsApp / old client / ToS not accepted",
    ),
    131021: (ErrorKind.RECIPIENT_PERMANENT, "recipient cannot be the sender"),
    130472: (ErrorKind.RECIPIENT_PERMANENT, "user's number is part of an experiment"),
    131047: (
        ErrorKind.RECIPIENT_PERMANENT,
        "more than 24 h since the user's last message (free-form outside the window)",
    ),
    131049: (ErrorKind.RECIPIENT_PERMANENT, "Meta chose not to deliver (per-user marketing limit)"),
    131050: (ErrorKind.RECIPIENT_PERMANENT, "user stopped marketing messages"),
    130497: (ErrorKind.RECIPIENT_PERMANENT, "business may not message users in that country"),
    137000: (ErrorKind.RECIPIENT_PERMANENT, "identity key hash mismatch"),
    # recipient-transient: retry this recipient later, the others continue
    131056: (ErrorKind.RECIPIENT_TRANSIENT, "pair rate limit: too many messages to this user"),
    # sender-transient: back off the whole number
    130429: (ErrorKind.SENDER_TRANSIENT, "throughput rate limit hit"),
    131000: (
        ErrorKind.SENDER_TRANSIENT,
        "something went wrong",
    ),  # ISOLATED: this request, unless a burst
    131016: (ErrorKind.SENDER_TRANSIENT, "service unavailable"),
    131057: (ErrorKind.SENDER_TRANSIENT, "account in maintenance mode"),
    2: (ErrorKind.SENDER_TRANSIENT, "API service temporarily unavailable"),
    133004: (ErrorKind.SENDER_TRANSIENT, "server temporarily unavailable"),
    4: (ErrorKind.SENDER_TRANSIENT, "app API call rate limit"),
    80007: (ErrorKind.SENDER_TRANSIENT, "WABA rate limit"),
    # sender-stop: pause campaigns on this number until a human fixes it
    131042: (ErrorKind.SENDER_STOP, "business eligibility / payment issue"),
    131031: (ErrorKind.SENDER_STOP, "account locked"),
    368: (ErrorKind.SENDER_STOP, "temporarily blocked for policy violations"),
    133010: (ErrorKind.SENDER_STOP, "phone number not registered"),
    131037: (ErrorKind.SENDER_STOP, "display name not approved"),
    190: (ErrorKind.SENDER_STOP, "access token expired or invalid"),
    0: (ErrorKind.SENDER_STOP, "authentication exception"),
    10: (ErrorKind.SENDER_STOP, "permission denied"),
    131005: (ErrorKind.SENDER_STOP, "access denied"),
    131048: (ErrorKind.SENDER_STOP, "spam rate limit: the number's sending is restricted"),
    # template-stop: the template (or the payload every recipient shares) is wrong
    132000: (ErrorKind.TEMPLATE_STOP, "template parameter count mismatch"),
    132001: (ErrorKind.TEMPLATE_STOP, "template does not exist in that language / not approved"),
    132005: (ErrorKind.TEMPLATE_STOP, "hydrated template text too long"),
    132007: (ErrorKind.TEMPLATE_STOP, "template format character policy violated"),
    132012: (ErrorKind.TEMPLATE_STOP, "template parameter format mismatch"),
    132015: (ErrorKind.TEMPLATE_STOP, "template paused (low quality)"),
    132016: (ErrorKind.TEMPLATE_STOP, "template disabled"),
    131051: (ErrorKind.TEMPLATE_STOP, "unsupported message type"),
    131053: (ErrorKind.TEMPLATE_STOP, "media upload error"),
    100: (ErrorKind.TEMPLATE_STOP, "invalid parameter"),
    131008: (ErrorKind.TEMPLATE_STOP, "required parameter missing"),
    131009: (ErrorKind.TEMPLATE_STOP, "parameter value not valid"),
    135000: (ErrorKind.TEMPLATE_STOP, "generic user error in the request"),
}

# The template-stops that are Meta's state of the template (not a fault of our payload): a
# campaign they pause waits for the template, and resumes (auto_resume) when Meta's template
# webhook says it is sendable again.
TEMPLATE_STATE_CODES = frozenset({132001, 132015, 132016})

# What a sender-stop error says about the number itself (feeds the sender lifecycle through
# senders.service.on_send_error): every sender-stop error does, so that whatever says the number
# cannot send, its campaigns wait the same way (RUNNING, with a waiting reason) and resume when a
# later reading says it can. Bans arrive as account_update webhooks and syncs, not as send
# errors, so no code here means BANNED.
SENDER_EFFECTS: dict[int, SenderEffect] = {
    133010: SenderEffect.UNREACHABLE,  # not registered: OFFLINE until a sync says more
    131031: SenderEffect.RESTRICTED,  # account locked
    368: SenderEffect.RESTRICTED,  # temporarily blocked for policy violations
    131048: SenderEffect.RESTRICTED,  # spam rate limit: business-initiated sending restricted
}
# The other sender-stop codes (token, permission, payment, display name): the provider will not
# send from the number at all; OFFLINE until a sync made after the error reads it sendable.
DEFAULT_SENDER_EFFECT = SenderEffect.UNREACHABLE

# Sender-transient codes that concern one request, not the number (Meta: "retry with backoff",
# no sender scope): the recipient is retried; only a burst of them slows the sender down.
ISOLATED = frozenset({131000})

# Graph permission errors are the whole 200–299 range (Meta: "API permission").
_PERMISSION_RANGE = range(200, 300)


def kind_of(code: int) -> ErrorKind:
    row = ERROR_TABLE.get(code)
    if row is not None:
        return row[0]
    return _fallback(code)


def describe(code: int) -> str | None:
    """What the table says a code means (a title to show when Meta's own was not kept)."""
    row = ERROR_TABLE.get(code)
    return row[1] if row else None


def _fallback(code: int) -> ErrorKind:
    if code in _PERMISSION_RANGE:
        return ErrorKind.SENDER_STOP
    if 132000 <= code < 133000:  # the template family
        return ErrorKind.TEMPLATE_STOP
    # Unknown codes: back off the sender rather than burn through recipients or stop a campaign
    # for good; the code and title are kept on the attempt for a human to read.
    return ErrorKind.SENDER_TRANSIENT


# Graph's "Unsupported get request. Object with ID '…' does not exist, cannot be loaded due to
# missing permissions, or does not support this operation" (code 100).
UNKNOWN_OBJECT = 33


def classify(
    code: int,
    title: str = "",
    *,
    details: dict[str, Any] | None = None,
    retry_after: float | None = None,
) -> ProviderError:
    row = ERROR_TABLE.get(code)
    kind = kind_of(code)
    return ProviderError(
        kind=kind,
        code=code,
        title=title or (row[1] if row else f"Graph error {code}"),
        retry_after=retry_after,
        details=details or {},
        sender_effect=SENDER_EFFECTS.get(code)
        or (DEFAULT_SENDER_EFFECT if kind == ErrorKind.SENDER_STOP else None),
        unknown_object=code == 100 and (details or {}).get("error_subcode") == UNKNOWN_OBJECT,
        isolated=code in ISOLATED,
    )


def transport_error(title: str, *, ambiguous: bool) -> ProviderError:
    """Timeouts and connection errors: sender-transient but ``isolated`` (the recipient is
    retried; only a burst of them slows the sender). ``ambiguous`` when the request may have
    reached Meta (the message may have gone out; a blind retry could send it twice)."""
    return ProviderError(
        kind=ErrorKind.SENDER_TRANSIENT, code=None, title=title, ambiguous=ambiguous, isolated=True
    )


def unsendable_request(title: str) -> ProviderError:
    """The request could not even be written (aiohttp refused a header or URL built from the
    sender's stored credentials, e.g. a token with control characters): nothing left, and
    nothing will until the sender's credentials are fixed. Sender-stop, never ambiguous."""
    return ProviderError(kind=ErrorKind.SENDER_STOP, code=None, title=title, ambiguous=False)
