"""Contact timers: invitations not validated within RELAYBIRD_INVITE_EXPIRY expire."""

from __future__ import annotations

from relaybird.contacts import invitations, repository
from relaybird.context import AppContext

BATCH = 200


def expire_invitations(ctx: AppContext) -> int:
    """Expire every due invitation, one short transaction each (a crash loses at most the one in
    flight, which the next run picks up; a second worker's compare-and-set makes it a no-op)."""
    done = 0
    while True:
        now = ctx.clock.now()
        with ctx.db.read() as session:
            due = repository.due_expiries(session, now, BATCH)
        for invitation_id in due:
            with ctx.db.write() as session:
                done += invitations.expire(session, invitation_id, at=now)
        if len(due) < BATCH:
            return done
