"""The one classifier of Graph API errors: ``error.code`` → ErrorKind (DESIGN.md §3).

Keyed on the code, never on the HTTP status: Meta throttles with HTTP 400 (130429, 131056, 4,
80007) and reports outages as 500/503. The table is data; ``tests/providers`` has a test per row.
Codes not in the table fall back on what Meta's reference says of their family (see
``_fallback``).
"""

from __future__ import annotations

from typing import Any

from relaybird.providers.port import ErrorKind, ProviderError, SenderEffect

RP, RT, ST, SS, TS = (
    ErrorKind.RECIPIENT_PERMANENT,
    ErrorKind.RECIPIENT_TRANSIENT,
    ErrorKind.SENDER_TRANSIENT,
    ErrorKind.SENDER_STOP,
    ErrorKind.TEMPLATE_STOP,
)

# code → (kind, why). docs/reference/whatsapp-cloud-api.md §4 is the source of each row.
ERROR_TABLE: dict[int, tuple[ErrorKind, str]] = {
    # recipient-permanent: this recipient only, do not retry as is
    131026: (RP, "message undeliverable: not on WhatsApp / old client / ToS not accepted"),
    131021: (RP, "recipient cannot be the sender"),
    130472: (RP, "user's number is part of an experiment"),
    131047: (RP, "more than 24 h since the user's last message (free-form outside the window)"),
    131049: (RP, "Meta chose not to deliver (per-user marketing limit)"),
    131050: (RP, "user stopped marketing messages"),
    130497: (RP, "business may not message users in that country"),
    137000: (RP, "identity key hash mismatch"),
    # recipient-transient: retry this recipient later, the others continue
    131056: (RT, "pair rate limit: too many messages to this user"),
    # sender-transient: back off the whole number
    130429: (ST, "throughput rate limit hit"),
    131000: (ST, "something went wrong"),  # ISOLATED: this request, unless a burst
    131016: (ST, "service unavailable"),
    131057: (ST, "account in maintenance mode"),
    2: (ST, "API service temporarily unavailable"),
    133004: (ST, "server temporarily unavailable"),
    4: (ST, "app API call rate limit"),
    80007: (ST, "WABA rate limit"),
    # sender-stop: pause campaigns on this number until a human fixes it
    131042: (SS, "business eligibility / payment issue"),
    131031: (SS, "account locked"),
    368: (SS, "temporarily blocked for policy violations"),
    133010: (SS, "phone number not registered"),
    131037: (SS, "display name not approved"),
    190: (SS, "access token expired or invalid"),
    0: (SS, "authentication exception"),
    10: (SS, "permission denied"),
    131005: (SS, "access denied"),
    131048: (SS, "spam rate limit: the number's sending is restricted"),
    # template-stop: the template (or the payload every recipient shares) is wrong
    132000: (TS, "template parameter count mismatch"),
    132001: (TS, "template does not exist in that language / not approved"),
    132005: (TS, "hydrated template text too long"),
    132007: (TS, "template format character policy violated"),
    132012: (TS, "template parameter format mismatch"),
    132015: (TS, "template paused (low quality)"),
    132016: (TS, "template disabled"),
    131051: (TS, "unsupported message type"),
    131053: (TS, "media upload error"),
    100: (TS, "invalid parameter"),
    131008: (TS, "required parameter missing"),
    131009: (TS, "parameter value not valid"),
    135000: (TS, "generic user error in the request"),
}

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


def _fallback(code: int) -> ErrorKind:
    if code in _PERMISSION_RANGE:
        return SS
    if 132000 <= code < 133000:  # the template family
        return TS
    # Unknown codes: back off the sender rather than burn through recipients or stop a campaign
    # for good; the code and title are kept on the attempt for a human to read.
    return ST


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
        sender_effect=SENDER_EFFECTS.get(code) or (DEFAULT_SENDER_EFFECT if kind == SS else None),
        unknown_object=code == 100 and (details or {}).get("error_subcode") == UNKNOWN_OBJECT,
        isolated=code in ISOLATED,
    )


def transport_error(title: str, *, ambiguous: bool) -> ProviderError:
    """Timeouts and connection errors: sender-transient but ``isolated`` (the recipient is
    retried; only a burst of them slows the sender). ``ambiguous`` when the request may have
    reached Meta (the message may have gone out; a blind retry could send it twice)."""
    return ProviderError(kind=ST, code=None, title=title, ambiguous=ambiguous, isolated=True)


def unsendable_request(title: str) -> ProviderError:
    """The request could not even be written (aiohttp refused a header or URL built from the
    sender's stored credentials, e.g. a token with control characters): nothing left, and
    nothing will until the sender's credentials are fixed. Sender-stop, never ambiguous."""
    return ProviderError(kind=ErrorKind.SENDER_STOP, code=None, title=title, ambiguous=False)
