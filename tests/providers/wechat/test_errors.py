"""The WeChat errcode table."""

from __future__ import annotations

import pytest

from relaybird.providers.port import ErrorKind, RecipientEffect
from relaybird.providers.wechat.errors import ERROR_TABLE, TOKEN_STALE, classify


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


def test_the_codes_that_matter_most() -> None:
    assert TOKEN_STALE == {40001, 40014, 42001}
    assert classify(45015).recipient_effect is RecipientEffect.WINDOW_CLOSED
    assert classify(45047).recipient_effect is RecipientEffect.WINDOW_CLOSED
    assert classify(43004).recipient_effect is RecipientEffect.NOT_FOLLOWING
    assert classify(-1).kind is ErrorKind.SENDER_TRANSIENT
    assert classify(40125).kind is ErrorKind.SENDER_STOP
    assert classify(12345, "new").kind is ErrorKind.SENDER_TRANSIENT
