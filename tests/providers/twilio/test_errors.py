"""The Twilio error table: every row classifies as written, and unknown codes by family."""

from __future__ import annotations

import pytest

from relaybird.providers.port import ErrorKind, RecipientEffect, SenderEffect
from relaybird.providers.twilio.errors import ERROR_TABLE, classify, from_http_status


@pytest.mark.parametrize("code", sorted(ERROR_TABLE))
def test_every_row(code: int) -> None:
    kind, effect, why = ERROR_TABLE[code]
    error = classify(code)
    assert (error.kind, error.recipient_effect, error.title, error.code) == (
        kind,
        effect,
        why,
        code,
    )


@pytest.mark.parametrize(
    ("code", "kind", "effect"),
    [
        (21211, ErrorKind.RECIPIENT_PERMANENT, RecipientEffect.INVALID_ADDRESS),
        (21610, ErrorKind.RECIPIENT_PERMANENT, RecipientEffect.OPTED_OUT),
        (21614, ErrorKind.RECIPIENT_PERMANENT, RecipientEffect.INVALID_ADDRESS),
        (30003, ErrorKind.RECIPIENT_TRANSIENT, None),
        (30005, ErrorKind.RECIPIENT_PERMANENT, RecipientEffect.INVALID_ADDRESS),
        (30007, ErrorKind.TEMPLATE_STOP, None),
        (30008, ErrorKind.RECIPIENT_TRANSIENT, None),
        (20429, ErrorKind.SENDER_TRANSIENT, None),
        (20003, ErrorKind.SENDER_STOP, None),
    ],
)
def test_the_codes_that_matter_most(
    code: int, kind: ErrorKind, effect: RecipientEffect | None
) -> None:
    error = classify(code, "from Twilio")
    assert (error.kind, error.recipient_effect, error.title) == (kind, effect, "from Twilio")


def test_fallbacks() -> None:
    assert classify(30999).kind is ErrorKind.RECIPIENT_TRANSIENT  # a delivery outcome
    assert classify(99999).kind is ErrorKind.SENDER_TRANSIENT
    assert classify(30002).sender_effect is SenderEffect.RESTRICTED
    assert from_http_status(401, "").code == 20003
    assert from_http_status(429, "").kind is ErrorKind.SENDER_TRANSIENT
    bare = from_http_status(502, "<html>bad gateway</html>")
    assert bare.kind is ErrorKind.SENDER_TRANSIENT and bare.code is None
