"""Units of work. The entry point (request, loop step, CLI command) owns the transaction.

``with db.write() as s:`` opens a write transaction (BEGIN IMMEDIATE on SQLite) and commits on
exit; ``with db.read() as s:`` opens a read-only snapshot. Services receive the session and never
commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from relaybird.db.engine import make_engine


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, pool_size=pool_size, echo=echo)
        self.dialect = self.engine.dialect.name
        self._write = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._read = sessionmaker(
            bind=self.engine.execution_options(relaybird_readonly=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
