from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from relaybird.kit.pagination import window
from relaybird.models import ApiKey, User, Workspace


def workspace_by_slug(session: Session, slug: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.slug == slug))


def add_workspace(session: Session, *, name: str, slug: str, limit_model: str) -> Workspace:
    ws = Workspace(name=name, slug=slug, limit_model=limit_model)
    session.add(ws)
    session.flush()
    return ws


def add_key(
    session: Session,
    *,
    workspace_id: int,
    name: str,
    role: str,
    key_hash: str,
    prefix: str,
    at: datetime,
) -> ApiKey:
    key = ApiKey(
        workspace_id=workspace_id,
        name=name,
        role=role,
        key_hash=key_hash,
        prefix=prefix,
        created_at=at,
    )
    session.add(key)
    session.flush()
    return key


def key_by_hash(session: Session, key_hash: str, *, include_revoked: bool = False) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.key_hash == key_hash)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return session.scalar(query)


def list_keys(session: Session, workspace_id: int, **bounds: int | None) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.workspace_id == workspace_id)
    return list(session.scalars(window(query, ApiKey.id, **bounds)))


def revoke_key(session: Session, workspace_id: int, key_id: int, at: datetime) -> bool:
    result = session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id, ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None)
        )
        .values(revoked_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def user_by_email(session: Session, workspace_id: int, email: str) -> User | None:
    return session.scalar(
        select(User).where(User.workspace_id == workspace_id, User.email == email.strip().lower())
    )


def user_by_id(session: Session, workspace_id: int, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == user_id, User.workspace_id == workspace_id))


def add_user(session: Session, **values: object) -> User:
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def key_by_id(session: Session, workspace_id: int, key_id: int) -> ApiKey | None:
    return session.scalar(
        select(ApiKey).where(
            ApiKey.id == key_id, ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None)
        )
    )
