"""The moving 24 h messaging-limit window in SQL over the sender_contacts table (DESIGN.md §2.1).

A limit counts unique recipients of business-initiated messages outside an open customer-service
window over a moving 24 h. A phone is counted at its latest business-initiated send (one row per
sender and phone), so the window's usage is the number of phones counted within the last 24 h;
the same rows, kept 7 days, answer "unique within 7 days" for tier upgrades. In the PER_PORTFOLIO
model the numbers of a portfolio share the limit: counts run over all their rows, a phone once.
``lifecycle.MovingWindow`` is the same counting in memory (the simulator's).

``take_room`` is what the dispatcher calls inside its claim transaction: it splits the candidates
into phones that cost nothing (already counted in the window, or inside an open customer-service
window) and new ones, admits new ones only while there is room, and counts the admitted ones, all
in the caller's transaction, so the limit is never overshot. Every writer of the window first
takes ``lock_limit``: one lock per limit holder (the portfolio in the PER_PORTFOLIO model, else
the number), so numbers sharing a limit are admitted one claim at a time (SQLite: the BEGIN
IMMEDIATE write lock already serialises every writer; PostgreSQL: a transaction-scoped advisory
lock on the holder's key). Read ``now`` after taking it: a claim that counted the window as of an
earlier instant would miss what the claim before it admitted. ``admit`` is the rule itself, pure.
This module only measures; the moves (RESTRICTED when full, release when there is room) are
``senders.service``'s.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Exists, Table, delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from relaybird.config import LimitModel
from relaybird.models import Sender, SenderContact
from relaybird.senders import repository
from relaybird.senders.lifecycle import UPGRADE_LOOKBACK, WINDOW, Usage
from relaybird.senders.tiers import capacity
from relaybird.senders.transitions import MessagingLimit

SC = SenderContact
_CHUNK = 900  # stay under SQLite's bound-parameter limit


@dataclass(frozen=True)
class Admission:
    phones: list[str]  # admitted, in the order given
    refused: int  # new phones left out for lack of room
    usage: Usage


# Advisory-lock namespaces (PostgreSQL ``pg_advisory_xact_lock(namespace, key)``).
_LOCK_NUMBER = 0x52420001  # key: the sender id
_LOCK_PORTFOLIO = 0x52420002  # key: crc32 of "workspace/waba" (a collision only serialises more)


def holder_key(sender: Sender) -> tuple[int, int]:
    """The lock key of the limit ``sender`` counts against: its portfolio, or itself."""
    if sender.limit_model == LimitModel.PER_PORTFOLIO and sender.waba_id is not None:
        digest = zlib.crc32(f"{sender.workspace_id}/{sender.waba_id}".encode())
        return _LOCK_PORTFOLIO, digest - (1 << 32) if digest >= 1 << 31 else digest
    return _LOCK_NUMBER, sender.id


def lock_limit(session: Session, sender: Sender) -> None:
    """Hold ``sender``'s limit (its portfolio's when shared) until the transaction ends. Take it
    before locking any sender row (one order everywhere: no deadlock), then read ``now``."""
    if session.get_bind().dialect.name == "postgresql":
        namespace, key = holder_key(sender)
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": namespace, "key": key},
        )
    # SQLite: the caller's BEGIN IMMEDIATE transaction already holds the database's write lock.


@dataclass(frozen=True)
class Admitted:
    phones: list[str]  # admitted, in the order given
    counted: list[str]  # of those, the ones the window counts (each phone once)
    refused: int  # new phones left out for lack of room


def admit(phones: Sequence[str], free: set[str] | frozenset[str], room: int) -> Admitted:
    """The admission rule: a phone that costs nothing (``free``: counted in the window already,
    or inside an open customer-service window) is always admitted; a new one while ``room`` (new
    unique recipients the limit still allows) lasts; a phone twice in one claim costs once."""
    admitted: list[str] = []
    counted: list[str] = []
    refused = 0
    seen_new: set[str] = set()
    for phone in phones:
        if phone in free or phone in seen_new:
            admitted.append(phone)
            if phone in free:
                counted.append(phone)
            continue
        if room > 0:
            room -= 1
            seen_new.add(phone)
            admitted.append(phone)
            counted.append(phone)
        else:
            refused += 1
    return Admitted(admitted, counted, refused)


def sharing(session: Session, sender: Sender) -> list[int]:
    """The senders whose rows make up ``sender``'s window (its portfolio when it shares one)."""
    if sender.limit_model == LimitModel.PER_PORTFOLIO:
        return [s.id for s in repository.portfolio(session, sender)]
    return [sender.id]


def used(session: Session, sender_ids: Sequence[int], now: datetime) -> int:
    return _unique_since(session, list(sender_ids), now - WINDOW, now)


def usage(
    session: Session, sender_ids: Sequence[int], limit: MessagingLimit, now: datetime
) -> Usage:
    """The window figures of one sender (or of a portfolio's senders) at ``now``."""
    ids = list(sender_ids)
    n = _unique_since(session, ids, now - WINDOW, now)
    return Usage(
        used=n,
        frees_at=frees_at(session, ids, limit, n, now),
        unique_7d=_unique_since(session, ids, now - UPGRADE_LOOKBACK, now),
    )


