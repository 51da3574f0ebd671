"""Contact timers: an invitation's e-mail was sent (or refused for good) → its contact moves;
invitations not validated within RELAYBIRD_INVITE_EXPIRY (counted from the sending) expire."""

from __future__ import annotations

from relaybird.contacts import invitations, repository
from relaybird.context import AppContext

BATCH = 200


def settle_invitation_deliveries(ctx: AppContext) -> int:
    """Apply the fate of every invitation e-mail that was sent or failed since the last run,
    one short transaction each (a crash loses at most the one in flight, which the next run
    picks up; a second worker's compare-and-set makes it a no-op). The mail layer knows
    nothing of contacts: it records each e-mail's outcome, and this job reads it."""
    done, after = 0, 0
    expiry = ctx.settings.invite_expiry
    while True:
        with ctx.db.read() as session:
            due = repository.unsettled_deliveries(session, after, BATCH)
        for invitation_id in due:
            after = invitation_id
            with ctx.db.write() as session:
                done += invitations.settle_delivery(
                    session, invitation_id, expiry=expiry, now=ctx.clock.now()
                )
        if len(due) < BATCH:
            return done


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
