"""Process start-up and the background loops (DESIGN.md §4).

Each loop is an async function ``loop(ctx, stop)`` that runs until ``stop`` is set. Domains
register theirs in ``relaybird.wiring.registered_loops``; `relaybird serve` runs them beside the
API, `relaybird worker` runs them alone (both hand them to ``run_loops``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from relaybird.auth import service as auth
from relaybird.context import AppContext
from relaybird.db.notify import CHANNELS, WAKER

log = logging.getLogger("relaybird.runtime")

Loop = Callable[[AppContext, asyncio.Event], Awaitable[None]]


class StartupRefused(RuntimeError):
    """A process that must not start as configured (the message says what to set)."""


StartupCheck = Callable[[AppContext], "str | None"]


def startup_problem(ctx: AppContext, checks: Sequence[StartupCheck]) -> str | None:
    """The first reason this configuration must not run (the checks are registered in
    ``relaybird.wiring.startup_checks``); serve, api and worker ask before they start."""
    for check in checks:
        problem = check(ctx)
        if problem is not None:
            return problem
    return None


def bootstrap(ctx: AppContext, checks: Sequence[StartupCheck] = ()) -> None:
    """Idempotent start-up work: the default workspace and the bootstrap admin key; refuses
    (``StartupRefused``) when a check says the process must not run."""
    problem = startup_problem(ctx, checks)
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


async def run_loops(ctx: AppContext, stop: asyncio.Event, loops: Mapping[str, Loop]) -> None:
    """Run every loop of ``loops`` (name → loop), each supervised, until ``stop``."""
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
