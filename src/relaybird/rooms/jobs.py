"""Room timers: ACTIVE → LIMITED when a contact's 24 h window lapses (and back when open), and
the reconciliation of room-message sends whose process died mid-send."""

from __future__ import annotations

from relaybird.context import AppContext
from relaybird.rooms import outbound, repository, service
from relaybird.rooms.messages import WINDOW_NETWORKS


def recheck_windows(ctx: AppContext) -> int:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        due = repository.rooms_to_recheck(session, sorted(WINDOW_NETWORKS), now)
    changed = 0
    for room_id in due:
        with ctx.db.write() as session:
            changed += service.recheck_windows(session, room_id, now)
    return changed


def reconcile_sends(ctx: AppContext) -> int:
    return outbound.reconcile(ctx)
