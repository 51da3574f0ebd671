"""Claiming due recipients: the first of the three short transactions of a send.

In one write transaction: ``senders.admission.admit`` locks the number's limit, reads the clock
and the number's status, asks for the due recipients of its RUNNING campaigns (``due``: retries
first, then never-tried ones) and admits them against the messaging-limit window; the admitted
ones move to IN_PROGRESS with a lease. Recipients left out stay exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relaybird.campaigns import templating
from relaybird.campaigns.recipients import move_recipients
from relaybird.campaigns.transitions import RecipientEvent, RecipientState
from relaybird.campaigns.windows import Window
from relaybird.dispatcher import repository
from relaybird.dispatcher.suppressed import skip_suppressed
from relaybird.kit.zones import CAMPAIGN_ZONE
from relaybird.models import Campaign, Recipient, Transition
from relaybird.senders import admission
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
    # This claim's lease on the row: the send starts only while the row still carries it (the
    # reconciler may have put a recipient back, and a later claim taken it, while this claim
    # waited in a stalled process; that later claim sends it, this one never does).
    lease_until: datetime | None = None


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
    # The history's last transition id before the claim: a stop one of its sends reports is
    # older than any campaign move written after it (``record``: such a stop pauses nothing).
    seq: int = 0
    # Every campaign seen has a send window and nothing due in its zones open now: what is
    # left waits for a zone to open (or a retry's time), so the runner asks again less often.
    windows_closed: bool = False


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
    out = Claim()
    campaigns: list[Campaign] = []

    def due(turn: admission.Turn) -> list[repository.Due]:
        campaigns.extend(repository.running_campaigns(session, sender_id, exclude))
        rows: list[repository.Due] = []
        only = turn.only(Recipient.phone)
        closed = 0
        for campaign in campaigns:
            if len(rows) >= limit:
                break
            zones = open_zones(campaign, turn.now)
            found = (
                []
                if zones == []
                else repository.due_recipients(
                    session, campaign.id, turn.now, limit - len(rows), only, zones
                )
            )
            closed += zones is not None and not found
            if found:
                out.templates[campaign.id] = Template(
                    campaign.id,
                    campaign.template_name,
                    campaign.template_language,
                    templating.plan_of(session, campaign),
                )
            rows.extend(found)
        out.windows_closed = bool(campaigns) and closed == len(campaigns)
        # Opted out since the upload (issue 15): REMOVED here, before they could take room.
        return skip_suppressed(session, turn.sender, campaigns, rows, turn.now)

    admitted = admission.admit(session, sender_id, clock=clock, due=due, phone=lambda r: r.phone)
    out.idle_reason = admitted.reason
    if admitted.turn is None:
        return out
    sender, now = admitted.turn.sender, admitted.turn.now
    out.sender_status = sender.status
    out.throughput = min(sender.throughput_mps, sender.throughput_cap or sender.throughput_mps)
    out.phone_number_id, out.access_token = sender.phone_number_id, sender.access_token
    out.at_limit = admitted.turn.at_limit
    if not admitted.asked:  # still known, for the runner's completion checks
        campaigns.extend(repository.running_campaigns(session, sender_id, exclude))
    out.campaign_ids = [c.id for c in campaigns]
    out.seq = session.scalar(select(func.max(Transition.id))) or 0
    out.items = _take(session, admitted.items, now=now, until=now + lease)
    if not out.items:
        out.idle_reason = admitted.reason or "nothing due"
    return out


def open_zones(campaign: Campaign, now: datetime) -> list[int] | None:
    """The zones of ``campaign``'s recipients whose send window is open ``now`` (a few dozen
    zone checks, whatever the number of recipients); None: no window, any zone. Worked out once
    a minute per window and zones: a window opens and closes on whole minutes, and so do the
    zones' offsets, so the answer holds for the whole UTC minute."""
    if campaign.send_window is None:
        return None
    key = json.dumps(campaign.send_window, sort_keys=True)
    zones = tuple(campaign.zone_ids or [CAMPAIGN_ZONE])
    return list(_open_zones(key, zones, now.replace(second=0, microsecond=0)))


@lru_cache(maxsize=256)
def _open_zones(window: str, zones: tuple[int, ...], minute: datetime) -> tuple[int, ...]:
    return tuple(Window.of(json.loads(window)).open_zones(zones, minute))


def _take(
    session: Session, chosen: Sequence[repository.Due], *, now: datetime, until: datetime
) -> list[Claimed]:
    """Move the admitted recipients to IN_PROGRESS with a lease (compare-and-set: a row another
    writer moved since it was read stays out)."""
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
                event=RecipientEvent.CLAIMED,
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
    return [
        Claimed(
            r.id, r.campaign_id, r.phone, r.params, RecipientState(r.state), r.attempts + 1, until
        )
        for r in chosen
        if r.id in moved
    ]


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
            event=RecipientEvent.SET_ASIDE,
            target=RecipientState.ERROR,
            actor="dispatcher",
            reason=reason,
            values={"error_title": f"cannot be sent: {reason}", "updated_at": now},
            at=now,
        )
    return [recipient_id for recipient_id, _, _ in bad]
