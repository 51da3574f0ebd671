"""Declarative base, naming convention (stable constraint names for Alembic), common columns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from relaybird.db.types import BigId, UTCDateTime
from relaybird.kit.time import utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite, JSONB on PostgreSQL.
Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


class IdMixin:
    """A surrogate id that is never reused. Ids travel: in history rows, outbox events, e-mail
    dedupe keys, callback data sent to Meta (``m:<id>``), URLs held by clients. SQLite's plain
    INTEGER PRIMARY KEY hands the id of a deleted last row to the next insert, so every table
    with this id is created with AUTOINCREMENT (``sqlite_autoincrement``), which never reuses
    one; PostgreSQL identities never do."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Merged into the table arguments before the declarative base builds the table, so a
        # model's own __table_args__ (indexes, constraints) keep working unchanged.
        own = cls.__dict__.get("__table_args__", ())
        args: Any
        if isinstance(own, dict):
            args = {**own, "sqlite_autoincrement": True}
        elif own and isinstance(own[-1], dict):
            args = (*own[:-1], {**own[-1], "sqlite_autoincrement": True})
        else:
            args = (*own, {"sqlite_autoincrement": True})
        setattr(cls, "__table_args__", args)  # noqa: B010 (the mixin declares no such attribute)
        super().__init_subclass__(**kwargs)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
