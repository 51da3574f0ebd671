"""SQLite files keep a pool of open connections, each configured like a fresh one."""

from __future__ import annotations

from sqlalchemy import text

from relaybird.db import Database


def test_connections_are_reused_and_keep_their_pragmas(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        seen = set()
        for _ in range(5):
            with db.write() as session:
                conn = session.connection().connection.dbapi_connection
                seen.add(id(conn))
                assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            with db.read() as session:
                assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        assert len(seen) == 1  # one connection, reused
    finally:
        db.dispose()


def test_more_concurrent_sessions_than_the_pool_never_wait(sqlite_url: str) -> None:
    db = Database(sqlite_url, pool_size=1)
    try:
        with db.read() as a, db.read() as b:  # a second connection opens beyond the pool
            assert a.execute(text("SELECT 1")).scalar() == b.execute(text("SELECT 1")).scalar()
    finally:
        db.dispose()
