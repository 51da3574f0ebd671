"""The database layer: one engine factory for SQLite and PostgreSQL, units of work, migrations."""

from relaybird.db.session import Database

__all__ = ["Database"]
