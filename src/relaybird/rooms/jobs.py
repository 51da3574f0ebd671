"""Room timers: ACTIVE → LIMITED when a contact's customer-service window (WhatsApp 24 h,
WeChat 48 h) lapses (and back when open), and
the reconciliation of room-message sends whose process died mid-send."""

from __future__ import annotations

import logging

from relaybird.context import AppContext
from relaybird.rooms import outbound, repository, service
from relaybird.rooms.messages import WINDOW_NETWORKS

log = logging.getLogger("relaybird.rooms")


def recheck_windows(ctx: AppContext) -> int:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        due = repository.rooms_to_recheck(session, sorted(WINDOW_NETWORKS), now)

    def recheck(room_id: int) -> int:
        with ctx.db.write() as session:
            return int(service.recheck_windows(session, room_id, now))

    return ctx.set_aside("rooms.windows", log).each(due, recheck, "room")


def reconcile_sends(ctx: AppContext) -> int:
    return outbound.reconcile(ctx)
