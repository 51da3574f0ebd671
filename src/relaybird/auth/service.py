"""Workspaces and API keys."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaybird.auth import repository
from relaybird.auth.keys import digest_prefix, display_prefix, hash_key, new_key, shown_prefix
from relaybird.auth.passwords import MIN_LENGTH, hash_password, verify_password
from relaybird.auth.roles import Role
from relaybird.errors import InvalidInput, NotFound, Unauthorized
from relaybird.models import ApiKey, User, Workspace

DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True)
class Principal:
    """Who is calling: their workspace and role. Every query is scoped by ``workspace_id``."""

    workspace_id: int
    role: Role
    actor: str  # e.g. "key:12" or "user:3", written into the history


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once


def ensure_workspace(session: Session, slug: str, *, limit_model: str = "PER_NUMBER") -> Workspace:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", slug):
        raise InvalidInput(f"workspace slug {slug!r}: use lower-case letters, digits and dashes")
    ws = repository.workspace_by_slug(session, slug)
    if ws is None:
        ws = repository.add_workspace(session, name=slug, slug=slug, limit_model=limit_model)
    return ws


def find_workspace(session: Session, slug: str) -> Workspace:
    ws = repository.workspace_by_slug(session, slug)
    if ws is None:
        raise NotFound(f"no workspace {slug!r}")
    return ws


def create_key(
    session: Session,
    *,
    workspace_id: int,
    role: Role,
    name: str,
    at: datetime,
    secret: str | None = None,
) -> CreatedKey:
    secret = secret or new_key()
    key = repository.add_key(
        session,
        workspace_id=workspace_id,
        name=name,
        role=role.value,
        key_hash=hash_key(secret),
        prefix=display_prefix(secret),
        at=at,
    )
    return CreatedKey(key=key, secret=secret)


def ensure_bootstrap_key(
    session: Session, secret: str, at: datetime, *, limit_model: str
) -> ApiKey | None:
    """RELAYBIRD_BOOTSTRAP_ADMIN_KEY: an admin key for the default workspace (for automation).

    Created once; a key that was revoked stays revoked (start-up goes on without it). Returns
    the revoked key in that case, so the caller can say so; else None."""
    if len(secret) < 16:
        raise InvalidInput("RELAYBIRD_BOOTSTRAP_ADMIN_KEY must be at least 16 characters")
    ws = ensure_workspace(session, DEFAULT_WORKSPACE, limit_model=limit_model)
    existing = repository.key_by_hash(session, hash_key(secret), include_revoked=True)
    if existing is not None:
        return existing if existing.revoked_at is not None else None
    try:
        with session.begin_nested():  # another process starting at the same moment
            create_key(
                session, workspace_id=ws.id, role=Role.ADMIN, name="bootstrap", at=at, secret=secret
            )
    except IntegrityError:
        pass
    return None


def forget_secret_prefixes(session: Session) -> int:
    """Start-up: keys stored before public ids kept 6 characters of their secret as ``prefix``;
    replace those with the digest's head. Returns how many were rewritten."""
    changed = 0
    for key_id, prefix, key_hash in repository.key_prefixes(session):
        if shown_prefix(prefix, key_hash) != prefix:
            repository.set_key_prefix(session, key_id, digest_prefix(key_hash))
            changed += 1
    return changed


def authenticate(session: Session, secret: str) -> Principal:
    key = repository.key_by_hash(session, hash_key(secret))
    if key is None:
        raise Unauthorized("unknown or revoked API key")
    return Principal(workspace_id=key.workspace_id, role=Role(key.role), actor=f"key:{key.id}")


def revoke(session: Session, principal: Principal, key_id: int, at: datetime) -> None:
    if not repository.revoke_key(session, principal.workspace_id, key_id, at):
        raise NotFound(f"API key {key_id} not found")
    repository.delete_login_sessions_of(session, f"key:{key_id}")


