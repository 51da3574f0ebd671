"""Campaign timers (scheduler jobs, registered in relaybird/wiring.py): scheduled starts,
finishing campaigns, imports whose process died."""

from __future__ import annotations

import logging
from datetime import timedelta

from relaybird.campaigns import repository
from relaybird.campaigns import service as campaigns
from relaybird.context import AppContext

log = logging.getLogger("relaybird.scheduler")


def start_scheduled(ctx: AppContext) -> int:
    now = ctx.clock.now()
    with ctx.db.read() as session:
        due = repository.scheduled_due(session, now)

    def start(campaign_id: int) -> int:
        with ctx.db.write() as session:
            return int(campaigns.start_scheduled(session, campaign_id, at=now).changed)

    return ctx.set_aside("campaigns.scheduled_starts", log).each(due, start, "campaign")


def finish_campaigns(ctx: AppContext) -> int:
    """Cancel what an ENDED campaign still has waiting (if the end request died half-way), and
    complete RUNNING campaigns with nothing left to send."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        ended = repository.ended_with_waiting(session)
        running = repository.running_ids(session)

    def cancel(campaign_id: int) -> int:
        done = 0
        while True:
            with ctx.db.write() as session:
                n = campaigns.cancel_waiting(session, campaign_id, actor="scheduler", at=now)
            done += n
            if n == 0:
                return done

    def complete(campaign_id: int) -> int:
        with ctx.db.write() as session:
            return int(campaigns.complete_if_done(session, campaign_id, at=now))

    rows = ctx.set_aside("campaigns.finish", log)
    return rows.each(ended, cancel, "campaign") + rows.each(running, complete, "campaign")


# An import writes its heartbeat with every chunk of 5,000 rows (well under a second of work);
# two minutes of silence means its process died.
IMPORT_SILENCE = timedelta(minutes=2)


def fail_interrupted_imports(ctx: AppContext) -> int:
    """RUNNING imports whose process died (kill -9, crash, restart) → FAILED with a reason the
    caller can act on, instead of RUNNING forever."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        return len(
            campaigns.fail_interrupted_imports(session, silent_since=now - IMPORT_SILENCE, at=now)
        )
