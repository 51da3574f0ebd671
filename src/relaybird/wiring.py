"""The composition root: where every domain plugs into the shared machinery, in one place.

The registries, one line per entry:

- ``registered_handlers()`` — the inbox applier's handlers (event type → functions);
- ``registered_jobs()`` — the scheduler's timers (each domain keeps its in ``<domain>/jobs.py``);
- ``registered_loops()`` — the background loops `relaybird serve` / `worker` run;
- ``door_routers()`` / ``api_routers()`` / ``root_routers()`` and ``webhook_limits()`` — the
  HTTP doors (``relaybird.app.factory.create_app`` mounts them in that order);
- ``startup_checks()`` — what must hold before serve, api or worker starts.

This module sits above every domain (it imports them) and nothing below imports it: the applier,
the scheduler and the app receive what is registered here as arguments. Imports stay inside the
functions so a process loads only what it runs (the API process never loads the loops' code).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from relaybird.context import AppContext
from relaybird.inbox.handlers import Registry
from relaybird.runtime import Loop, StartupCheck
from relaybird.scheduler.registry import Job, run_jobs

API_PREFIX = "/api/v1"


def startup_checks() -> list[StartupCheck]:
    """What must hold before a process starts (each answers None or why not)."""
    from relaybird.connectors.service import startup_check

    return [startup_check]


def registered_handlers() -> Registry:
    """The registry the applier uses, one line per domain."""
    from relaybird.campaigns import replies as campaign_replies
    from relaybird.campaigns import statuses as campaign_statuses
    from relaybird.campaigns import template_stops as campaign_template_stops
    from relaybird.consent import handlers as consent_handlers
    from relaybird.direct import handlers as direct_handlers
    from relaybird.rooms import handlers as room_handlers
    from relaybird.senders import handlers as sender_handlers
    from relaybird.templates import handlers as template_handlers

    registry = Registry()
    campaign_statuses.register(registry)
    sender_handlers.register(registry)
    campaign_replies.register(registry)
    room_handlers.register(registry)
    direct_handlers.register(registry)
    template_handlers.register(registry)
    consent_handlers.register(registry)
    campaign_template_stops.register(registry)  # after the templates': reads the moved template
    return registry


def registered_jobs() -> list[Job]:
    """The scheduler's jobs: name, seconds between runs, ``job(ctx) -> how much it did``."""
    from relaybird.campaigns import jobs as campaign_jobs
    from relaybird.contacts import jobs as contact_jobs
    from relaybird.dispatcher import jobs as dispatcher_jobs
    from relaybird.rooms import jobs as room_jobs
    from relaybird.senders import jobs as sender_jobs
    from relaybird.templates import sync as template_jobs

    return [
        Job("campaigns.scheduled_starts", 1.0, campaign_jobs.start_scheduled),
        Job("campaigns.reconcile_leases", 2.0, dispatcher_jobs.reconcile_leases),
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
    """The loop that runs every registered job at its interval."""
    await run_jobs(ctx, stop, registered_jobs())


async def applier_loop(ctx: AppContext, stop: asyncio.Event) -> None:
    """The inbox applier with every domain's handlers."""
    from relaybird.inbox.applier import applier_loop as apply_loop

    await apply_loop(ctx, stop, registered_handlers())


def registered_loops(only: set[str] | None = None) -> dict[str, Loop]:
    """name → loop (all of them, or the ones named in ``only``)."""
    from relaybird.consent.replies import replies_loop as consent_replies_loop
    from relaybird.dispatcher.loop import dispatcher_loop
    from relaybird.events.deliverer import deliverer_loop
    from relaybird.inbox.service import prune_loop
    from relaybird.mail.service import mail_loop
    from relaybird.rooms.outbound import sender_loop as room_sender_loop
    from relaybird.senders.jobs import sync_loop

    loops: dict[str, Loop] = {
        "mail": mail_loop,
        "events.deliverer": deliverer_loop,
        "dispatcher": dispatcher_loop,
        "scheduler": scheduler_loop,
        "inbox.applier": applier_loop,
        "inbox.prune": prune_loop,
        "senders.sync": sync_loop,
        "rooms.sender": room_sender_loop,
        "consent.replies": consent_replies_loop,
    }
    return {name: loop for name, loop in loops.items() if only is None or name in only}


def api_routers() -> list[APIRouter]:
    """Routers mounted under /api/v1 (each domain owns its routes module)."""
    from relaybird.auth.routes import router as auth_router
    from relaybird.campaigns.routes import router as campaigns_router
    from relaybird.campaigns.routes_analytics import router as campaign_analytics
    from relaybird.campaigns.routes_audience import router as audiences
    from relaybird.campaigns.routes_replies import router as campaign_replies
    from relaybird.connectors.routes import router as connectors
    from relaybird.consent.routes import router as suppressions
    from relaybird.contacts.routes import router as contacts
    from relaybird.contacts.routes_users import router as users
    from relaybird.direct.routes import router as direct_contacts
    from relaybird.events.routes import router as events_router
    from relaybird.inbox.routes_dead_letters import router as dead_letters
    from relaybird.mail.routes import router as emails
    from relaybird.rooms.routes import contacts_router as contact_deletion
    from relaybird.rooms.routes import router as rooms
    from relaybird.rooms.routes_answers import router as reply_answers
    from relaybird.senders.routes import router as senders_router
    from relaybird.templates.routes import router as templates
    from relaybird.templates.routes import sender_router as sender_templates

    return [
        auth_router,
        users,
        connectors,
        contacts,
        contact_deletion,
        direct_contacts,
        rooms,
        emails,
        dead_letters,
        campaigns_router,
        campaign_replies,
        reply_answers,
        campaign_analytics,
        audiences,
        suppressions,
        events_router,
        senders_router,
        sender_templates,
        templates,
    ]


def door_routers() -> list[APIRouter]:
    """The webhook doors and /healthz: mounted at the root before every other router. FastAPI
    tries an app's routes one by one; a webhook POST tried against every API and dashboard route
    first spent two thirds of its CPU finding its handler (a rejected POST, in-process:
    437–664 -> 217–225 µs of CPU)."""
    from relaybird.api.health import router as health
    from relaybird.direct.routes_channels import router as channel_webhooks
    from relaybird.direct.routes_webhook import router as direct_webhooks
    from relaybird.inbox.routes import router as whatsapp_webhooks

    return [health, whatsapp_webhooks, direct_webhooks, channel_webhooks]


def root_routers() -> list[APIRouter]:
    """Routers mounted at the root after the API's (metrics, invitations, dashboard)."""
    from relaybird.contacts.routes_invitations import router as invitations
    from relaybird.dashboard.routes import root as site_root
    from relaybird.dashboard.routes import router as dashboard
    from relaybird.operations.routes import router as metrics

    return [metrics, invitations, dashboard, site_root]


def webhook_limits() -> dict[str, int]:
    """Each webhook door's body cap (the largest body its provider sends), by path; a trailing
    ``/`` makes a prefix (a connector's webhooks: /webhooks/<provider>/<connector id>)."""
    from relaybird.direct.routes_channels import LINE_MAX_BODY, TWILIO_MAX_BODY, WECHAT_MAX_BODY
    from relaybird.direct.routes_webhook import MAX_BODY as DIRECT_MAX_BODY
    from relaybird.inbox.routes import MAX_BODY as WHATSAPP_MAX_BODY

    return {
        "/webhooks/whatsapp": WHATSAPP_MAX_BODY,
        "/webhooks/direct": DIRECT_MAX_BODY,
        "/webhooks/twilio/": TWILIO_MAX_BODY,
        "/webhooks/line/": LINE_MAX_BODY,
        "/webhooks/wechat/": WECHAT_MAX_BODY,
    }
