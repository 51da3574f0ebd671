"""The registered jobs. Add yours with one line in ``registered_jobs``."""

from __future__ import annotations

import asyncio

from relaybird.contacts import jobs as contact_jobs
from relaybird.context import AppContext
from relaybird.rooms import jobs as room_jobs
from relaybird.scheduler import campaign_jobs
from relaybird.scheduler.registry import Job, run_jobs
from relaybird.senders import loops as sender_jobs
from relaybird.templates import sync as template_jobs


def registered_jobs() -> list[Job]:
    return [
        Job("campaigns.scheduled_starts", 1.0, campaign_jobs.start_scheduled),
        Job("campaigns.reconcile_leases", 2.0, campaign_jobs.reconcile_leases),
        Job("campaigns.finish", 2.0, campaign_jobs.finish_campaigns),
        Job("campaigns.interrupted_imports", 30.0, campaign_jobs.fail_interrupted_imports),
        # Restriction release, the FLAGGED 7-day decision, window pruning.
        Job("senders.lifecycle", 2.0, sender_jobs.tick),
        Job("contacts.invitation_delivery", 1.0, contact_jobs.settle_invitation_deliveries),
        Job("contacts.invitation_expiry", 1.0, contact_jobs.expire_invitations),
        Job("rooms.windows", 5.0, room_jobs.recheck_windows),
        Job("rooms.reconcile_sends", 10.0, room_jobs.reconcile_sends),
        Job("templates.sync", 30.0, template_jobs.sync_job),
    ]


async def scheduler_loop(ctx: AppContext, stop: asyncio.Event) -> None:
    await run_jobs(ctx, stop, registered_jobs())
