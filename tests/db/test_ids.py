"""Every table whose ids travel (history, outbox, e-mails, callback data, URLs) never reuses an
id (issue 12 item 7): AUTOINCREMENT on SQLite (a plain INTEGER PRIMARY KEY hands out the id of a
deleted last row again), an identity/sequence on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine, delete, insert, select, text

from relaybird.context import AppContext
from relaybird.models import Base, Workspace
from relaybird.models.base import IdMixin


def _id_tables() -> list[str]:
    return sorted(
        table.name
        for table in Base.metadata.sorted_tables
        if any(
            m.local_table is table and issubclass(m.class_, IdMixin) for m in Base.registry.mappers
        )
    )


def test_every_id_table_is_autoincrement_in_the_migrated_sqlite_schema(sqlite_url: str) -> None:
    tables = _id_tables()
    assert "contacts" in tables and "invitations" in tables and "room_messages" in tables
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        sql: dict[str, str] = dict(
            conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type='table'")).all()
        )
    engine.dispose()
    missing = [t for t in tables if "AUTOINCREMENT" not in sql[t].upper()]
    assert missing == []


def test_the_id_of_a_deleted_last_row_is_not_reused(ctx: AppContext) -> None:
    with ctx.db.write() as session:
        first = session.scalar(
            insert(Workspace)
            .values(name="a", slug="a", limit_model="PER_NUMBER")
            .returning(Workspace.id)
        )
        session.execute(delete(Workspace).where(Workspace.id == first))
    with ctx.db.write() as session:
        second = session.scalar(
            insert(Workspace)
            .values(name="b", slug="b", limit_model="PER_NUMBER")
            .returning(Workspace.id)
        )
        assert second is not None and first is not None and second > first
        assert session.scalar(select(Workspace.slug).where(Workspace.id == second)) == "b"
