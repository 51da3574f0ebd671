"""What an operator wants at a glance: sender health, running campaigns, queues and lags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaigns
from relaybird.campaigns.service import Summary
from relaybird.campaigns.transitions import SENT_OR_LATER, RecipientState
from relaybird.errors import NotFound
from relaybird.inbox import refusals
from relaybird.models import Sender, Transition
from relaybird.operations import repository as repo
from relaybird.senders import service as senders
from relaybird.senders.tiers import capacity
from relaybird.senders.transitions import MessagingLimit

WINDOW = timedelta(hours=24)
# A send the provider accepted, whatever happened to it afterwards (campaigns.transitions).
ACCEPTED = tuple(s for s in RecipientState if s in SENT_OR_LATER)
REFUSED = (RecipientState.SENDING_FAILED, RecipientState.ERROR)
ACTIVE_CAMPAIGN_STATES = ("RUNNING", "PAUSED")


@dataclass(frozen=True)
class SenderHealth:
    sender: Sender
    used: int  # unique recipients in the moving 24 h window
    capacity: int | None  # None: unlimited

    @property
    def usage(self) -> float | None:
        return None if not self.capacity else min(1.0, self.used / self.capacity)


@dataclass(frozen=True)
class Snapshot:
    at: datetime
    recipients: dict[str, int]
    campaigns: dict[str, int]
    senders: list[SenderHealth]
    inbox: dict[str, int]
    webhook_lag_s: float
    deliveries: dict[str, int]
    delivery_lag_s: float
    emails: dict[str, int]
    webhooks_refused: dict[str, int] = field(default_factory=dict)  # per door, last hour

    @property
    def sends_accepted(self) -> int:
        return sum(self.recipients.get(s.value, 0) for s in ACCEPTED)

    @property
    def sends_refused(self) -> int:
        return sum(self.recipients.get(s.value, 0) for s in REFUSED)


def _limit_capacity(raw: str) -> int | None:
    try:
        return capacity(MessagingLimit(raw))
    except ValueError:
        return None


def sender_health(
    session: Session, now: datetime, workspace_id: int | None = None
) -> list[SenderHealth]:
    """Each sender with its window usage, as the dispatcher counts it (the portfolio's shared
    window in the PER_PORTFOLIO model)."""
    return [
        SenderHealth(s, senders.usage_of(session, s, now).used, _limit_capacity(s.messaging_limit))
        for s in repo.senders(session, workspace_id)
    ]


def _age(now: datetime, oldest: datetime | None) -> float:
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


def snapshot(session: Session, now: datetime) -> Snapshot:
    """Every figure of /metrics, read in one snapshot (all workspaces)."""
    return Snapshot(
        at=now,
        recipients=repo.recipient_totals(session),
        campaigns=repo.campaign_states(session),
        senders=sender_health(session, now),
        inbox=repo.inbox_depth(session),
        webhook_lag_s=_age(now, repo.oldest_unapplied_webhook(session)),
        deliveries=repo.event_deliveries(session),
        delivery_lag_s=_age(now, repo.oldest_pending_delivery(session)),
        emails=repo.emails(session),
        webhooks_refused=refusals.by_door(session, now),
    )


def active_campaigns(
    session: Session, workspace_id: int | None = None, *, now: datetime | None = None
) -> list[Summary]:
    """RUNNING and PAUSED campaigns with their counters and waiting reasons."""
    return campaigns.summaries(
        session, repo.campaigns_in(session, ACTIVE_CAMPAIGN_STATES, workspace_id), now=now
    )


PENDING_STATES = (
    RecipientState.INITIAL.value,
    RecipientState.IN_PROGRESS.value,
    RecipientState.RETRY_SCHEDULED.value,
)


@dataclass(frozen=True)
class Progress:
    done: int  # recipients in a final state (sent, failed, removed, invalid, ...)
    total: int
    pending: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def progress(summary: Summary) -> Progress:
    total = sum(summary.counts.values())
    pending = sum(summary.counts.get(s, 0) for s in PENDING_STATES)
    return Progress(done=total - pending, total=total, pending=pending)


def eta(pending: int, health: SenderHealth | None) -> timedelta | None:
    """Time to send ``pending`` recipients at the sender's throughput, within its messaging
    limit: what fits in the window's remaining capacity goes now; each further full limit waits
    for the 24 h window to roll. None when the sender is unknown or cannot send."""
    if pending == 0:
        return timedelta(0)
    if health is None:
        return None
    sender = health.sender
    mps = (
        sender.throughput_mps
        if sender.throughput_cap is None
        else min(sender.throughput_cap, sender.throughput_mps)
    )
    if mps <= 0:
        return None
    sending = timedelta(seconds=pending / mps)
    if health.capacity is None:
        return sending
    room = max(0, health.capacity - health.used)
    if pending <= room:
        return sending
    windows = -(-(pending - room) // health.capacity)  # ceil
    return sending + WINDOW * windows


def campaign_eta(summary: Summary, health: SenderHealth | None, now: datetime) -> timedelta | None:
    """``eta`` of the campaign's pending recipients, with the hours its send window is closed
    added (the wait until it opens, and every closed stretch the sending runs into)."""
    left = eta(progress(summary).pending, health)
    return None if left is None else summary.sending_time(left, now)


def sent(summary: Summary) -> int:
    return sum(summary.counts.get(s.value, 0) for s in ACCEPTED)


def failed(summary: Summary) -> int:
    """Recipients in a failed final state (campaigns.transitions.FAILED_STATES)."""
    return summary.failed


def failed_detail(summary: Summary) -> str:
    """The parts of "failed", e.g. ``delivery 21 · error 2``; empty when nothing failed."""
    return " · ".join(f"{PART_NAMES[state]} {n:,}" for state, n in summary.failed_parts.items())


# How the failed states read as parts of "failed".
PART_NAMES = {
    RecipientState.SENDING_FAILED.value: "not on WhatsApp",
    RecipientState.DELIVERY_FAILED.value: "delivery",
    RecipientState.ERROR.value: "error",
    RecipientState.INVALID_RECORD.value: "invalid row",
}


def sender_detail(
    session: Session, workspace_id: int, sender_id: int, now: datetime
) -> SenderHealth:
    for health in sender_health(session, now, workspace_id):
        if health.sender.id == sender_id:
            return health
    raise NotFound(f"sender {sender_id} not found")


def status_segments(
    history: list[Transition],
    current: str,
    since: datetime,
    now: datetime,
    born: datetime | None = None,
) -> list[tuple[datetime, str]]:
    """(from, status) segments for a timeline starting at ``since`` (never before ``born``, when
    the thing was created), from the status history."""
    if born is not None:
        # Never before creation; a change recorded earlier than that (imported history) wins.
        since = max(since, min([born, *(t.created_at for t in history[:1])]))
    since = timeline_start(history, since, now)
    segments: list[tuple[datetime, str]] = []
    state_at_start = None
    for t in history:
        if t.created_at <= since:
            state_at_start = t.to_state
            continue
        if not segments:
            first = state_at_start or t.from_state or t.to_state or current
            segments.append((since, first))
        segments.append((t.created_at, t.to_state or current))
    if not segments:
        segments.append((since, state_at_start or current))
    return segments


def timeline_start(history: list[Transition], since: datetime, now: datetime) -> datetime:
    """Where a status timeline starts: ``since``, or shortly before the first recorded change
    when the history is younger (a sender added an hour ago gets an hour-wide timeline, not a
    14-day one with its changes squeezed into the last pixel)."""
    if not history or history[0].created_at <= since:
        return since
    first = history[0].created_at
    if history[0].from_state is None:
        return first  # the first change is the creation: nothing existed before it
    margin = max((now - first) / 10, timedelta(seconds=1))
    return max(since, first - margin)
