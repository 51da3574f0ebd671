"""Migrations: `upgrade head` works on an empty database and agrees with the models, on both."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from relaybird.db import migrate as db_migrate
from relaybird.db.engine import normalise_url
from relaybird.models import Base


def _diff(url: str) -> list[object]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(mc, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_head_on_an_empty_sqlite_file_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    db_migrate.upgrade(url)
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert _diff(url) == []


@pytest.mark.postgres
def test_upgrade_head_on_an_empty_postgres_database_matches_the_models(pg_url: str) -> None:
    # pg_url is a database created empty for this session and upgraded to head.
    assert _diff(pg_url) == []


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    db_migrate.upgrade(url)
    db_migrate.upgrade(url)
    assert _diff(url) == []


def test_there_is_one_head() -> None:
    assert len(db_migrate.current_heads()) == 1
