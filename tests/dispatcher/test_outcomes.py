"""The send-outcome decision (``dispatcher.outcomes.decide``), pure: every kind of outcome under
every policy, as a table and as a property. No database: the writing is ``record``'s, tested
end to end by the other dispatcher tests."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybird.campaigns.transitions import RECIPIENT, RecipientEvent, RecipientState
from relaybird.config import DeliveryPolicy
from relaybird.dispatcher.claim import Claimed
from relaybird.dispatcher.outcomes import Outcome, SendPolicy, decide
from relaybird.dispatcher.retry import RetryPolicy
from relaybird.providers.port import ErrorKind, ProviderError, SendResult

E = RecipientEvent
I, RS = RecipientState.INITIAL, RecipientState.RETRY_SCHEDULED
RETRY = RetryPolicy(max_attempts=3, base=timedelta(seconds=2))
AT_MOST, AT_LEAST = DeliveryPolicy.AT_MOST_ONCE, DeliveryPolicy.AT_LEAST_ONCE


def _item(attempts: int = 1, source: RecipientState = I) -> Claimed:
    return Claimed(7, 3, "+15550001111", ("Ann",), source, attempts)


def _failed(kind: ErrorKind, *, ambiguous: bool = False, isolated: bool = False) -> SendResult:
    return SendResult(error=ProviderError(kind, 1234, "boom", ambiguous, isolated=isolated))


ACCEPTED = SendResult(message_id="wamid.X")
RT, ST = ErrorKind.RECIPIENT_TRANSIENT, ErrorKind.SENDER_TRANSIENT

# (outcome, delivery policy, expected event, expected target, expected error title)
CASES = [
    (Outcome(_item(), ACCEPTED), AT_MOST, E.ACCEPTED, RecipientState.SENT, None),
    (Outcome(_item(), ACCEPTED), AT_LEAST, E.ACCEPTED, RecipientState.SENT, None),
    (Outcome(_item(), released=True), AT_MOST, E.RELEASED, I, None),
    (Outcome(_item(2, RS), released=True), AT_LEAST, E.RELEASED, RS, None),
    (Outcome(_item(), _failed(ErrorKind.SENDER_STOP)), AT_MOST, E.RELEASED, I, None),
    (Outcome(_item(2, RS), _failed(ErrorKind.TEMPLATE_STOP)), AT_LEAST, E.RELEASED, RS, None),
    (Outcome(_item(), unexpected="boom: KeyError"), AT_MOST, E.UNEXPECTED_FAILURE, "ERROR", None),
    (Outcome(_item()), AT_LEAST, E.UNEXPECTED_FAILURE, "ERROR", "unexpected failure"),
    (
        Outcome(_item(), _failed(ErrorKind.RECIPIENT_PERMANENT)),
        AT_MOST,
        E.NO_WHATSAPP_ACCOUNT,
        RecipientState.SENDING_FAILED,
        "boom",
    ),
    (Outcome(_item(), _failed(RT)), AT_MOST, E.TRANSIENT_ERROR, RS, "boom"),
    (Outcome(_item(), _failed(ST, isolated=True)), AT_LEAST, E.TRANSIENT_ERROR, RS, "boom"),
    (
        Outcome(_item(), _failed(ST, ambiguous=True)),
        AT_MOST,
        E.OUTCOME_UNKNOWN,
        "ERROR",
        "outcome unknown: boom",
    ),
    (Outcome(_item(), _failed(ST, ambiguous=True)), AT_LEAST, E.TRANSIENT_ERROR, RS, "boom"),
    (
        Outcome(_item(3), _failed(RT)),
        AT_MOST,
        E.RETRIES_EXHAUSTED,
        "ERROR",
        "boom (after 3 attempts)",
    ),
    (
        Outcome(_item(3), _failed(ST, ambiguous=True)),
        AT_LEAST,
        E.RETRIES_EXHAUSTED,
        "ERROR",
        "boom (after 3 attempts)",
    ),
]


@pytest.mark.parametrize(("outcome", "delivery", "event", "target", "title"), CASES)
def test_each_outcome_under_each_policy(
    outcome: Outcome, delivery: DeliveryPolicy, event: E, target: str, title: str | None
) -> None:
    d = decide(outcome, SendPolicy(RETRY, delivery), random.Random(1))
    assert (d.event, d.target) == (event, target)
    if outcome.unexpected:
        title = outcome.unexpected
    assert d.error_title == title
    assert d.recipient_id == outcome.item.id
    assert (d.wamid is not None) == (event == E.ACCEPTED)
    assert (d.retry_in is not None) == (event == E.TRANSIENT_ERROR)


outcomes = st.one_of(
    st.builds(lambda: ACCEPTED),
    st.none(),
    st.builds(
        _failed,
        st.sampled_from(ErrorKind),
        ambiguous=st.booleans(),
        isolated=st.booleans(),
    ),
)


@given(
    result=outcomes,
    released=st.booleans(),
    attempts=st.integers(min_value=1, max_value=8),
    source=st.sampled_from([I, RS]),
    max_attempts=st.integers(min_value=1, max_value=6),
    delivery=st.sampled_from(DeliveryPolicy),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_every_decision_is_a_row_of_the_recipient_table(
    result: SendResult | None,
    released: bool,
    attempts: int,
    source: RecipientState,
    max_attempts: int,
    delivery: DeliveryPolicy,
    seed: int,
) -> None:
    retry = RetryPolicy(max_attempts=max_attempts, base=timedelta(seconds=2))
    outcome = Outcome(_item(attempts, source), result, released=released)
    d = decide(outcome, SendPolicy(retry, delivery), random.Random(seed))
    # The target comes from the table: the move is one of its rows from IN_PROGRESS.
    assert RECIPIENT.can(RecipientState.IN_PROGRESS, d.event, d.target)
    error = result.error if result is not None else None
    stopped = error is not None and error.kind in {ErrorKind.SENDER_STOP, ErrorKind.TEMPLATE_STOP}
    # Never sent, or a stop: put back where it was claimed from, attempt not counted.
    assert (d.event == E.RELEASED) == (released or stopped)
    if d.event == E.RELEASED:
        assert d.target == source
    # A retry only with attempts left, and never of a send that may have gone out when the
    # policy is at-most-once.
    if d.event == E.TRANSIENT_ERROR:
        assert attempts < max_attempts
        assert error is not None
        assert not (error.ambiguous and delivery == AT_MOST)
        assert d.retry_in is not None
        step = min(retry.base if not error.isolated else retry.isolated_base, retry.base)
        bound = min(step * 2 ** (attempts - 1), retry.cap)
        assert bound / 2 <= d.retry_in < bound
    if error is not None and error.ambiguous and delivery == AT_MOST and not stopped:
        assert d.event in {E.OUTCOME_UNKNOWN, E.NO_WHATSAPP_ACCOUNT, E.RELEASED}
    if d.event in {E.RETRIES_EXHAUSTED, E.TRANSIENT_ERROR, E.OUTCOME_UNKNOWN}:
        assert error is not None and error.kind in {RT, ST}
        assert d.error_code == error.code


def test_the_event_names_are_the_tables() -> None:
    """RecipientEvent names every event of the RECIPIENT table, and nothing else."""
    assert {e.value for e in RecipientEvent} == set(RECIPIENT.events)
