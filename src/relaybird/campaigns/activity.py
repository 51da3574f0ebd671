"""When things happened to a campaign's recipients: each recipient's ``sent_at`` /
``delivered_at`` / ``read_at`` and the per-quarter-hour counters of ``campaign_activity`` that
count them, both written by every recipient move (campaigns/recipients.py) in its transaction.

The invariant (checked by tests/campaigns/test_counters.py, the lifecycle property test and the
kill -9 chaos run): for every campaign and quarter hour, ``campaign_activity.sent`` equals
COUNT(*) of its recipients in SENT_OR_LATER whose ``sent_at`` falls in that quarter hour, and
likewise ``delivered`` (DELIVERED_OR_LATER, ``delivered_at``) and ``read`` (READ, ``read_at``).
A recipient entering a milestone's states adds 1 in the bucket of its stamp, one leaving them
(only SENT_OR_LATER → SENDING_FAILED) takes 1 away from the bucket of the stamp it keeps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from relaybird.campaigns.transitions import (
    DELIVERED_OR_LATER,
    READ_STATES,
    RECIPIENT,
    SENT_OR_LATER,
    RecipientEvent,
    RecipientState,
)
from relaybird.consent.schemas import SELF_LIFTED
from relaybird.db.stripes import stripe
from relaybird.db.types import UTCDateTime
from relaybird.events.transitions import Moved
from relaybird.models import CampaignActivity, Recipient, Suppression
from relaybird.models.campaign import FAILED_WHERE

BUCKET_MINUTES = 15


@dataclass(frozen=True)
class Milestone:
    name: str  # the counter column of campaign_activity
    stamp: str  # the recipient's column
    states: frozenset[RecipientState]


MILESTONES = (
    Milestone("sent", "sent_at", SENT_OR_LATER),
    Milestone("delivered", "delivered_at", DELIVERED_OR_LATER),
    Milestone("read", "read_at", READ_STATES),
)
# Every state each event can lead to (the RECIPIENT table).
_TARGETS: dict[str, set[RecipientState | None]] = {}
for _row in RECIPIENT.rows:
    _TARGETS.setdefault(_row.event, set()).add(_row.target)
# What a move returns (Moved.extra): the campaign id, then the stamps after the UPDATE.
RETURNING = ("campaign_id", *(m.stamp for m in MILESTONES))


def bucket(when: datetime) -> datetime:
    """The quarter hour (UTC) ``when`` falls in."""
    return when.replace(minute=when.minute - when.minute % BUCKET_MINUTES, second=0, microsecond=0)


def stamps(
    event: RecipientEvent, target: RecipientState | None, when: datetime
) -> dict[str, object]:
    """The stamp columns a move by ``event`` (to ``target``, or wherever the table sends it)
    sets: ``coalesce(column, when)``, so the first time counts and a later move keeps it."""
    targets = {target} if target is not None else _TARGETS[event]
    out: dict[str, object] = {}
    for m in MILESTONES:
        inside = {t in m.states for t in targets}
        if inside == {True}:
            column: InstrumentedAttribute[datetime | None] = getattr(Recipient, m.stamp)
            # Typed as the column (UTC on both databases), not as a bare datetime.
            out[m.stamp] = func.coalesce(column, bindparam(None, when, type_=UTCDateTime()))
        # A mixed event (some targets in, some out) would need the stamp per row; the table has
        # none, and tests/campaigns/test_activity.py keeps it that way.
    return out


def delta(moved: Sequence[Moved]) -> Counter[tuple[int, datetime, str]]:
    """(campaign, bucket, milestone) → change, for moves returned with RETURNING's columns."""
    out: Counter[tuple[int, datetime, str]] = Counter()
    for mv in moved:
        if not mv.changed:
            continue
        campaign_id = int(mv.extra[0])
        source = None if mv.source is None else RecipientState(mv.source)
        target = None if mv.target is None else RecipientState(mv.target)
        for m, stamp in zip(MILESTONES, mv.extra[1:], strict=True):
            was, now = source in m.states, target in m.states
            if was == now or stamp is None:
                continue  # no change, or a row that never got a stamp (nothing counted it)
            out[(campaign_id, bucket(stamp), m.name)] += 1 if now else -1
    return out


def add(session: Session, changes: Mapping[tuple[int, datetime, str], int]) -> None:
    """Upsert the counter changes, in a fixed order (concurrent writers never deadlock)."""
    rows: dict[tuple[int, datetime], dict[str, int]] = {}
    for (campaign_id, at, name), n in changes.items():
        if n:
            rows.setdefault((campaign_id, at), {})[name] = n
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    mine = stripe()  # this thread's rows (db.stripes)
    for (campaign_id, at), values in sorted(rows.items()):
        stmt = insert(CampaignActivity).values(
            campaign_id=campaign_id,
            bucket=at,
            stripe=mine,
            **{m.name: values.get(m.name, 0) for m in MILESTONES},
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["campaign_id", "bucket", "stripe"],
            set_={name: getattr(CampaignActivity, name) + n for name, n in sorted(values.items())},
        )
        session.execute(stmt)


