"""Refused webhooks are never silent: each is counted, logged (one line per door and reason a
minute, with the count) and kept per minute in ``webhook_refusals``, so `relaybird status`, the
dashboard and /metrics say "webhooks refused in the last hour: N, last reason …".

A flood of unsigned requests costs memory for a handful of counters and one small write every
few seconds: refusals are added up in the process and written in the background.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.config import Settings
from relaybird.context import AppContext, Local
from relaybird.models import WebhookRefusal

log = logging.getLogger("relaybird.webhooks")

WRITE_EVERY = timedelta(seconds=5)
LOG_EVERY = timedelta(seconds=60)
KEEP = timedelta(days=7)
RECENT = timedelta(hours=1)
MAX_REASON = 200


@dataclass
class _Count:
    count: int = 0
    last_at: datetime | None = None


@dataclass
class Refusals:
    """The process's refusal counters (one per context, closed with its other resources)."""

    ctx: AppContext
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: dict[tuple[str, str, datetime], _Count] = field(default_factory=dict)
    _unlogged: dict[tuple[str, str], int] = field(default_factory=dict)
    _logged_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    _written_at: datetime | None = None
    _writing: bool = False

    def note(self, door: str, reason: str, now: datetime) -> bool:
        """Count one refusal; log it when this door and reason were quiet for a minute. True
        when the counts are due to be written."""
        reason = reason[:MAX_REASON]
        with self._lock:
            counter = self._pending.setdefault((door, reason, _minute(now)), _Count())
            counter.count += 1
            counter.last_at = now
            key = (door, reason)
            self._unlogged[key] = self._unlogged.get(key, 0) + 1
            last = self._logged_at.get(key)
            if last is None or now - last >= LOG_EVERY:
                n = self._unlogged.pop(key)
                self._logged_at[key] = now
                more = f" ({n} since the last line)" if last is not None and n > 1 else ""
                log.warning("webhook refused at /webhooks/%s: %s%s", door, reason, more)
            due = not self._writing and (
                self._written_at is None or now - self._written_at >= WRITE_EVERY
            )
            if due:
                self._writing = True
            return due

    def write(self) -> None:
        """Add the pending counts to the table (blocking: call it from a thread)."""
        ctx = self.ctx
        with self._lock:
            pending, self._pending = self._pending, {}
        now = ctx.clock.now()
        try:
            if pending:
                with ctx.db.write() as session:
                    for (door, reason, minute), c in pending.items():
                        _add(session, door, reason, minute, c.count, c.last_at or now)
                    session.execute(delete(WebhookRefusal).where(WebhookRefusal.hour < now - KEEP))
        except Exception:
            log.exception("could not record refused webhooks; counts kept for the next write")
            with self._lock:
                for key, c in pending.items():
                    mine = self._pending.setdefault(key, _Count())
                    mine.count += c.count
                    mine.last_at = max(filter(None, (mine.last_at, c.last_at)), default=None)
        finally:
            with self._lock:
                self._written_at = now
                self._writing = False

    async def close(self) -> None:
        """Write what is still pending (the context is closing)."""
        if self._pending:
            await asyncio.to_thread(self.write)


REFUSALS = Local("inbox.refusals", Refusals)


def refusals(ctx: AppContext) -> Refusals:
    return ctx.local(REFUSALS)


async def refused(ctx: AppContext, door: str, reason: str) -> None:
    """A webhook was refused at ``door`` for ``reason`` (our own words, never the request's)."""
    counters = refusals(ctx)
    if counters.note(door, reason, ctx.clock.now()):
        await asyncio.to_thread(counters.write)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _add(
    session: Session, door: str, reason: str, minute: datetime, count: int, last_at: datetime
) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = WebhookRefusal.__table__
    assert isinstance(table, Table)
    stmt = insert(table).values(door=door, reason=reason, hour=minute, count=count, last_at=last_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=["door", "reason", "hour"],
        set_={
            "count": table.c.count + stmt.excluded.count,
            "last_at": func.max(table.c.last_at, stmt.excluded.last_at)
            if dialect == "sqlite"
            else func.greatest(table.c.last_at, stmt.excluded.last_at),
        },
    )
    session.execute(stmt)


@dataclass(frozen=True)
class RecentRefusals:
    count: int
    last_door: str | None
    last_reason: str | None
    last_at: datetime | None

    def line(self) -> str:
        """``webhooks refused in the last hour: 12, last: /webhooks/whatsapp, <reason> at …``"""
        if not self.count:
            return "webhooks refused in the last hour: 0"
        return (
            f"webhooks refused in the last hour: {self.count:,}, last: "
            f"/webhooks/{self.last_door}, {self.last_reason}"
        )


def recent(session: Session, now: datetime, window: timedelta = RECENT) -> RecentRefusals:
    since = _minute(now - window)
    total = session.scalar(
        select(func.coalesce(func.sum(WebhookRefusal.count), 0)).where(WebhookRefusal.hour >= since)
    )
    last = session.execute(
        select(WebhookRefusal.door, WebhookRefusal.reason, WebhookRefusal.last_at)
        .where(WebhookRefusal.hour >= since)
        .order_by(WebhookRefusal.last_at.desc(), WebhookRefusal.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return RecentRefusals(int(total or 0), None, None, None)
    return RecentRefusals(int(total or 0), last.door, last.reason, last.last_at)


def unconfigured(settings: Settings) -> list[str]:
    """One warning per webhook door that will refuse everything (its secret is not set)."""
    doors = (
        (
            "whatsapp",
            "RELAYBIRD_WHATSAPP_APP_SECRET",
            settings.whatsapp_app_secret,
            "your Meta app's secret (`relaybird simulator` prints the one it signs with)",
        ),
        (
            "direct",
            "RELAYBIRD_DIRECT_WEBHOOK_SECRET",
            settings.direct_webhook_secret,
            "the secret your Direct carrier bridge signs with",
        ),
    )
    return [
        f"{name} is not set: every POST to /webhooks/{door} will be refused (401); set it to {what}"
        for door, name, secret, what in doors
        if not secret.get_secret_value()
    ]


def by_door(session: Session, now: datetime, window: timedelta = RECENT) -> dict[str, int]:
    """Refusals per door in the last ``window`` (the figure /metrics shows)."""
    rows = session.execute(
        select(WebhookRefusal.door, func.sum(WebhookRefusal.count))
        .where(WebhookRefusal.hour >= _minute(now - window))
        .group_by(WebhookRefusal.door)
    )
    return {door: int(n) for door, n in rows}