def list_keys(session: Session, principal: Principal, **bounds: int | None) -> list[ApiKey]:
    return repository.list_keys(session, principal.workspace_id, **bounds)


def login_account(workspace_slug: str, email: str) -> tuple[str, str]:
    """The account a password login names, folded exactly as the lookup folds it (so every
    spelling of one account, ``deFault`` or ``Ana@Example.com``, counts as that account)."""
    return workspace_slug.strip().lower(), email.strip().lower()


def api_key_account(secret: str) -> str:
    """A stable, non-secret name for the key an API-key login presents (its digest's head):
    failures count per key tried, never in one bucket shared by every key."""
    return hash_key(secret.strip())[:32]


def login_with_password(
    session: Session, workspace_slug: str, email: str, password: str
) -> Principal:
    """A dashboard login: the user's workspace, role and actor. One error for every failure, so
    the form does not tell which e-mails exist."""
    slug, email = login_account(workspace_slug, email)
    ws = repository.workspace_by_slug(session, slug)
    user = repository.user_by_email(session, ws.id, email) if ws is not None else None
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise Unauthorized("wrong workspace, e-mail or password")
    return Principal(workspace_id=user.workspace_id, role=Role(user.role), actor=f"user:{user.id}")


def login_with_key(session: Session, secret: str) -> tuple[Principal, int]:
    """A dashboard login with an API key: the principal and the key's id (kept in the session,
    never the key itself)."""
    principal = authenticate(session, secret.strip())
    return principal, int(principal.actor.removeprefix("key:"))


def open_session(session: Session, principal: Principal, *, at: datetime, ttl: timedelta) -> str:
    """A dashboard session stored server-side; returns its token (for the signed cookie)."""
    token = secrets.token_urlsafe(32)
    repository.add_login_session(
        session,
        token_hash=hash_key(token),
        workspace_id=principal.workspace_id,
        actor=principal.actor,
        at=at,
        expires_at=at + ttl,
    )
    return token


def close_session(session: Session, token: str) -> None:
    """Logout: the session ends everywhere its cookie may have been copied to."""
    repository.delete_login_session(session, hash_key(token))


def session_valid(session: Session, token: str, principal: Principal, now: datetime) -> bool:
    """Whether a dashboard session is still open (not logged out, not ended by a password
    change, not expired) and its user still active (or its key not revoked)."""
    row = repository.login_session(session, hash_key(token))
    if row is None or row.expires_at <= now:
        return False
    if row.actor != principal.actor or row.workspace_id != principal.workspace_id:
        return False
    return still_valid(session, principal)


def still_valid(session: Session, principal: Principal) -> bool:
    """Whether a dashboard session's user is still active (or its key not revoked)."""
    kind, _, raw = principal.actor.partition(":")
    if not raw.isdigit():
        return False
    if kind == "user":
        user = repository.user_by_id(session, principal.workspace_id, int(raw))
        return user is not None and user.active and user.role == principal.role.value
    if kind == "key":
        return repository.key_by_id(session, principal.workspace_id, int(raw)) is not None
    return False


def set_password(
    session: Session,
    workspace_id: int,
    email: str,
    password: str,
    *,
    name: str | None = None,
    role: Role | None = None,
) -> tuple[User, bool]:
    """Set a user's dashboard password, creating the user when ``name`` and ``role`` are given.
    Returns the user and whether it was created."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password needs at least {MIN_LENGTH} characters")
    email = email.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    user = repository.user_by_email(session, workspace_id, email)
    created = False
    if user is None:
        if name is None or role is None:
            raise NotFound(f"no user {email!r}; give --name and --role to create one")
        user = repository.add_user(
            session, workspace_id=workspace_id, name=name, email=email, role=role.value, active=True
        )
        created = True
    repository.set_password_hash(session, user.id, hash_password(password))
    # A new password ends every dashboard session of the user (a stolen cookie with it).
    repository.delete_login_sessions_of(session, f"user:{user.id}")
    return user, created
