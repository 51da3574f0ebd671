"""Provider statuses (sent/delivered/read/failed webhooks) applied to campaign recipients.

A status is matched to its recipient by ``biz_opaque_callback_data`` (``r:<recipient id>``, set
at send time, so it matches even before the send call returned the wamid) or else by wamid.
Statuses only move up (PROVIDER_RANK): a late ``delivered`` never overwrites READ, duplicates are
no-ops. A ``failed`` with 131026 means the recipient is not on WhatsApp: SENDING_FAILED. The
provider's word wins over our guess: a status for a recipient we gave up as ERROR "outcome
unknown" (or scheduled for a retry) moves it, for every outcome, and replaces its error fields
with the provider's (none for sent/delivered/read).

Applied in batches: the statuses of a batch are planned per recipient in rank order, then written
in waves, one ``move_recipients`` per (from, event, to, error) group, so a POST of 1,000 statuses
costs a handful of statements rather than thousands.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from relaybird.campaigns import costs
from relaybird.campaigns.recipients import move_recipient, move_recipients
from relaybird.campaigns.transitions import PROVIDER_RANK, RECIPIENT, RecipientEvent, RecipientState
from relaybird.errors import IllegalTransition
from relaybird.inbox.handlers import ApplyContext, Registry
from relaybird.models import Campaign, Recipient, Sender
from relaybird.providers.whatsapp.events import MessageStatus

log = logging.getLogger("relaybird.campaigns.statuses")

RECIPIENT_PREFIX = "r:"
ACTOR = "webhook"
NOT_ON_WHATSAPP = 131026

# provider status → (table event, target). `played` (a voice note was played) implies read.
STATUS_MOVES: dict[str, tuple[RecipientEvent, RecipientState]] = {
    "sent": (RecipientEvent.STATUS_SENT, RecipientState.SENT),
    "delivered": (RecipientEvent.STATUS_DELIVERED, RecipientState.DELIVERED),
    "read": (RecipientEvent.STATUS_READ, RecipientState.READ),
    "played": (RecipientEvent.STATUS_READ, RecipientState.READ),
    "failed": (RecipientEvent.STATUS_FAILED, RecipientState.DELIVERY_FAILED),
}


def callback_data(recipient_id: int) -> str:
    """What the dispatcher sends as biz_opaque_callback_data for a recipient."""
    return f"{RECIPIENT_PREFIX}{recipient_id}"


def recipient_id_of(callback: str | None) -> int | None:
    if not callback or not callback.startswith(RECIPIENT_PREFIX):
        return None
    try:
        return int(callback[len(RECIPIENT_PREFIX) :])
    except ValueError:
        return None


@dataclass(frozen=True)
class _Move:
    source: RecipientState
    event: RecipientEvent
    target: RecipientState
    error_code: int | None
    error_title: str | None


def apply_statuses(
    session: Session, events: Sequence[MessageStatus], ctx: ApplyContext
) -> list[MessageStatus]:
    """Apply what matches a recipient; return the statuses that matched none (retried later)."""
    by_id: dict[int, list[MessageStatus]] = defaultdict(list)
    by_wamid: dict[str, list[MessageStatus]] = defaultdict(list)
    unmatched: list[MessageStatus] = []
    for event in events:
        if event.status not in STATUS_MOVES:
            log.info("status %r of %s ignored for recipients", event.status, event.wamid)
            continue
        rid = recipient_id_of(event.callback_data)
        if rid is not None:
            by_id[rid].append(event)
        elif event.callback_data is None or not event.callback_data.startswith("m:"):
            by_wamid[event.wamid].append(event)
        else:
            unmatched.append(event)  # a room message's status: not ours
    rows = _load(session, list(by_id), list(by_wamid))
    per_recipient: dict[int, list[MessageStatus]] = defaultdict(list)
    for rid, items in by_id.items():
        if rid in rows.states:
            per_recipient[rid].extend(_same_number(rows, rid, items))
        else:
            unmatched.extend(items)
    for wamid, items in by_wamid.items():
        rid_or_none = rows.by_wamid.get(wamid)
        if rid_or_none is None:
            unmatched.extend(items)
        else:
            per_recipient[rid_or_none].extend(_same_number(rows, rid_or_none, items))
    per_recipient = {rid: items for rid, items in per_recipient.items() if items}

    _record_wamids(session, rows, per_recipient)
    plans = {rid: _plan(rows.states[rid], items) for rid, items in per_recipient.items()}
    _execute(session, plans, ctx)
    costs.record(session, per_recipient, ctx.settings.template_rate_card)
    return unmatched


def _same_number(rows: _Rows, rid: int, items: list[MessageStatus]) -> list[MessageStatus]:
    """Only a status reported for the number the recipient was sent from counts: callback data
    and wamids are echoed by whoever sends, so a status of another number (another workspace's,
    or one sent outside relaybird with our callback data) never moves this recipient."""
    number = rows.numbers.get(rid)
    kept = [e for e in items if e.phone_number_id == number]
    if len(kept) < len(items):
        log.warning(
            "%d status(es) for recipient %s came from another number than its sender's: ignored",
            len(items) - len(kept),
            rid,
        )
    return kept


@dataclass
class _Rows:
    states: dict[int, RecipientState]
    wamids: dict[int, str | None]
    by_wamid: dict[str, int]
    numbers: dict[int, str]  # recipient → its campaign's sender's phone_number_id


# A stored state's enum member by its text: a dict lookup, not the Enum constructor per row.
_STATES: dict[str, RecipientState] = {s.value: s for s in RecipientState}


def _load(session: Session, ids: list[int], wamids: list[str]) -> _Rows:
    rows = _Rows({}, {}, {}, {})
    # The tables' columns, run on the connection: a plain Core select (the ORM-enabled one spent
    # more on its compile state and result processing than the query took).
    r, c, s = (_table(m) for m in (Recipient, Campaign, Sender))
    joined = select(r.c.id, r.c.state, r.c.wamid, s.c.phone_number_id)
    joined = joined.join(c, c.c.id == r.c.campaign_id).join(s, s.c.id == c.c.sender_id)
    queries = []
    if ids:
        queries.append(joined.where(r.c.id.in_(ids)))
    if wamids:
        queries.append(joined.where(r.c.wamid.in_(wamids)))
    session.flush()  # what the ORM's autoflush would do before a query (nothing, usually)
    connection = session.connection()
    for query in queries:
        for rid, state, wamid, number in connection.execute(query):
            rows.states[int(rid)] = _STATES[state]
            rows.wamids[int(rid)] = wamid
            rows.numbers[int(rid)] = number
            if wamid is not None:
                rows.by_wamid[wamid] = int(rid)
    return rows


def _table(model: type[Recipient] | type[Campaign] | type[Sender]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _record_wamids(
    session: Session, rows: _Rows, per_recipient: dict[int, list[MessageStatus]]
) -> None:
    """A status matched by callback data before the send call returned: keep its wamid."""
    missing = [
        {"rid": rid, "wamid": items[0].wamid}
        for rid, items in per_recipient.items()
        if rows.wamids.get(rid) is None
    ]
    if missing:
        table = _table(Recipient)
        # Core statement: an executemany keyed on our own bind names, not ORM bulk-by-PK.
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("rid"), table.c.wamid.is_(None))
            .values(wamid=bindparam("wamid")),
            missing,
        )


def _plan(state: RecipientState, items: list[MessageStatus]) -> list[_Move]:
    """The moves these statuses make from ``state``, in rank order; stale ones drop out."""
    moves: list[_Move] = []
    current = state
    ordered = sorted(items, key=lambda e: PROVIDER_RANK[STATUS_MOVES[e.status][1]])
    for event in ordered:
        name, target = STATUS_MOVES[event.status]
        code = event.error_code
        if event.status == "failed" and code == NOT_ON_WHATSAPP:
            name, target = RecipientEvent.NO_WHATSAPP_ACCOUNT, RecipientState.SENDING_FAILED
        if PROVIDER_RANK.get(target, 0) <= PROVIDER_RANK.get(current, 0):
            continue  # stale or duplicate: statuses never move backwards
        if not RECIPIENT.can(current, name, target):
            continue  # e.g. a `failed` after DELIVERED (multi-device): keep DELIVERED
        title = event.errors[0].title if event.errors else None
        moves.append(_Move(current, name, target, code, title))
        current = target
    return moves


def _execute(session: Session, plans: dict[int, list[_Move]], ctx: ApplyContext) -> None:
    wave = 0
    while True:
        groups: dict[
            tuple[RecipientState, RecipientEvent, RecipientState, int | None, str | None], list[int]
        ]
        groups = defaultdict(list)
        for rid, moves in plans.items():
            if wave < len(moves):
                m = moves[wave]
                groups[(m.source, m.event, m.target, m.error_code, m.error_title)].append(rid)
        if not groups:
            return
        for (source, event, target, code, title), ids in groups.items():
            # The provider's word replaces ours: its error, or none (a stale "outcome unknown"
            # or transient error title is cleared when a late sent/delivered/read arrives).
            values: dict[str, object] = {
                "updated_at": ctx.now,
                "error_code": code,
                "error_title": title,
            }
            moved = move_recipients(
                session,
                ids,
                source=source,
                event=event,
                target=target,
                actor=ACTOR,
                error_code=code,
                values=values,
                at=ctx.now,
            )
            # A concurrent writer (the dispatcher recording "accepted") moved some rows since we
            # read them: decide those one by one against their current state.
            for rid in set(ids) - {m.id for m in moved}:
                _move_one(session, rid, event, target, code, values, ctx)
        wave += 1


def _move_one(
    session: Session,
    rid: int,
    event: RecipientEvent,
    target: RecipientState,
    code: int | None,
    values: dict[str, object],
    ctx: ApplyContext,
) -> None:
    state = session.scalar(select(Recipient.state).where(Recipient.id == rid))
    if state is None or PROVIDER_RANK.get(target, 0) <= PROVIDER_RANK.get(RecipientState(state), 0):
        return
    try:
        move_recipient(
            session,
            rid,
            event=event,
            target=target,
            actor=ACTOR,
            error_code=code,
            values=values,
            at=ctx.now,
        )
    except IllegalTransition:
        log.debug("recipient %s: %s no longer applies from %s", rid, event, state)


def register(registry: Registry) -> None:
    registry.on(MessageStatus, apply_statuses)
