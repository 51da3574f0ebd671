from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from relaybird.kit.pagination import window
from relaybird.models import ApiKey, LoginSession, User, Workspace


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


def key_prefixes(session: Session) -> list[tuple[int, str, str]]:
    return [
        (int(i), str(p), str(h))
        for i, p, h in session.execute(select(ApiKey.id, ApiKey.prefix, ApiKey.key_hash))
    ]


def set_key_prefix(session: Session, key_id: int, prefix: str) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(prefix=prefix))


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


def add_login_session(
    session: Session,
    *,
    token_hash: str,
    workspace_id: int,
    actor: str,
    at: datetime,
    expires_at: datetime,
) -> None:
    session.execute(delete(LoginSession).where(LoginSession.expires_at <= at))
    session.add(
        LoginSession(
            token_hash=token_hash,
            workspace_id=workspace_id,
            actor=actor,
            created_at=at,
            expires_at=expires_at,
        )
    )
    session.flush()


def login_session(session: Session, token_hash: str) -> LoginSession | None:
    return session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))


def delete_login_session(session: Session, token_hash: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))


def delete_login_sessions_of(session: Session, actor: str) -> int:
    result = session.execute(delete(LoginSession).where(LoginSession.actor == actor))
    return int(result.rowcount)  # type: ignore[attr-defined]
