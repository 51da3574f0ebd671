"""Processes: serve (all in one), api, worker, migrate."""

from __future__ import annotations

import asyncio
import signal
import socket
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from relaybird.cli.common import (
    check_database,
    check_url,
    console,
    context,
    db_reason,
    fail,
    friendly,
    load_settings,
    log_as_service,
    safe_url,
    sqlite_path,
)
from relaybird.context import AppContext
from relaybird.db import migrate as db_migrate


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(api)
    app.command()(worker)
    app.command()(migrate)


HostOpt = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOpt = Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)]


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts: a busy port is one line, with no
    database touched and no loop started."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        fail(f"--host {host}: {exc.strerror}", 2)
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        fail(
            f"cannot listen on {host}:{port}: {exc.strerror} "
            "(another process uses it? pass another --port)"
        )
    sock.set_inheritable(True)
    return sock


def _run_uvicorn(loops: bool, host: str, port: int) -> None:
    import uvicorn

    from relaybird.app.factory import create_app

    settings = load_settings()
    log_as_service(settings)
    check_url(settings.database_url)
    sock = bind(host, port)
    try:
        ensure_schema(settings.database_url)
        ctx = AppContext.from_settings(settings)
        _refuse_to_start(ctx)
        config = uvicorn.Config(
            create_app(ctx, loops=loops),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _refuse_to_start(ctx: AppContext) -> None:
    from relaybird.runtime import startup_problem
    from relaybird.wiring import startup_checks

    problem = startup_problem(ctx, startup_checks())
    if problem is not None:
        ctx.db.dispose()
        fail(f"not starting: {problem}", 2)


@friendly
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Run everything in one process: API, dashboard, webhooks and background loops.

    The embedded default: with RELAYBIRD_DATABASE_URL unset it uses ./relaybird.db, created and
    migrated on first start. A PostgreSQL database is migrated with `relaybird migrate` first.
    """
    _run_uvicorn(True, host, port)


@friendly
def api(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Run only the stateless HTTP side (API, dashboard, webhooks). Scale out with several."""
    _run_uvicorn(False, host, port)


@friendly
def worker() -> None:
    """Run only the background loops (dispatcher, applier, scheduler, deliverer)."""
    from relaybird.runtime import bootstrap, run_loops
    from relaybird.wiring import registered_loops, startup_checks

    ctx = context()
    log_as_service(ctx.settings)
    _refuse_to_start(ctx)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.to_thread(bootstrap, ctx, startup_checks())
        console.print("[green]worker running[/]; Ctrl-C to stop")
        await run_loops(ctx, stop, registered_loops())
        await ctx.aclose()

    asyncio.run(main())


@friendly
def migrate() -> None:
    """Create or upgrade the database schema to the latest version (a SQLite file is created
    if missing)."""
    settings = load_settings()
    check_url(settings.database_url)
    try:
        db_migrate.upgrade(settings.database_url)
    except SQLAlchemyError as exc:
        fail(f"cannot migrate the database at {safe_url(settings.database_url)}: {db_reason(exc)}")
    console.print(f"[green]database is at the latest schema[/] ({safe_url(settings.database_url)})")


def ensure_schema(url: str) -> None:
    """The embedded default (SQLite) migrates itself; a shared PostgreSQL database is migrated
    deliberately with `relaybird migrate`, so refuse to start on an old schema."""
    if sqlite_path(url) is not None:
        try:
            db_migrate.upgrade(url)
        except SQLAlchemyError as exc:
            fail(f"cannot open the database at {safe_url(url)}: {db_reason(exc)}")
        return
    check_database(url)