def buckets(session: Session, campaign_id: int) -> list[tuple[datetime, int, int, int]]:
    """The campaign's quarter hours with anything in them: (bucket, sent, delivered, read)."""
    rows = session.execute(
        select(
            CampaignActivity.bucket,
            func.sum(CampaignActivity.sent),
            func.sum(CampaignActivity.delivered),
            func.sum(CampaignActivity.read),
        )
        .where(CampaignActivity.campaign_id == campaign_id)
        .group_by(CampaignActivity.bucket)
        .order_by(CampaignActivity.bucket)
    )
    return [(b, int(s), int(d), int(r)) for b, s, d, r in rows if s or d or r]


def counted_slow(session: Session, campaign_id: int) -> dict[tuple[datetime, str], int]:
    """The invariant's right side, from the recipient rows (tests and repair only): per
    (bucket, milestone), the recipients in the milestone's states stamped in that bucket."""
    out: Counter[tuple[datetime, str]] = Counter()
    for m in MILESTONES:
        column = getattr(Recipient, m.stamp)
        rows = session.execute(
            select(column).where(
                Recipient.campaign_id == campaign_id,
                Recipient.state.in_([s.value for s in m.states]),
                column.is_not(None),
            )
        )
        for (stamp,) in rows:
            out[(bucket(stamp), m.name)] += 1
    return dict(out)


def counters(session: Session, campaign_id: int) -> dict[tuple[datetime, str], int]:
    """The invariant's left side: the non-zero counters per (bucket, milestone)."""
    out: dict[tuple[datetime, str], int] = {}
    for b, *values in buckets(session, campaign_id):
        for m, n in zip(MILESTONES, values, strict=True):
            if n:
                out[(b, m.name)] = n
    return out


def opted_out(
    session: Session, workspace_id: int, campaign_id: int, started_at: datetime | None
) -> int:
    """Numbers of this campaign that opted out after it was sent to them: the recipient has a
    ``sent_at`` and its number is on the workspace's suppression list, put there by the person
    (an opt-out keyword, Meta's marketing stop, a 131050: consent.schemas.SELF_LIFTED) at or after
    that send. A number that opted in again (START) was lifted from the list and no longer counts;
    one suppressed before the send was never sent to (INVALID_RECORD / REMOVED "opted out").
    Walks the workspace's suppressions made since the campaign started (``started_at``; None:
    it never sent), each a look-up on (campaign_id, phone): its cost grows with the opt-outs
    since the start, not with the campaign."""
    if started_at is None:
        return 0
    sources = [s.value for s in SELF_LIFTED]
    # Driven by the suppressions (few) with one (campaign_id, phone) look-up each: as a join,
    # SQLite's planner walked the campaign's recipients instead (a million at a time).
    sent_before = (
        select(Recipient.id)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.phone == Suppression.phone,
            Recipient.sent_at.is_not(None),
            Recipient.sent_at <= Suppression.created_at,
        )
        .exists()
    )
    query = select(func.count()).where(
        Suppression.workspace_id == workspace_id,
        Suppression.source.in_(sources),
        Suppression.created_at >= started_at,
        sent_before,
    )
    return int(session.scalar(query) or 0)


def failures(
    session: Session, campaign_id: int, *, limit: int
) -> list[tuple[str, int | None, str | None, int]]:
    """The failed recipients (FAILED_STATES) by state and error code, most first: (state, code,
    a title stored with that code, count). The counts come from the partial index
    ix_recipients_failed alone (failed rows only, covering); then one row per coded group gives
    Meta's title as it was received."""
    # The index's own predicate, as literal SQL: with bound parameters SQLite cannot see that
    # the query implies it and reads the table instead (1.6 s instead of 0.03 s at 80,000).
    failed = text(FAILED_WHERE)
    groups = session.execute(
        select(Recipient.state, Recipient.error_code, func.count())
        .where(Recipient.campaign_id == campaign_id, failed)
        .group_by(Recipient.state, Recipient.error_code)
        .order_by(func.count().desc(), Recipient.state, Recipient.error_code)
        .limit(limit)
    ).all()
    out = []
    for state, code, n in groups:
        title = None
        if code is not None:
            # A few rows of the group, not a search for a title (a group without one would be
            # read whole); none among them: the caller falls back on the code's description.
            titles = session.scalars(
                select(Recipient.error_title)
                .where(
                    Recipient.campaign_id == campaign_id,
                    failed,
                    Recipient.state == state,
                    Recipient.error_code == code,
                )
                .limit(3)
            )
            title = next((t for t in titles if t), None)
        out.append((str(state), code, title, int(n)))
    return out
