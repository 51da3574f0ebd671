"""Engines for the two supported databases, configured in one place.

SQLite (the embedded default): WAL so readers never block the writer, foreign keys on, a busy
timeout, and explicit ``BEGIN IMMEDIATE`` for write units of work. pysqlite's own deferred BEGIN
would let two writers each take a read snapshot and then fail to upgrade (SQLITE_BUSY without
waiting); taking the write lock up front makes writers queue on the busy timeout instead.

PostgreSQL (scale-out): psycopg 3 with a connection pool, READ COMMITTED; writers use
compare-and-set UPDATEs and ``FOR UPDATE SKIP LOCKED`` rather than stronger isolation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and pick the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, echo=echo, pool_size=pool_size)
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        future=True,
    )


def _sqlite_engine(url: str, *, echo: bool, pool_size: int = 10) -> Engine:
    connect_args: dict[str, Any] = {
        "check_same_thread": False,
        "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
    }
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    # Files: a pool of open connections. Opening one (plus its PRAGMAs) costs ~2 ms, three times
    # a small write transaction, which the webhook receiver and the applier pay per commit.
    # Beyond pool_size, extra connections open and close as before (never wait for one).
    # Memory databases keep SQLAlchemy's default (one shared connection).
    pool_args: dict[str, Any] = (
        {} if in_memory else {"poolclass": QueuePool, "pool_size": pool_size, "max_overflow": -1}
    )
    engine = create_engine(url, echo=echo, connect_args=connect_args, future=True, **pool_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; "begin" below issues BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # NORMAL is durable across process crashes in WAL mode (only power loss can lose the
        # last commits), which is the kill -9 guarantee we promise.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("relaybird_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
