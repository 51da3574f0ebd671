"""Claiming due recipients: the first of the three short transactions of a send.

In one write transaction: take the lock of the sender's limit (its portfolio's when the numbers
share one: ``window.lock_limit``), read the clock only then, read the sender (nothing
business-initiated leaves a PENDING, OFFLINE, BANNED or RESTRICTED number), pick due recipients
of its RUNNING campaigns, admit them against the messaging-limit window (new unique recipients
only while there is room; the number becomes RESTRICTED when the window is full), and move the
admitted ones to IN_PROGRESS with a lease.
Recipients left out stay exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from relaybird.campaigns import templating
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientState
from relaybird.dispatcher import repository
from relaybird.models import Recipient
from relaybird.senders import service as senders
from relaybird.senders import window
from relaybird.templates.builder import SendPlan


@dataclass(frozen=True)
class Template:
    campaign_id: int
    name: str
    language: str
    # A campaign with a slot mapping: how each recipient's components are built (issue 14).
    plan: SendPlan | None = None


@dataclass(frozen=True)
class Claimed:
    id: int
    campaign_id: int
    phone: str
    params: tuple[str, ...]
    source: RecipientState  # the state it was claimed from (to put it back untouched)
    attempts: int  # including this one


@dataclass
class Claim:
    items: list[Claimed] = field(default_factory=list)
    templates: dict[int, Template] = field(default_factory=dict)
    sender_status: str = ""
    throughput: int = 80
    phone_number_id: str = ""
    access_token: str = ""
    # Why nothing was claimed, when nothing was (for logs and the idle decision).
    idle_reason: str | None = None
    # The number is at its limit: only recipients that cost nothing were looked for (a search
    # over the campaign's due rows, so the runner asks again less often when none was found).
    at_limit: bool = False
    # RUNNING campaigns seen (even with nothing due), for completion checks.
    campaign_ids: list[int] = field(default_factory=list)


def claim(
    session: Session,
    sender_id: int,
    *,
    clock: Callable[[], datetime],
    limit: int,
    lease: timedelta,
    exclude: Sequence[int] = (),
) -> Claim:
    """``clock`` is read once the limit's lock is held (the window is counted as of then)."""
    # The first statement: on SQLite it takes the database's write lock (BEGIN IMMEDIATE).
    sender = repository.get_sender(session, sender_id)
    if sender is None:
        return Claim(idle_reason="sender deleted")
    window.lock_limit(session, sender)
    sender = repository.lock_sender(session, sender_id)
    if sender is None:
        return Claim(idle_reason="sender deleted")
    now = clock()
    out = Claim(
        sender_status=sender.status,
        throughput=min(sender.throughput_mps, sender.throughput_cap or sender.throughput_mps),
        phone_number_id=sender.phone_number_id,
        access_token=sender.access_token,
    )
    campaigns = repository.running_campaigns(session, sender_id, exclude)
    out.campaign_ids = [c.id for c in campaigns]
    gate = senders.status_gate(sender, now)
    if not gate.allowed and not gate.counted_only:
        out.idle_reason = gate.reason or f"sender is {sender.status}"
        return out
    # At its limit (RESTRICTED by the window), a number still sends to recipients the limit
    # already counts (Meta counts unique recipients) and to those inside an open service window.
    only = (
        None
        if gate.allowed
        else window.costs_nothing(sender, window.sharing(session, sender), Recipient.phone, now)
    )
    out.at_limit = only is not None
    rows: list[repository.Due] = []
    for campaign in campaigns:
        if len(rows) >= limit:
            break
        found = repository.due_recipients(session, campaign.id, now, limit - len(rows), only)
        if found:
            out.templates[campaign.id] = Template(
                campaign.id,
                campaign.template_name,
                campaign.template_language,
                templating.plan_of(session, campaign),
            )
        rows.extend(found)
    if not rows:
        out.idle_reason = "nothing due" if gate.allowed else gate.reason
        return out
    admission = window.take_room(session, sender, [r.phone for r in rows], now)
    if admission.usage.frees_at is not None:
        # The window is full: RESTRICTED until it frees room (the campaign shows why it waits).
        senders.restrict_if_full(session, sender, admission.usage, at=now)
    admitted = set(admission.phones)
    chosen = [r for r in rows if r.phone in admitted]
    until = now + lease
    by_source: dict[RecipientState, list[int]] = {}
    for r in chosen:
        by_source.setdefault(RecipientState(r.state), []).append(r.id)
    moved: set[int] = set()
    for source, ids in by_source.items():
        moved.update(
            m.id
            for m in move_recipients(
                session,
                ids,
                source=source,
                event="claimed",
                target=RecipientState.IN_PROGRESS,
                actor="dispatcher",
                values={
                    "lease_expires_at": until,
                    "send_started_at": None,  # the runner marks it when the send starts
                    "attempts": Recipient.attempts + 1,
                    "updated_at": now,
                },
                at=now,
            )
        )
    out.items = [
        Claimed(r.id, r.campaign_id, r.phone, r.params, RecipientState(r.state), r.attempts + 1)
        for r in chosen
        if r.id in moved
    ]
    if not out.items:
        out.idle_reason = "messaging limit reached" if admission.refused else "nothing due"
    return out


def set_aside_unreadable(
    session: Session, sender_id: int, *, now: datetime, limit: int, exclude: Sequence[int] = ()
) -> list[int]:
    """After a claim failed: the due recipients whose stored row cannot become a send go to
    ERROR with the reason (never claimed again, never blocking the rows behind them). Returns
    their ids; none means the claim failed for another reason."""
    campaigns = repository.running_campaigns(session, sender_id, exclude)
    bad = repository.unreadable_due(session, [c.id for c in campaigns], now, limit)
    for recipient_id, state, reason in bad:
        move_recipients(
            session,
            [recipient_id],
            source=state,
            event="set_aside",
            target=RecipientState.ERROR,
            actor="dispatcher",
            reason=reason,
            values={"error_title": f"cannot be sent: {reason}", "updated_at": now},
            at=now,
        )
    return [recipient_id for recipient_id, _, _ in bad]
