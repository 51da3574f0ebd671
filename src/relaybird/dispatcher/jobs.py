"""The dispatcher's timer (a scheduler job, registered in relaybird/wiring.py): give back the
recipients of send leases that expired (a worker died mid-send)."""

from __future__ import annotations

from relaybird.context import AppContext
from relaybird.dispatcher.reconcile import reconcile_expired


def reconcile_leases(ctx: AppContext) -> int:
    total = 0
    while True:
        with ctx.db.write() as session:
            n = reconcile_expired(session, now=ctx.clock.now(), policy=ctx.settings.delivery_policy)
        total += n
        if n == 0:
            return total
