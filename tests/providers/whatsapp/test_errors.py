"""The classifier: one test per Graph error code of DESIGN.md §3 and the reference table."""

from __future__ import annotations

import pytest

from relaybird.providers.port import ErrorKind, SenderEffect
from relaybird.providers.whatsapp.errors import (
    ERROR_TABLE,
    SENDER_EFFECTS,
    classify,
    kind_of,
    transport_error,
)

EXPECTED: dict[int, ErrorKind] = {
    131026: ErrorKind.RECIPIENT_PERMANENT,
    131021: ErrorKind.RECIPIENT_PERMANENT,
    130472: ErrorKind.RECIPIENT_PERMANENT,
    131047: ErrorKind.RECIPIENT_PERMANENT,
    131049: ErrorKind.RECIPIENT_PERMANENT,
    131050: ErrorKind.RECIPIENT_PERMANENT,
    130497: ErrorKind.RECIPIENT_PERMANENT,
    137000: ErrorKind.RECIPIENT_PERMANENT,
    131056: ErrorKind.RECIPIENT_TRANSIENT,
    130429: ErrorKind.SENDER_TRANSIENT,
    131000: ErrorKind.SENDER_TRANSIENT,
    131016: ErrorKind.SENDER_TRANSIENT,
    131057: ErrorKind.SENDER_TRANSIENT,
    2: ErrorKind.SENDER_TRANSIENT,
    133004: ErrorKind.SENDER_TRANSIENT,
    4: ErrorKind.SENDER_TRANSIENT,
    80007: ErrorKind.SENDER_TRANSIENT,
    131042: ErrorKind.SENDER_STOP,
    131031: ErrorKind.SENDER_STOP,
    368: ErrorKind.SENDER_STOP,
    133010: ErrorKind.SENDER_STOP,
    131037: ErrorKind.SENDER_STOP,
    190: ErrorKind.SENDER_STOP,
    0: ErrorKind.SENDER_STOP,
    10: ErrorKind.SENDER_STOP,
    131005: ErrorKind.SENDER_STOP,
    131048: ErrorKind.SENDER_STOP,
    132000: ErrorKind.TEMPLATE_STOP,
    132001: ErrorKind.TEMPLATE_STOP,
    132005: ErrorKind.TEMPLATE_STOP,
    132007: ErrorKind.TEMPLATE_STOP,
    132012: ErrorKind.TEMPLATE_STOP,
    132015: ErrorKind.TEMPLATE_STOP,
    132016: ErrorKind.TEMPLATE_STOP,
    131051: ErrorKind.TEMPLATE_STOP,
    131053: ErrorKind.TEMPLATE_STOP,
    100: ErrorKind.TEMPLATE_STOP,
    131008: ErrorKind.TEMPLATE_STOP,
    131009: ErrorKind.TEMPLATE_STOP,
    135000: ErrorKind.TEMPLATE_STOP,
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_code_has_its_kind(code: int) -> None:
    error = classify(code, "title from Meta")
    assert error.kind is EXPECTED[code]
    assert error.code == code
    assert error.title == "title from Meta"
    assert not error.ambiguous


def test_every_table_row_is_covered_by_a_test() -> None:
    assert set(ERROR_TABLE) == set(EXPECTED)


@pytest.mark.parametrize("code", [200, 250, 299])
def test_permission_range_200_to_299_stops_the_sender(code: int) -> None:
    assert kind_of(code) is ErrorKind.SENDER_STOP


def test_unknown_template_family_code_stops_the_template() -> None:
    assert kind_of(132999) is ErrorKind.TEMPLATE_STOP


def test_unknown_code_backs_off_the_sender_and_keeps_a_title() -> None:
    error = classify(999_999)
    assert error.kind is ErrorKind.SENDER_TRANSIENT
    assert error.title == "Graph error 999999"


def test_transport_errors_are_sender_transient() -> None:
    assert transport_error("timeout", ambiguous=True).kind is ErrorKind.SENDER_TRANSIENT
    assert transport_error("timeout", ambiguous=True).ambiguous
    assert not transport_error("refused", ambiguous=False).ambiguous


@pytest.mark.parametrize(
    ("code", "effect"),
    [
        (133010, SenderEffect.UNREACHABLE),
        (131031, SenderEffect.RESTRICTED),
        (368, SenderEffect.RESTRICTED),
        (131048, SenderEffect.RESTRICTED),
        (190, SenderEffect.UNREACHABLE),  # every sender-stop says the number cannot send
        (131042, SenderEffect.UNREACHABLE),
        (131037, SenderEffect.UNREACHABLE),
        (130429, None),
        (131026, None),
    ],
)
def test_sender_effect_of_a_code(code: int, effect: SenderEffect | None) -> None:
    assert classify(code).sender_effect == effect


def test_every_sender_effect_belongs_to_a_sender_stop_code() -> None:
    # The dispatcher applies effects where it handles sender-stop errors: nowhere else.
    assert all(kind_of(code) == ErrorKind.SENDER_STOP for code in SENDER_EFFECTS)
