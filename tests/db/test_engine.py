"""The SQLite engine is configured for the embedded default: WAL, foreign keys, busy timeout."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from relaybird.db import Database
from relaybird.db.engine import normalise_url
from relaybird.models import ApiKey


def test_sqlite_pragmas(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    db.dispose()


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(
            ApiKey(
                workspace_id=424242,
                name="x",
                role="admin",
                key_hash="h" * 64,
                prefix="p",
                created_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
            )
        )
        s.flush()


def test_plain_postgres_urls_get_the_psycopg3_driver() -> None:
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
