"""SQL of ``provider_access_tokens``: every write is a compare-and-set UPDATE checked by its row
count, so any number of workers on SQLite or PostgreSQL coordinate through the row alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relaybird.models import ProviderAccessToken as Row
from relaybird.providers.access_tokens import StoredToken


def load(session: Session, account: str) -> StoredToken:
    row = session.execute(select(Row).where(Row.account == account)).scalar_one_or_none()
    if row is None:
        return StoredToken(account)
    return StoredToken(
        account=row.account,
        token=row.token,
        expires_at=row.expires_at,
        version=row.version,
        lease_owner=row.lease_owner,
        lease_until=row.lease_expires_at,
    )


def ensure(session: Session, account: str) -> None:
    """The account's row exists afterwards (insert-or-ignore: concurrent callers are fine)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Row)
        .values(account=account, version=0)
        .on_conflict_do_nothing(index_elements=["account"])
    )


def try_lease(
    session: Session,
    account: str,
    *,
    seen_version: int,
    owner: str,
    now: datetime,
    until: datetime,
) -> bool:
    result = session.execute(
        update(Row)
        .where(
            Row.account == account,
            Row.version == seen_version,
            or_(
                Row.lease_owner.is_(None),
                Row.lease_owner == owner,
                Row.lease_expires_at.is_(None),
                Row.lease_expires_at <= now,
            ),
        )
        .values(lease_owner=owner, lease_expires_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def save(
    session: Session, account: str, *, owner: str, token: str, expires_at: datetime, now: datetime
) -> bool:
    result = session.execute(
        update(Row)
        .where(Row.account == account, Row.lease_owner == owner)
        .values(
            token=token,
            expires_at=expires_at,
            version=Row.version + 1,
            lease_owner=None,
            lease_expires_at=None,
            refreshed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, account: str, *, owner: str) -> None:
    session.execute(
        update(Row)
        .where(Row.account == account, Row.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
