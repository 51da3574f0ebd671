"""Process start-up and the background loops (DESIGN.md §4).

Each loop is an async function ``loop(ctx, stop)`` that runs until ``stop`` is set. Domains
register theirs in ``LOOPS``; `relaybird serve` runs them beside the API, `relaybird worker`
runs them alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from relaybird.auth import service as auth
from relaybird.context import AppContext
from relaybird.db.notify import CHANNELS, WAKER

log = logging.getLogger("relaybird.runtime")

Loop = Callable[[AppContext, asyncio.Event], Awaitable[None]]


def registered_loops() -> dict[str, Loop]:
    """name → loop. Imported lazily so the API process does not load worker code it never runs."""
    from relaybird.dispatcher.loop import dispatcher_loop
    from relaybird.events.deliverer import deliverer_loop
    from relaybird.inbox.applier import applier_loop
    from relaybird.inbox.service import prune_loop
    from relaybird.mail.service import mail_loop
    from relaybird.rooms.outbound import sender_loop as room_sender_loop
    from relaybird.scheduler.jobs import scheduler_loop
    from relaybird.senders.loops import sync_loop

    return {
        "mail": mail_loop,
        "events.deliverer": deliverer_loop,
        "dispatcher": dispatcher_loop,
        "scheduler": scheduler_loop,
        "inbox.applier": applier_loop,
        "inbox.prune": prune_loop,
        "senders.sync": sync_loop,
        "rooms.sender": room_sender_loop,
    }


class StartupRefused(RuntimeError):
    """A process that must not start as configured (the message says what to set)."""


def startup_problem(ctx: AppContext) -> str | None:
    """Why this configuration must not run (checked by serve, api and worker before they start,
    and by ``bootstrap``): connectors whose secrets RELAYBIRD_SECRET_KEY cannot open."""
    from relaybird.connectors import service as connectors

    with ctx.db.read() as session:
        return connectors.startup_problem(session, ctx.settings)


def bootstrap(ctx: AppContext) -> None:
    """Idempotent start-up work: the default workspace and the bootstrap admin key."""
    problem = startup_problem(ctx)
    if problem is not None:
        raise StartupRefused(problem)
    key = ctx.settings.bootstrap_admin_key
    with ctx.db.write() as session:
        auth.ensure_workspace(
            session, auth.DEFAULT_WORKSPACE, limit_model=ctx.settings.default_limit_model.value
        )
        if auth.forget_secret_prefixes(session):
            log.info("API key prefixes that showed part of the key now show its digest's head")
        if key is not None and key.get_secret_value():
            revoked = auth.ensure_bootstrap_key(
                session,
                key.get_secret_value(),
                ctx.clock.now(),
                limit_model=ctx.settings.default_limit_model.value,
            )
            if revoked is not None:
                log.warning(
                    "RELAYBIRD_BOOTSTRAP_ADMIN_KEY is API key %s, which was revoked: it stays "
                    "revoked (unset the setting, or set a new key)",
                    revoked.id,
                )


async def run_loops(ctx: AppContext, stop: asyncio.Event, only: set[str] | None = None) -> None:
    loops = {n: f for n, f in registered_loops().items() if only is None or n in only}
    if not loops:
        await stop.wait()
        return
    tasks = [
        asyncio.create_task(_supervised(name, fn, ctx, stop), name=name)
        for name, fn in loops.items()
    ]
    if ctx.db.dialect == "postgresql":
        # Writers in any process pg_notify; this connection LISTENs and wakes our idle loops.
        tasks.append(
            asyncio.create_task(WAKER.listen(ctx.db.url, set(CHANNELS), stop), name="listen")
        )
    await asyncio.gather(*tasks)


async def _supervised(name: str, fn: Loop, ctx: AppContext, stop: asyncio.Event) -> None:
    """Run a loop; if it crashes, log it and start it again after a pause (never silently die)."""
    while not stop.is_set():
        try:
            await fn(ctx, stop)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("loop %s crashed; restarting in 1 s", name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
