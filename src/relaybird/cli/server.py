"""Processes: serve (all in one), api, worker, migrate."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from relaybird.cli.common import console, context, err_console, friendly, load_settings
from relaybird.db import migrate as db_migrate


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(api)
    app.command()(worker)
    app.command()(migrate)


HostOpt = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOpt = Annotated[int, typer.Option(help="TCP port.")]


def _run_uvicorn(loops: bool, host: str, port: int) -> None:
    import uvicorn

    from relaybird.api.app import create_app

    ctx = context()
    ensure_schema(ctx.settings.database_url)
    app = create_app(ctx, loops=loops)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


@friendly
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Run everything in one process: API, dashboard, webhooks and background loops.

    The embedded default: point RELAYBIRD_DATABASE_URL at nothing and it uses ./relaybird.db.
    Run `relaybird migrate` first.
    """
    _run_uvicorn(True, host, port)


@friendly
def api(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Run only the stateless HTTP side (API, dashboard, webhooks). Scale out with several."""
    _run_uvicorn(False, host, port)


@friendly
def worker() -> None:
    """Run only the background loops (dispatcher, applier, scheduler, deliverer)."""
    from relaybird.api.app import ctx_close
    from relaybird.runtime import bootstrap, run_loops

    ctx = context()
    ensure_schema(ctx.settings.database_url)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.to_thread(bootstrap, ctx)
        console.print("[green]worker running[/]; Ctrl-C to stop")
        await run_loops(ctx, stop)
        await ctx_close(ctx)

    asyncio.run(main())


@friendly
def migrate() -> None:
    """Create or upgrade the database schema to the latest version."""
    settings = load_settings()
    db_migrate.upgrade(settings.database_url)
    console.print(
        f"[green]database is at the latest schema[/] ({_safe_url(settings.database_url)})"
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def ensure_schema(url: str) -> None:
    """The embedded default (SQLite) migrates itself; a shared PostgreSQL database is migrated
    deliberately with `relaybird migrate`, so refuse to start on an old schema."""
    if db_migrate.is_current(url):
        return
    if url.startswith("sqlite"):
        db_migrate.upgrade(url)
        return
    err_console.print(
        f"[red]error:[/] the database at {_safe_url(url)} is not at the latest schema; "
        "run `relaybird migrate` first"
    )
    raise typer.Exit(1)
