"""The FastAPI application: routers, problem+json, the lifespan that starts background loops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel

from relaybird import __version__
from relaybird.api import docs, problems
from relaybird.app.doors import Doors
from relaybird.auth import passwords
from relaybird.context import AppContext
from relaybird.dashboard import web as dashboard_web
from relaybird.inbox import refusals
from relaybird.runtime import bootstrap, run_loops
from relaybird.wiring import (
    API_PREFIX,
    api_routers,
    door_routers,
    registered_loops,
    root_routers,
    startup_checks,
)

log = logging.getLogger("relaybird.api")

DESCRIPTION = """
relaybird: WhatsApp template campaigns, contact onboarding across networks, and sender-number
health, with every status change recorded and delivered as an event.

Authenticate with an API key: `Authorization: Bearer <key>`. Keys belong to one workspace and
carry a role: **viewer** (read), **agent** (contacts, rooms, messages), **admin** (everything,
including campaigns, senders, users and keys). Another workspace's ids answer 404.

Errors are RFC 9457 `application/problem+json` with a stable `code`. Lists are paginated with an
opaque `cursor` (pass `next_cursor` back). Timestamps are RFC 3339 UTC; enum values are the
upper-case status names.
"""


class Problem(BaseModel):
    type: str
    title: str
    status: int
    code: str
    detail: str


def create_app(ctx: AppContext, *, loops: bool = False) -> FastAPI:
    """``loops=True`` runs the background loops inside this process (`relaybird serve`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(bootstrap, ctx, startup_checks())
        await asyncio.to_thread(passwords.prepare)
        for warning in refusals.unconfigured(ctx.settings):
            log.warning(warning)
        stop = asyncio.Event()
        task = asyncio.create_task(run_loops(ctx, stop, registered_loops())) if loops else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await ctx.aclose()

    app = FastAPI(
        title="relaybird",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # docs.install: Swagger UI and ReDoc from our own origin, not a CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "auth", "description": "API keys and the caller's identity."},
            {"name": "operations", "description": "Health and metrics."},
            {"name": "webhooks", "description": "Signed notifications from providers."},
            {
                "name": "templates",
                "description": "WhatsApp message templates per business account: catalogue, "
                "lifecycle from Meta's webhooks, parameter slots, header media.",
            },
        ],
    )
    app.state.ctx = ctx
    app.add_middleware(Doors, ctx=ctx)  # auth before any body, body caps, security headers
    problems.install(app)
    docs.install(app)
    dashboard_web.install(app)
    for router in door_routers():  # first: the hot paths find their handler at once
        app.include_router(router)
    for router in api_routers():
        app.include_router(router, prefix=API_PREFIX, responses=problems.PROBLEM_RESPONSES)
    for router in root_routers():
        app.include_router(router)

    original_openapi = app.openapi

    def openapi() -> dict[str, object]:
        schema = original_openapi()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
            Problem.model_json_schema()
        )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
