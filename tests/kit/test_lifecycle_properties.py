"""Property tests: random event sequences (duplicates and reordered provider statuses included)
never reach an illegal state, never move a provider status backwards, and keep the counters,
the history and the rows in agreement. Pure first, then through the database on both backends."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from relaybird.campaigns.recipients import move_recipient
from relaybird.campaigns.transitions import PROVIDER_RANK, RECIPIENT, RecipientState
from relaybird.context import AppContext
from relaybird.errors import IllegalTransition
from relaybird.events.transitions import history
from relaybird.kit.state_machine import StateMachine
from relaybird.models import Recipient
from relaybird.senders.transitions import SENDER, SenderStatus
from tests.factories import (
    activity_and_counts,
    counters_and_counts,
    make_campaign,
    make_recipients,
    make_sender,
    make_workspace,
)

R = RecipientState

# Provider statuses dominate real traffic, so weight them: duplicates and reorderings are common.
RECIPIENT_EVENTS = st.sampled_from(
    [e for e in RECIPIENT.events if e not in {"imported", "imported_invalid", "imported_legacy"}]
    + ["status_sent", "status_delivered", "status_read", "status_failed"] * 3
)
TARGET_CHOICE = st.integers(min_value=0, max_value=3)


def _step(machine: StateMachine[Any], state: Any, event: str, choice: int) -> Any:
    """What the engine does: take the event's target if the table has one, else stay put."""
    options = machine.targets(state, event)
    if not options:
        return state
    return options[choice % len(options)]


@given(st.lists(st.tuples(RECIPIENT_EVENTS, TARGET_CHOICE), max_size=60))
def test_recipient_random_sequences_stay_legal_and_monotonic(seq: list[tuple[str, int]]) -> None:
    state: RecipientState = R.INITIAL
    for event, choice in seq:
        new = _step(RECIPIENT, state, event, choice)
        assert new in set(RecipientState)
        if state in PROVIDER_RANK and new in PROVIDER_RANK and state != new:
            assert PROVIDER_RANK[new] >= PROVIDER_RANK[state], (state, event, new)
        if state in (R.SENT, R.DELIVERED, R.READ):
            # Once the provider has it, nothing sends it again.
            assert new not in (R.INITIAL, R.IN_PROGRESS, R.RETRY_SCHEDULED)
        if state in RECIPIENT.final_states - {R.ERROR}:
            assert new == state
        state = new


@given(st.permutations(["status_sent", "status_delivered", "status_read"]), st.integers(0, 3))
def test_any_order_of_webhooks_ends_in_read(order: list[str], dupes: int) -> None:
    state: RecipientState = R.SENT
    for event in order + order[:dupes]:
        state = _step(RECIPIENT, state, event, 0)
    assert state == R.READ


SENDER_EVENTS = st.sampled_from([e for e in SENDER.events if e != "added"])


@given(st.lists(st.tuples(SENDER_EVENTS, TARGET_CHOICE), max_size=60))
def test_sender_random_sequences_stay_in_the_table(seq: list[tuple[str, int]]) -> None:
    state: SenderStatus = SenderStatus.PENDING
    for event, choice in seq:
        new = _step(SENDER, state, event, choice)
        if new != state:
            assert SENDER.can(state, event, new)
        assert new in set(SenderStatus)
        state = new


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(st.integers(0, 3), RECIPIENT_EVENTS, TARGET_CHOICE), min_size=1, max_size=40)
)
def test_recipient_sequences_through_the_database(
    ctx: AppContext, seq: list[tuple[int, str, int]]
) -> None:
    with ctx.db.write() as s:
        ws = make_workspace(s)
        cid = make_campaign(s, ws, make_sender(s, ws), state="RUNNING")
        ids = make_recipients(s, ws, cid, 4)
    expected = {rid: R.INITIAL for rid in ids}
    for index, event, choice in seq:
        rid = ids[index]
        want = _step(RECIPIENT, expected[rid], event, choice)
        with ctx.db.write() as s:
            try:
                move_recipient(s, rid, event=event, target=want, actor="prop")
            except IllegalTransition:
                assert want == expected[rid] and not RECIPIENT.can(expected[rid], event, want)
        expected[rid] = want
    with ctx.db.read() as s:
        states = dict(
            s.execute(
                select(Recipient.id, Recipient.state).where(Recipient.campaign_id == cid)
            ).all()
        )
        assert states == {k: str(v) for k, v in expected.items()}
        counters, counted = counters_and_counts(s, cid)
        assert counters == counted
        activity_counters, activity_counted = activity_and_counts(s, cid)
        assert activity_counters == activity_counted
        for rid in ids:
            chain = history(s, "recipient", rid, ws)
            state: str | None = "INITIAL"
            for h in chain:
                assert h.from_state == state
                state = h.to_state
            assert state == states[rid]
