"""Recording send outcomes: the third short transaction of a send, one per batch of results.

Outcomes by the provider's error kind (DESIGN.md §2.2, §3):
- accepted → SENT with the wamid;
- recipient-permanent (131026) → SENDING_FAILED;
- recipient- or sender-transient → RETRY_SCHEDULED with backoff and jitter while attempts are
  left, else ERROR; an ambiguous failure (a timeout after the request went out: the message may
  have been sent) follows the delivery policy, at-most-once → ERROR "outcome unknown";
- template-stop → the campaign is auto-paused with the reason; sender-stop → the number's status
  says it cannot send (``senders.on_send_error``: RESTRICTED or OFFLINE), so its campaigns stay
  RUNNING and wait with a visible reason, as for any other cause, and resume by themselves when
  a later reading says it can send; either way the recipient is put back untouched
  (``released``: its state before the claim, the attempt not counted);
- anything unexpected → ERROR.
A status webhook may have moved the recipient already (it can beat the send call's answer): the
compare-and-set moves skip such rows, and the wamid is stored on them all the same.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaigns
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientState
from relaybird.config import DeliveryPolicy
from relaybird.dispatcher import repository
from relaybird.dispatcher.claim import Claimed
from relaybird.dispatcher.retry import RetryPolicy
from relaybird.errors import IllegalTransition
from relaybird.models import Recipient
from relaybird.providers.port import ErrorKind, ProviderError, SendResult
from relaybird.senders import service as senders

IP = RecipientState.IN_PROGRESS


@dataclass(frozen=True)
class Outcome:
    item: Claimed
    result: SendResult | None = None
    # Not sent: put back untouched (a stop was seen, or the dispatcher is shutting down).
    released: bool = False
    unexpected: str | None = None


STOP_KINDS = frozenset({ErrorKind.SENDER_STOP, ErrorKind.TEMPLATE_STOP})


def stop_reason(error: ProviderError) -> str:
    what = "template" if error.kind == ErrorKind.TEMPLATE_STOP else "sender"
    return f"{what} error {error.code}: {error.title}"


def record(
    session: Session,
    outcomes: Sequence[Outcome],
    *,
    now: datetime,
    policy: RetryPolicy,
    delivery: DeliveryPolicy,
    pauses: dict[int, str] | None = None,
    sender_stop: int | None = None,
    rng: random.Random | None = None,
) -> set[int]:
    """Write every outcome and the auto-pauses (``pauses``: campaign → reason, template-stop
    errors); ``sender_stop``: the sender whose send errors say it cannot send (its status moves;
    its campaigns wait). Returns the campaigns touched."""
    accepted: list[Outcome] = []
    groups: dict[tuple[str, int | None, str | None], list[int]] = defaultdict(list)
    released: dict[RecipientState, list[int]] = defaultdict(list)
    retry_at: list[dict[str, Any]] = []
    touched: set[int] = set()
    for o in outcomes:
        touched.add(o.item.campaign_id)
        error = o.result.error if o.result is not None else None
        if o.released or (error is not None and error.kind in STOP_KINDS):
            released[o.item.source].append(o.item.id)
        elif o.result is not None and o.result.accepted:
            accepted.append(o)
        elif error is None:
            groups[("unexpected_failure", None, o.unexpected or "unexpected failure")].append(
                o.item.id
            )
        elif error.kind == ErrorKind.RECIPIENT_PERMANENT:
            groups[("no_whatsapp_account", error.code, error.title)].append(o.item.id)
        elif error.ambiguous and delivery == DeliveryPolicy.AT_MOST_ONCE:
            groups[("outcome_unknown", error.code, f"outcome unknown: {error.title}")].append(
                o.item.id
            )
        elif policy.attempts_left(o.item.attempts):
            groups[("transient_error", error.code, error.title)].append(o.item.id)
            retry_at.append(
                {
                    "id": o.item.id,
                    "next_attempt_at": now
                    + policy.delay(o.item.attempts, rng, isolated=error.isolated),
                }
            )
        else:
            exhausted = f"{error.title} (after {o.item.attempts} attempts)"
            groups[("retries_exhausted", error.code, exhausted)].append(o.item.id)
    _accepted(session, accepted, now)
    retried: set[int] = set()
    for (event, code, title), ids in groups.items():
        target = {
            "unexpected_failure": RecipientState.ERROR,
            "no_whatsapp_account": RecipientState.SENDING_FAILED,
            "outcome_unknown": RecipientState.ERROR,
            "transient_error": RecipientState.RETRY_SCHEDULED,
            "retries_exhausted": RecipientState.ERROR,
        }[event]
        moved = move_recipients(
            session,
            ids,
            source=IP,
            event=event,
            target=target,
            actor="dispatcher",
            reason=title,
            error_code=code,
            values={
                "lease_expires_at": None,
                "error_code": code,
                "error_title": title,
                "updated_at": now,
            },
            at=now,
        )
        if event == "transient_error":
            retried.update(m.id for m in moved)
    # Only rows that really moved to RETRY_SCHEDULED get a time (a webhook may have won).
    repository.set_per_row(session, [r for r in retry_at if r["id"] in retried])
    for source, ids in released.items():
        move_recipients(
            session,
            ids,
            source=IP,
            event="released",
            target=source,
            actor="dispatcher",
            reason="put back untouched: the campaign or sender stopped",
            values={
                "lease_expires_at": None,
                "attempts": Recipient.attempts - 1,
                "updated_at": now,
            },
            at=now,
        )
    if sender_stop is not None:
        _sender_effect(session, sender_stop, outcomes, now)
    for campaign_id, reason in (pauses or {}).items():
        # Already paused by an admin or ended meanwhile: the reason changes nothing then.
        with contextlib.suppress(IllegalTransition):
            campaigns.auto_pause(session, campaign_id, reason, at=now)
    for campaign_id in touched:
        campaigns.complete_if_done(session, campaign_id, at=now)
    return touched


def _sender_effect(
    session: Session, sender_id: int, outcomes: Sequence[Outcome], now: datetime
) -> None:
    """A sender-stop error moves the sender's status (locked, spam-restricted: RESTRICTED; not
    registered, token, payment: OFFLINE), once per batch, in the same transaction."""
    for o in outcomes:
        error = o.result.error if o.result is not None else None
        if error is not None and error.sender_effect is not None:
            senders.on_send_error(session, sender_id, error, actor="dispatcher", now=now)
            return


def _accepted(session: Session, accepted: Iterable[Outcome], now: datetime) -> None:
    items = list(accepted)
    if not items:
        return
    move_recipients(
        session,
        [o.item.id for o in items],
        source=IP,
        event="accepted",
        target=RecipientState.SENT,
        actor="dispatcher",
        values={"lease_expires_at": None, "updated_at": now},
        at=now,
    )
    repository.set_per_row(
        session,
        [{"id": o.item.id, "wamid": o.result.message_id} for o in items if o.result is not None],
    )
