"""Every router of the API, in one list (each domain owns its routes module)."""

from __future__ import annotations

from fastapi import APIRouter

from relaybird.auth.routes import router as auth_router
from relaybird.campaigns.routes import router as campaigns_router
from relaybird.events.routes import router as events_router
from relaybird.senders.routes import router as senders_router

API_PREFIX = "/api/v1"


def api_routers() -> list[APIRouter]:
    """Routers mounted under /api/v1."""
    from relaybird.connectors.routes import router as connectors
    from relaybird.contacts.routes import router as contacts
    from relaybird.contacts.routes_users import router as users
    from relaybird.direct.routes import router as direct_contacts
    from relaybird.inbox.routes_dead_letters import router as dead_letters
    from relaybird.mail.routes import router as emails
    from relaybird.rooms.routes import contacts_router as contact_deletion
    from relaybird.rooms.routes import router as rooms
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
        events_router,
        senders_router,
        sender_templates,
        templates,
    ]


def root_routers() -> list[APIRouter]:
    """Routers mounted at the root (health, webhooks, invitations, dashboard)."""
    from relaybird.api.health import router as health
    from relaybird.api.metrics import router as metrics
    from relaybird.contacts.routes_invitations import router as invitations
    from relaybird.dashboard.routes import root as site_root
    from relaybird.dashboard.routes import router as dashboard
    from relaybird.direct.routes_channels import router as channel_webhooks
    from relaybird.direct.routes_webhook import router as direct_webhooks
    from relaybird.inbox.routes import router as whatsapp_webhooks

    return [
        health,
        metrics,
        whatsapp_webhooks,
        direct_webhooks,
        channel_webhooks,
        invitations,
        dashboard,
        site_root,
    ]
