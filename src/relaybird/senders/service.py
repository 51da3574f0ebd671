"""Sender numbers: adding them, applying lifecycle steps, and what the dispatcher asks.

Every change runs the same way: lock the sender row, build a ``SenderView``, let a pure rule of
``lifecycle`` decide the ``Step``, write it (status moves through ``events.transitions``, so the
history and the outbox follow), notify, then ``settle``: apply the time- and window-driven rules
until nothing is due. In the PER_PORTFOLIO model a limit change and the shared window reach every
number of the portfolio. Services never commit; the door does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relaybird.campaigns import service as campaigns
from relaybird.config import LimitModel
from relaybird.errors import Conflict, InvalidInput, found
from relaybird.events.transitions import Moved, apply_transition, history, record
from relaybird.models import Sender, Transition
from relaybird.providers.port import PhoneNumberInfo, ProviderError, SenderEffect
from relaybird.senders import explain, notifications, repository, window
from relaybird.senders import lifecycle as lc
from relaybird.senders.lifecycle import Restriction, SenderView, Step, Usage
from relaybird.senders.schemas import token_problem
from relaybird.senders.tiers import INITIAL_LIMIT
from relaybird.senders.transitions import (
    SENDER,
    MessagingLimit,
    QualityRating,
    SenderEvent,
    SenderStatus,
)

# SenderView field → Sender column.
_COLUMNS = {
    "limit": "messaging_limit",
    "quality": "quality_rating",
    "status_before": "status_before",
    "provider_status": "provider_status",
    "flagged_at": "flagged_at",
    "quality_ok_since": "quality_ok_since",
    "restricted_by": "restricted_by",
    "restricted_until": "restricted_until",
}
_MAX_SETTLE = 6


def view_of(sender: Sender) -> SenderView:
    return SenderView(
        status=SenderStatus(sender.status),
        limit=MessagingLimit(sender.messaging_limit),
        model=LimitModel(sender.limit_model),
        quality=QualityRating(sender.quality_rating),
        status_before=SenderStatus(sender.status_before) if sender.status_before else None,
        provider_status=sender.provider_status,
        flagged_at=sender.flagged_at,
        quality_ok_since=sender.quality_ok_since,
        restricted_by=Restriction(sender.restricted_by) if sender.restricted_by else None,
        restricted_until=sender.restricted_until,
    )


def _values(step: Step) -> dict[str, Any]:
    """The columns a step changes (the status itself moves through the transition)."""
    return {
        column: _col(getattr(step.after, name))
        for name, column in _COLUMNS.items()
        if getattr(step.before, name) != getattr(step.after, name)
    }


def _col(value: object) -> Any:
    return value if value is None or isinstance(value, datetime) else str(value)


# --- adding and reading --------------------------------------------------------------------


@dataclass(frozen=True)
class NewSender:
    name: str
    phone_number_id: str
    display_phone_number: str
    access_token: str
    waba_id: str | None = None
    limit_model: LimitModel | None = None
    throughput_cap: int | None = None

    def __post_init__(self) -> None:
        # Every door (API, CLI, dashboard) refuses a token no HTTP header can carry.
        problem = token_problem(self.access_token)
        if problem is not None:
            raise InvalidInput(problem)


def add_sender(
    session: Session, workspace_id: int, new: NewSender, *, actor: str, now: datetime
) -> Sender:
    """A number added: PENDING until the provider confirms registration (sync). Doors call
    ``sync.add_proven``, which first shows that the token owns the number. The conflict reads
    the same whichever workspace has the number."""
    if repository.by_phone_number_id(session, new.phone_number_id) is not None:
        raise Conflict(f"phone_number_id {new.phone_number_id} is already registered as a sender")
    model = new.limit_model or LimitModel(repository.workspace_limit_model(session, workspace_id))
    if model == LimitModel.PER_PORTFOLIO and not new.waba_id:
        raise InvalidInput("waba_id is required in the PER_PORTFOLIO limit model")
    limit = INITIAL_LIMIT[model]
    if model == LimitModel.PER_PORTFOLIO and new.waba_id:
        # A new number joins its portfolio's shared limit.
        siblings = [
            s for s in repository.by_waba(session, new.waba_id) if s.workspace_id == workspace_id
        ]
        if siblings:
            limit = MessagingLimit(siblings[0].messaging_limit)
    start = lc.added(model, limit)
    sender = repository.add(
        session,
        workspace_id=workspace_id,
        name=new.name,
        phone_number_id=new.phone_number_id,
        display_phone_number=new.display_phone_number,
        waba_id=new.waba_id,
        access_token=new.access_token,
        status=str(start.status),
        quality_rating=str(start.quality),
        messaging_limit=str(start.limit),
        limit_model=str(model),
        throughput_cap=new.throughput_cap,
        created_at=now,
        updated_at=now,
    )
    record(
        session,
        SENDER,
        [Moved(sender.id, workspace_id, None, str(start.status))],
        event=SenderEvent.ADDED,
        actor=actor,
        reason="number added",
        at=now,
    )
    return sender


def get_sender(session: Session, workspace_id: int, sender_id: int) -> Sender:
    return found(repository.get(session, workspace_id, sender_id), f"sender {sender_id}")


def window_ids(session: Session, sender: Sender) -> list[int]:
    return window.sharing(session, sender)


def usage_of(session: Session, sender: Sender, now: datetime) -> Usage:
    limit = MessagingLimit(sender.messaging_limit)
    return window.usage(session, window_ids(session, sender), limit, now)


@dataclass(frozen=True)
class Permit:
    """The dispatcher's answer: may this sender send business-initiated messages now; if not,
    why and until when; if so, how many new unique recipients fit (None: no limit)."""

    allowed: bool
    reason: str | None
    until: datetime | None
    room: int | None


def business_permit(session: Session, sender_id: int, now: datetime) -> Permit:
    sender = found(repository.get_any(session, sender_id), f"sender {sender_id}")
    view, usage = view_of(sender), usage_of(session, sender, now)
    gate = explain.gate_business_initiated(view, usage, now)
    return Permit(gate.allowed, gate.reason, gate.until, explain.room(view, usage))


def status_gate(sender: Sender, now: datetime) -> explain.Gate:
    """The cheap part of the permit, for a claim that measures the window itself: may the
    number's status (ours and the provider's string) send business-initiated messages?"""
    return explain.gate_business_initiated(view_of(sender), Usage(used=0), now)


def reply_permit(session: Session, sender_id: int) -> explain.Gate:
    """Replies inside an open customer-service window (RESTRICTED numbers may still reply)."""
    sender = found(repository.get_any(session, sender_id), f"sender {sender_id}")
    return explain.gate_reply(view_of(sender))


# --- changing ------------------------------------------------------------------------------


Rule = Callable[[SenderView], Step | None]


def change(
    session: Session,
    sender_id: int,
    rule: Rule,
    *,
    actor: str,
    now: datetime,
    error_code: int | None = None,
) -> Step | None:
    """Apply one rule to the locked sender, then settle it (and its portfolio when it shares)."""
    sender = found(repository.get_any(session, sender_id, lock=True), f"sender {sender_id}")
    step = rule(view_of(sender))
    if step is not None:
        _write(session, sender, step, actor=actor, now=now, error_code=error_code)
    settle(session, sender, actor=actor, now=now)
    if step is not None and step.limit_changed and sender.limit_model == LimitModel.PER_PORTFOLIO:
        _share_limit(session, sender, step, actor=actor, now=now)
    return step


def settle(session: Session, sender: Sender, *, actor: str, now: datetime) -> list[Step]:
    """Apply what is due now: restriction release, the end of a FLAGGED period, RESTRICTED
    when the window is full. Returns the steps taken."""
    taken: list[Step] = []
    for _ in range(_MAX_SETTLE):
        view, usage = view_of(sender), usage_of(session, sender, now)
        step = lc.due(view, now, usage) or lc.after_counted(view, usage)
        if step is None:
            break
        _write(session, sender, step, actor=actor, now=now)
        taken.append(step)
        if step.limit_changed and sender.limit_model == LimitModel.PER_PORTFOLIO:
            _share_limit(session, sender, step, actor=actor, now=now)
    return taken


def _share_limit(
    session: Session, sender: Sender, step: Step, *, actor: str, now: datetime
) -> None:
    for sibling in repository.portfolio(session, sender):
        if sibling.id == sender.id or sibling.messaging_limit == str(step.after.limit):
            continue
        s = repository.get_any(session, sibling.id, lock=True)
        assert s is not None
        shared = lc.on_limit(view_of(s), step.after.limit, f"portfolio limit: {step.reason}")
        if shared is not None:
            _write(session, s, shared, actor=actor, now=now)
        settle(session, s, actor=actor, now=now)


def _write(
    session: Session,
    sender: Sender,
    step: Step,
    *,
    actor: str,
    now: datetime,
    error_code: int | None = None,
) -> None:
    values = _values(step)
    if step.event is not None:
        values["status_reason"] = step.reason
        apply_transition(
            session,
            SENDER,
            Sender,
            sender.id,
            event=step.event,
            target=step.after.status,
            actor=actor,
            reason=step.reason,
            error_code=error_code,
            values=values,
            data={
                "messaging_limit": str(step.after.limit),
                "quality_rating": str(step.after.quality),
            },
            at=now,
        )
    else:
        repository.set_fields(session, sender.id, values)
    _refresh(sender, step.after)
    moment = explain.next_moment(step.after, usage_of(session, sender, now), now)
    notifications.send(session, sender, step, now, moment.text if moment else None)
    if step.became_flagged:
        _quality_guard(session, sender, now)


def _quality_guard(session: Session, sender: Sender, now: datetime) -> None:
    """Campaigns that asked for it stop when their sender is flagged (an admin resumes them)."""
    for campaign_id in repository.guarded_campaigns(session, sender.id):
        campaigns.auto_pause(
            session, campaign_id, "quality guard: the sender is FLAGGED (quality LOW)", at=now
        )


def _refresh(sender: Sender, view: SenderView) -> None:
    """Keep the loaded row in step with what was written (the UPDATEs bypass the ORM)."""
    sender.status = view.status
    for name, column in _COLUMNS.items():
        setattr(sender, column, _col(getattr(view, name)))


# --- signals -------------------------------------------------------------------------------


def apply_reading(
    session: Session, sender_id: int, info: PhoneNumberInfo, *, actor: str, now: datetime
) -> list[Step]:
    """What a sync read: the provider's status string (verbatim), quality, limit, throughput."""
    steps: list[Step] = []
    status = info.status

    def run(rule: Rule) -> None:
        step = change(session, sender_id, rule, actor=actor, now=now)
        if step is not None:
            steps.append(step)

    # One move per call: a number coming back FLAGGED is reachable again, then flagged.
    for _ in range(3):
        before = len(steps)
        run(lambda v: lc.on_provider_status(v, status, now))
        if len(steps) == before:
            break
    quality = lc.read_quality(info.quality_rating)
    if quality is not None:
        run(lambda v: lc.on_quality(v, quality, now))
    limit = lc.read_limit(info.messaging_limit_tier)
    if limit is not None:
        run(lambda v: lc.on_limit(v, limit, f"provider reports {limit}"))
    values: dict[str, Any] = {"last_synced_at": now, "provider_fields": _safe_fields(info.raw)}
    if info.throughput_level:
        values["throughput_mps"] = 1000 if info.throughput_level.upper() == "HIGH" else 80
    repository.set_fields(session, sender_id, values)
    return steps


