"""The one classifier of WeChat API errors: ``errcode`` → ErrorKind.

Answers are HTTP 200 with ``{"errcode": n, "errmsg": ...}``; 0 is success. 40001/40014/42001 say
the access token is stale: the client refreshes it (once across workers) and retries once, so
they reach the engine only when the retry failed too. Source of each row: WeChat's global return
codes (developers.weixin.qq.com .../Global_Return_Code.html, via wechatpy ``constants.py``) and
docs/reference/networks.md §3.7.
"""

from __future__ import annotations

from typing import Any

from relaybird.providers.port import ErrorKind, ProviderError, RecipientEffect

WINDOW = RecipientEffect.WINDOW_CLOSED

# The access token is stale: refresh it and retry once.
TOKEN_STALE = frozenset({40001, 40014, 42001})

# errcode → (kind, recipient effect, why)
ERROR_TABLE: dict[int, tuple[ErrorKind, RecipientEffect | None, str]] = {
    -1: (ErrorKind.SENDER_TRANSIENT, None, "system busy: retry later"),
    40001: (ErrorKind.SENDER_TRANSIENT, None, "access token invalid or not the latest"),
    40014: (ErrorKind.SENDER_TRANSIENT, None, "access token invalid"),
    42001: (ErrorKind.SENDER_TRANSIENT, None, "access token expired"),
    41001: (ErrorKind.SENDER_STOP, None, "access token missing"),
    40013: (ErrorKind.SENDER_STOP, None, "invalid AppID"),
    40125: (ErrorKind.SENDER_STOP, None, "invalid AppSecret"),
    40164: (ErrorKind.SENDER_STOP, None, "the caller's IP is not in the account's whitelist"),
    48001: (ErrorKind.SENDER_STOP, None, "API not authorised for this account"),
    40003: (
        ErrorKind.RECIPIENT_PERMANENT,
        RecipientEffect.INVALID_ADDRESS,
        "invalid OpenID (not this account's follower)",
    ),
    43004: (
        ErrorKind.RECIPIENT_PERMANENT,
        RecipientEffect.NOT_FOLLOWING,
        "the user does not follow the account",
    ),
    43019: (ErrorKind.RECIPIENT_PERMANENT, None, "the user is in the account's blacklist"),
    45015: (
        ErrorKind.RECIPIENT_PERMANENT,
        WINDOW,
        "outside the 48 h customer-service window (or unfollowed)",
    ),
    45047: (
        ErrorKind.RECIPIENT_PERMANENT,
        WINDOW,
        "customer-service message quota for this window used up",
    ),
    45009: (ErrorKind.SENDER_TRANSIENT, None, "daily API call limit reached"),
    45011: (ErrorKind.SENDER_TRANSIENT, None, "API called too often"),
    44004: (ErrorKind.TEMPLATE_STOP, None, "empty message content"),
    45002: (ErrorKind.TEMPLATE_STOP, None, "message content too long"),
    40008: (ErrorKind.TEMPLATE_STOP, None, "invalid message type"),
}


def classify(
    errcode: int, errmsg: str = "", *, details: dict[str, Any] | None = None
) -> ProviderError:
    row = ERROR_TABLE.get(errcode)
    return ProviderError(
        # Unknown codes: back off the sender rather than give up on a person.
        kind=row[0] if row else ErrorKind.SENDER_TRANSIENT,
        code=errcode,
        title=errmsg or (row[2] if row else f"WeChat errcode {errcode}"),
        details=details or {},
        recipient_effect=row[1] if row else None,
    )
