"""The dispatcher's one question to senders: which of its due recipients may this number send a
business-initiated message to, now?

``admit`` answers it inside the claim's write transaction, in the one order that keeps the
messaging limit exact under concurrent claims (DESIGN.md §2.1):
1. take the lock of the number's limit (its portfolio's when numbers share one:
   ``window.lock_limit``), then the number's row, and only then read the clock: a claim that
   counted the window as of an earlier instant would miss what the claim before it admitted;
2. the status gate (nothing business-initiated leaves a PENDING, OFFLINE, BANNED or RESTRICTED
   number); a number RESTRICTED by its own full window still sends to recipients that cost
   nothing (counted already, or inside an open customer-service window: Meta counts unique
   recipients), so the caller is asked only for those;
3. ask the caller for its due candidates (``due``, given the ``Turn``);
4. admit new recipients only while the window has room, and count the admitted ones
   (``window.take_room``); a full window makes the number RESTRICTED until it frees room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute, Session

from relaybird.models import Sender
from relaybird.senders import repository, window
from relaybird.senders.service import restrict_if_full, status_gate

T = TypeVar("T")


@dataclass(frozen=True)
class Turn:
    """The number as a claim sees it, with ``now`` read under its limit's lock."""

    sender: Sender
    now: datetime
    at_limit: bool  # only recipients that cost no room may go
    sharing: tuple[int, ...] = ()  # the numbers whose window it shares (itself included)

    def only(self, phone: InstrumentedAttribute[str | None]) -> ColumnElement[bool] | None:
        """An SQL condition on the candidates' ``phone`` column for ``due``: None when any due
        recipient may be asked for, else "costs no room"."""
        if not self.at_limit:
            return None
        return window.costs_nothing(self.sender, self.sharing, phone, self.now)


@dataclass(frozen=True)
class Admitted(Generic[T]):
    turn: Turn | None  # None: the number is gone
    items: list[T] = field(default_factory=list)  # admitted, in the order ``due`` gave them
    reason: str | None = None  # why nothing was admitted
    asked: bool = False  # whether ``due`` was asked (the status gate let it)


def admit(
    session: Session,
    sender_id: int,
    *,
    clock: Callable[[], datetime],
    due: Callable[[Turn], Sequence[T]],
    phone: Callable[[T], str],
) -> Admitted[T]:
    """Admit ``due(turn)``'s candidates (``phone`` gives each one's number) for ``sender_id``."""
    # The first statement: on SQLite it takes the database's write lock (BEGIN IMMEDIATE).
    sender = repository.get_any(session, sender_id)
    if sender is None:
        return Admitted(None, reason="sender deleted")
    window.lock_limit(session, sender)
    sender = repository.get_any(session, sender_id, lock=_row_locks(session))
    if sender is None:
        return Admitted(None, reason="sender deleted")
    now = clock()
    gate = status_gate(sender, now)
    if not gate.allowed and not gate.counted_only:
        closed = Turn(sender, now, at_limit=False)
        return Admitted(closed, reason=gate.reason or f"sender is {sender.status}")
    at_limit = not gate.allowed
    turn = Turn(sender, now, at_limit, tuple(window.sharing(session, sender)) if at_limit else ())
    candidates = list(due(turn))
    if not candidates:
        return Admitted(turn, reason="nothing due" if gate.allowed else gate.reason, asked=True)
    admission = window.take_room(session, sender, [phone(c) for c in candidates], now)
    if admission.usage.frees_at is not None:
        # The window is full: RESTRICTED until it frees room (the campaign shows why it waits).
        restrict_if_full(session, sender, admission.usage, at=now)
    admitted = set(admission.phones)
    items = [c for c in candidates if phone(c) in admitted]
    reason = None if items else "messaging limit reached" if admission.refused else "nothing due"
    return Admitted(turn, items, reason, asked=True)


def _row_locks(session: Session) -> bool:
    """PostgreSQL locks the number's row for the claim (after the limit's lock, the order of
    every writer of the window); SQLite writers are serialised by BEGIN IMMEDIATE already."""
    return session.get_bind().dialect.name == "postgresql"