def _safe_fields(raw: dict[str, Any]) -> dict[str, Any]:
    # Keep what the provider said about the number, never anything that looks like a secret.
    return {k: v for k, v in raw.items() if "token" not in k.lower()}


def on_send_error(
    session: Session, sender_id: int, error: ProviderError, *, actor: str, now: datetime
) -> Step | None:
    """A send failed with a sender-level error: what it says about the number."""
    effect = error.sender_effect
    reason = f"send error {error.code}: {error.title}" if error.code else error.title
    rule: Rule
    if effect == SenderEffect.UNREACHABLE:
        rule = lambda v: lc.on_unreachable(v, reason)  # noqa: E731
    elif effect == SenderEffect.RESTRICTED:
        rule = lambda v: lc.on_provider_restriction(v, None, reason)  # noqa: E731
    elif effect == SenderEffect.BANNED:
        rule = lambda v: lc.on_banned(v, reason)  # noqa: E731
    else:
        return None
    return change(session, sender_id, rule, actor=actor, now=now, error_code=error.code)


def count_business_initiated(
    session: Session, sender_id: int, phones: list[str], *, actor: str, now: datetime
) -> list[Step]:
    """Count sends accepted by the provider; RESTRICTED (for the whole portfolio when it shares
    the limit) once the window is full. Call it in the transaction that records the sends."""
    sender = found(repository.get_any(session, sender_id), f"sender {sender_id}")
    window.lock_limit(session, sender)  # before the row: the order every window writer keeps
    window.count_business_initiated(session, sender_id, phones, now)
    locked = repository.get_any(session, sender_id, lock=True)
    assert locked is not None
    steps = settle(session, locked, actor=actor, now=now)
    if locked.limit_model == LimitModel.PER_PORTFOLIO:
        for sibling in repository.portfolio(session, locked):
            if sibling.id != sender_id:
                steps += settle(session, sibling, actor=actor, now=now)
    return steps


def restrict_if_full(session: Session, sender: Sender, usage: Usage, *, at: datetime) -> bool:
    """CONNECTED/FLAGGED with a full window → RESTRICTED until it frees room (the whole portfolio
    when it shares the window). For the dispatcher's claim, which measured ``usage``."""
    step = lc.after_counted(view_of(sender), usage)
    if step is None:
        return False
    _write(session, sender, step, actor="dispatcher", now=at)
    if sender.limit_model == LimitModel.PER_PORTFOLIO:
        for sibling in repository.portfolio(session, sender):
            if sibling.id != sender.id:
                settle(session, sibling, actor="dispatcher", now=at)
    return True


def release_if_room(session: Session, sender: Sender, *, at: datetime) -> bool:
    """RESTRICTED and the window has room again (or the provider restriction ended) → the status
    it had. Returns whether the number was released."""
    if sender.status != SenderStatus.RESTRICTED:
        return False
    settle(session, sender, actor="scheduler", now=at)
    return sender.status != SenderStatus.RESTRICTED


def history_of(
    session: Session, workspace_id: int, sender_id: int, **window: int | None
) -> list[Transition]:
    get_sender(session, workspace_id, sender_id)
    return history(session, "sender", sender_id, workspace_id, **window)
