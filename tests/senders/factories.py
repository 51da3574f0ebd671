"""Test data for senders: a number, a workspace admin, a window full of recipients."""

from __future__ import annotations

from datetime import datetime

from relaybird.config import LimitModel
from relaybird.context import AppContext
from relaybird.models import Sender, User
from relaybird.senders import service, window
from relaybird.senders.service import NewSender

_counter = iter(range(10_000, 99_999))


def add_sender(
    ctx: AppContext,
    workspace_id: int,
    *,
    model: LimitModel = LimitModel.PER_NUMBER,
    waba_id: str | None = "waba-1",
    connected: bool = True,
    name: str = "Main line",
) -> Sender:
    n = next(_counter)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        sender = service.add_sender(
            session,
            workspace_id,
            NewSender(
                name=name,
                phone_number_id=f"pn-{n}",
                display_phone_number=f"+1 555 01{n}",
                access_token=f"secret-token-{n}",
                waba_id=waba_id,
                limit_model=model,
            ),
            actor="test",
            now=now,
        )
        if connected:
            service.change(session, sender.id, service.lc.on_registered, actor="test", now=now)
    return sender


def add_admin(ctx: AppContext, workspace_id: int, email: str = "admin@example.test") -> None:
    with ctx.db.write() as session:
        session.add(
            User(workspace_id=workspace_id, name="Admin", email=email, role="admin", active=True)
        )


def fill(ctx: AppContext, sender_id: int, count: int, at: datetime, prefix: str = "+1444") -> None:
    """Count ``count`` distinct recipients at ``at`` (no lifecycle step: the raw window)."""
    with ctx.db.write() as session:
        window.count_business_initiated(
            session, sender_id, [f"{prefix}{i:07d}" for i in range(count)], at
        )
