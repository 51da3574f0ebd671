"""The LINE error table on (HTTP status, message)."""

from __future__ import annotations

import pytest

from relaybird.providers.line import wire
from relaybird.providers.line.errors import ERROR_TABLE, classify
from relaybird.providers.port import ErrorKind, RecipientEffect


@pytest.mark.parametrize(
    ("status", "message", "kind", "effect"),
    [
        (400, wire.FAILED_TO_SEND, ErrorKind.RECIPIENT_PERMANENT, RecipientEffect.INVALID_ADDRESS),
        (400, "The request body has 1 error(s)", ErrorKind.TEMPLATE_STOP, None),
        (401, "Authentication failed due to the following reason: x", ErrorKind.SENDER_STOP, None),
        (403, wire.NOT_AVAILABLE, ErrorKind.SENDER_STOP, None),
        (413, "", ErrorKind.TEMPLATE_STOP, None),
        (429, wire.MONTHLY_LIMIT, ErrorKind.SENDER_STOP, None),
        (429, wire.RATE_LIMIT, ErrorKind.SENDER_TRANSIENT, None),
        (500, "Internal server error", ErrorKind.SENDER_TRANSIENT, None),
        (503, "", ErrorKind.SENDER_TRANSIENT, None),
    ],
)
def test_rows(status: int, message: str, kind: ErrorKind, effect: RecipientEffect | None) -> None:
    error = classify(status, message)
    assert (error.kind, error.recipient_effect, error.code) == (kind, effect, status)
    assert error.title


def test_every_row_is_reachable() -> None:
    for status, prefix, kind, effect, _why in ERROR_TABLE:
        error = classify(status, prefix or "anything")
        assert (error.kind, error.recipient_effect) == (kind, effect)