def frees_at(
    session: Session, sender_ids: Sequence[int], limit: MessagingLimit, n: int, now: datetime
) -> datetime | None:
    """When a full window has room again: once the (n - cap + 1) oldest counted phones left it."""
    cap = capacity(limit)
    if cap is None or n < cap:
        return None
    latest = func.max(SC.last_counted_at).label("t")
    per_phone = (
        select(latest)
        .where(SC.sender_id.in_(list(sender_ids)), SC.last_counted_at > now - WINDOW)
        .group_by(SC.phone)
        .subquery()
    )
    oldest = session.scalar(select(per_phone.c.t).order_by(per_phone.c.t).offset(n - cap).limit(1))
    return None if oldest is None else _aware(oldest) + WINDOW


def _unique_since(session: Session, ids: list[int], start: datetime, now: datetime) -> int:
    counted = func.count(SC.phone) if len(ids) == 1 else func.count(func.distinct(SC.phone))
    query = select(counted).where(
        SC.sender_id.in_(ids), SC.last_counted_at > start, SC.last_counted_at <= now
    )
    return int(session.scalar(query) or 0)


def free_phones(session: Session, sender: Sender, phones: Sequence[str], now: datetime) -> set[str]:
    """Phones that cost no room: counted in the (shared) window already, or inside an open
    customer-service window with this sender (they wrote to it in the last 24 h)."""
    ids = sharing(session, sender)
    free: set[str] = set()
    for i in range(0, len(phones), _CHUNK):
        part = list(phones[i : i + _CHUNK])
        free.update(
            session.scalars(
                select(SC.phone).where(
                    SC.sender_id.in_(ids),
                    SC.phone.in_(part),
                    or_(
                        SC.last_counted_at > now - WINDOW,
                        (SC.sender_id == sender.id) & (SC.window_expires_at > now),
                    ),
                )
            )
        )
    return free


def costs_nothing(
    sender: Sender, ids: Sequence[int], phone: InstrumentedAttribute[str | None], now: datetime
) -> Exists:
    """SQL: ``phone`` costs no room (the set ``free_phones`` computes), for a query that picks
    only such recipients (a number at its limit still sends to them)."""
    return (
        select(SC.phone)
        .where(
            SC.sender_id.in_(list(ids)),
            SC.phone == phone,
            or_(
                SC.last_counted_at > now - WINDOW,
                (SC.sender_id == sender.id) & (SC.window_expires_at > now),
            ),
        )
        .exists()
    )


def count_business_initiated(
    session: Session, sender_id: int, phones: Sequence[str], at: datetime
) -> None:
    """Count business-initiated sends to ``phones`` at ``at`` (insert, or move their latest
    counted send). A phone inside its open customer-service window is not counted."""
    if not phones:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [
        {"sender_id": sender_id, "phone": p, "last_counted_at": at} for p in dict.fromkeys(phones)
    ]
    # On the table, not the ORM entity: a plain executemany, without the ORM's per-row bulk
    # bookkeeping (a quarter of the claim transaction's time at 200 recipients a claim).
    table: Table = SC.__table__  # type: ignore[assignment]
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["sender_id", "phone"],
        set_={"last_counted_at": stmt.excluded.last_counted_at},
        where=or_(table.c.window_expires_at.is_(None), table.c.window_expires_at <= at),
    )
    for i in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[i : i + _CHUNK])


def take_room(session: Session, sender: Sender, phones: Sequence[str], now: datetime) -> Admission:
    """Admit phones in order while the limit allows; count the admitted ones. The caller holds
    ``lock_limit`` and read ``now`` after taking it."""
    limit = MessagingLimit(sender.messaging_limit)
    cap = capacity(limit)
    ids = sharing(session, sender)
    if cap is None:
        count_business_initiated(session, sender.id, phones, now)
        return Admission(list(phones), 0, Usage(used=0))
    free = free_phones(session, sender, phones, now)
    rule = admit(phones, free, cap - used(session, ids, now))
    count_business_initiated(session, sender.id, rule.counted, now)
    return Admission(rule.phones, rule.refused, usage(session, ids, limit, now))


def open_service_window(session: Session, sender_id: int, phone: str, until: datetime) -> None:
    """A phone wrote to the sender: messages to it are free of the limit until ``until``."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SC).values(sender_id=sender_id, phone=phone, window_expires_at=until)
    stmt = stmt.on_conflict_do_update(
        index_elements=["sender_id", "phone"], set_={"window_expires_at": until}
    )
    session.execute(stmt)


def in_service_window(session: Session, sender_id: int, phone: str, now: datetime) -> bool:
    expires = session.scalar(
        select(SC.window_expires_at).where(SC.sender_id == sender_id, SC.phone == phone)
    )
    return expires is not None and _aware(expires) > now


def prune(session: Session, now: datetime) -> int:
    """Forget phones counted before the upgrade lookback whose service window is closed."""
    result = session.execute(
        delete(SC).where(
            or_(SC.last_counted_at.is_(None), SC.last_counted_at <= now - UPGRADE_LOOKBACK),
            or_(SC.window_expires_at.is_(None), SC.window_expires_at <= now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _aware(value: datetime | str) -> datetime:
    # Aggregates (max) bypass the column type on SQLite and come back as naive text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
