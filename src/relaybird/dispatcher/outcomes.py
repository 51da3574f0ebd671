"""What a send's outcome means for its recipient: a pure decision, written by ``record``.

``decide(outcome, policy) → Decision`` (as procrastinate's retry strategy answers a failed job
with a ``RetryDecision``) names one event of the RECIPIENT table from IN_PROGRESS; the target is
the table's, never a second copy of it. By the provider's error kind (DESIGN.md §2.2, §3):
- accepted → ``accepted`` (SENT, with the wamid);
- recipient-permanent (131026) → ``no_whatsapp_account`` (SENDING_FAILED);
- recipient- or sender-transient → ``transient_error`` (RETRY_SCHEDULED, backoff with jitter)
  while attempts are left, else ``retries_exhausted`` (ERROR); an ambiguous failure (a timeout
  after the request went out: the message may have been sent) follows the delivery policy,
  at-most-once → ``outcome_unknown`` (ERROR);
- template-stop, sender-stop, or not sent at all (the runner gave it back) → ``released``: put
  back untouched, to the state it was claimed from (the stop itself is the runner's to act on);
- anything unexpected (the provider call raised) → ``unexpected_failure`` (ERROR).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from relaybird.campaigns.transitions import RECIPIENT, RecipientEvent, RecipientState
from relaybird.config import DeliveryPolicy
from relaybird.dispatcher.claim import Claimed
from relaybird.dispatcher.retry import RetryPolicy
from relaybird.providers.port import ErrorKind, ProviderError, SendResult

STOP_KINDS = frozenset({ErrorKind.SENDER_STOP, ErrorKind.TEMPLATE_STOP})


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed send."""

    item: Claimed
    result: SendResult | None = None
    # Not sent: put back untouched (a stop was seen, or the dispatcher is shutting down).
    released: bool = False
    unexpected: str | None = None

    @property
    def error(self) -> ProviderError | None:
        return self.result.error if self.result is not None else None


@dataclass(frozen=True)
class SendPolicy:
    """How a failed send is answered: the retry schedule, and what an ambiguous failure means."""

    retry: RetryPolicy
    delivery: DeliveryPolicy = DeliveryPolicy.AT_MOST_ONCE


@dataclass(frozen=True)
class Decision:
    """One recipient's move: ``event`` from IN_PROGRESS, and the fields it writes."""

    recipient_id: int
    event: RecipientEvent
    back_to: RecipientState | None = None  # released: the state it was claimed from
    error_code: int | None = None
    error_title: str | None = None
    retry_in: timedelta | None = None  # transient_error: the wait before the next attempt
    wamid: str | None = None  # accepted

    @property
    def target(self) -> RecipientState:
        return target_of(self.event, self.back_to)


def target_of(event: RecipientEvent, back_to: RecipientState | None = None) -> RecipientState:
    """The RECIPIENT table's target of ``event`` from IN_PROGRESS (``back_to`` names it for
    ``released``, whose table rows lead back to either claimable state)."""
    target: RecipientState | None = RECIPIENT.resolve(RecipientState.IN_PROGRESS, event, back_to)
    assert target is not None  # every row from IN_PROGRESS has a state as target
    return target


def decide(outcome: Outcome, policy: SendPolicy, rng: random.Random | None = None) -> Decision:
    """Pure, apart from the retry jitter drawn from ``rng``."""
    item, error = outcome.item, outcome.error
    if outcome.released or (error is not None and error.kind in STOP_KINDS):
        return Decision(item.id, RecipientEvent.RELEASED, back_to=item.source)
    if outcome.result is not None and outcome.result.accepted:
        return Decision(item.id, RecipientEvent.ACCEPTED, wamid=outcome.result.message_id)
    if error is None:
        title = outcome.unexpected or "unexpected failure"
        return Decision(item.id, RecipientEvent.UNEXPECTED_FAILURE, error_title=title)
    code = error.code
    if error.kind == ErrorKind.RECIPIENT_PERMANENT:
        return Decision(item.id, RecipientEvent.NO_WHATSAPP_ACCOUNT, None, code, error.title)
    if error.ambiguous and policy.delivery == DeliveryPolicy.AT_MOST_ONCE:
        title = f"outcome unknown: {error.title}"
        return Decision(item.id, RecipientEvent.OUTCOME_UNKNOWN, None, code, title)
    if policy.retry.attempts_left(item.attempts):
        wait = policy.retry.delay(item.attempts, rng, isolated=error.isolated)
        return Decision(item.id, RecipientEvent.TRANSIENT_ERROR, None, code, error.title, wait)
    title = f"{error.title} (after {item.attempts} attempts)"
    return Decision(item.id, RecipientEvent.RETRIES_EXHAUSTED, None, code, title)


def stop_reason(error: ProviderError) -> str:
    what = "template" if error.kind == ErrorKind.TEMPLATE_STOP else "sender"
    return f"{what} error {error.code}: {error.title}"
