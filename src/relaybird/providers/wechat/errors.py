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

RP, ST, SS, TS = (
    ErrorKind.RECIPIENT_PERMANENT,
    ErrorKind.SENDER_TRANSIENT,
    ErrorKind.SENDER_STOP,
    ErrorKind.TEMPLATE_STOP,  # here: the message itself is wrong
)
WINDOW = RecipientEffect.WINDOW_CLOSED

# The access token is stale: refresh it and retry once.
TOKEN_STALE = frozenset({40001, 40014, 42001})

# errcode → (kind, recipient effect, why)
ERROR_TABLE: dict[int, tuple[ErrorKind, RecipientEffect | None, str]] = {
    -1: (ST, None, "system busy: retry later"),
    40001: (ST, None, "access token invalid or not the latest"),
    40014: (ST, None, "access token invalid"),
    42001: (ST, None, "access token expired"),
    41001: (SS, None, "access token missing"),
    40013: (SS, None, "invalid AppID"),
    40125: (SS, None, "invalid AppSecret"),
    40164: (SS, None, "the caller's IP is not in the account's whitelist"),
    48001: (SS, None, "API not authorised for this account"),
    40003: (RP, RecipientEffect.INVALID_ADDRESS, "invalid OpenID (not this account's follower)"),
    43004: (RP, RecipientEffect.NOT_FOLLOWING, "the user does not follow the account"),
    43019: (RP, None, "the user is in the account's blacklist"),
    45015: (RP, WINDOW, "outside the 48 h customer-service window (or unfollowed)"),
    45047: (RP, WINDOW, "customer-service message quota for this window used up"),
    45009: (ST, None, "daily API call limit reached"),
    45011: (ST, None, "API called too often"),
    44004: (TS, None, "empty message content"),
    45002: (TS, None, "message content too long"),
    40008: (TS, None, "invalid message type"),
}


def classify(
    errcode: int, errmsg: str = "", *, details: dict[str, Any] | None = None
) -> ProviderError:
    row = ERROR_TABLE.get(errcode)
    return ProviderError(
        # Unknown codes: back off the sender rather than give up on a person.
        kind=row[0] if row else ST,
        code=errcode,
        title=errmsg or (row[2] if row else f"WeChat errcode {errcode}"),
        details=details or {},
        recipient_effect=row[1] if row else None,
    )
