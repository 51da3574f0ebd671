"""Contact timers: an invitation's e-mail was sent (or refused for good) → its contact moves;
invitations not validated within RELAYBIRD_INVITE_EXPIRY (counted from the sending) expire."""

from __future__ import annotations

import logging
from datetime import datetime

from relaybird.contacts import invitations, repository
from relaybird.context import AppContext

log = logging.getLogger("relaybird.contacts")

BATCH = 200


def settle_invitation_deliveries(ctx: AppContext) -> int:
    """Apply the fate of every invitation e-mail that was sent or failed since the last run,
    one short transaction each (a crash loses at most the one in flight, which the next run
    picks up; a second worker's compare-and-set makes it a no-op). The mail layer knows
    nothing of contacts: it records each e-mail's outcome, and this job reads it."""
    done, after = 0, 0
    expiry = ctx.settings.invite_expiry
    rows = ctx.set_aside("contacts.invitation_delivery", log)

    def settle(invitation_id: int) -> int:
        with ctx.db.write() as session:
            return int(
                invitations.settle_delivery(
                    session, invitation_id, expiry=expiry, now=ctx.clock.now()
                )
            )

    while True:
        with ctx.db.read() as session:
            due = repository.unsettled_deliveries(session, after, BATCH)
        done += rows.each(due, settle, "invitation")
        if due:
            after = due[-1]
        if len(due) < BATCH:
            return done


def expire_invitations(ctx: AppContext) -> int:
    """Expire every due invitation, one short transaction each (a crash loses at most the one in
    flight, which the next run picks up; a second worker's compare-and-set makes it a no-op)."""
    done = 0
    rows = ctx.set_aside("contacts.invitation_expiry", log)
    while True:
        now = ctx.clock.now()
        with ctx.db.read() as session:
            due = repository.due_expiries(session, now, BATCH)

        def expire(invitation_id: int, now: datetime = now) -> int:
            with ctx.db.write() as session:
                return int(invitations.expire(session, invitation_id, at=now))

        expired = rows.each(due, expire, "invitation")
        done += expired
        # Stop when the batch was short, or when every row in it was set aside (the next
        # query would return the same rows).
        if len(due) < BATCH or not expired:
            return done
