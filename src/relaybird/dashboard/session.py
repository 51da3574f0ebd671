"""Dashboard sessions: a signed cookie (itsdangerous) holding the principal and a CSRF token.

The cookie is signed with RELAYBIRD_SESSION_SECRET (unset: a random secret per process, so
sessions end on restart and do not work across several `relaybird api` processes). It carries
the workspace, role, actor, CSRF token and the session's token, which names a ``login_sessions``
row. Every request checks that row (logout deletes it, a password change deletes all of the
user's) and that the user is still active (or the key not revoked): ending access takes effect
at once, even for a copied cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from relaybird.auth.roles import Role
from relaybird.auth.service import Principal
from relaybird.context import AppContext, Local

COOKIE = "relaybird_session"
LOGIN_CSRF_COOKIE = "relaybird_login_csrf"
MAX_AGE_S = 12 * 3600
_SECRET = Local("dashboard.session_secret", lambda _ctx: secrets.token_urlsafe(32))


@dataclass(frozen=True)
class DashboardSession:
    principal: Principal
    csrf: str
    label: str  # shown in the header: the user's e-mail or the key's prefix
    sid: str  # the server-side session's token (auth.open_session)

    @property
    def is_admin(self) -> bool:
        return self.principal.role.allows(Role.ADMIN)

    @property
    def is_agent(self) -> bool:
        """Agents and admins: they may change contacts and answer replies."""
        return self.principal.role.allows(Role.AGENT)


def _secret(ctx: AppContext) -> str:
    configured = ctx.settings.session_secret.get_secret_value()
    if configured:
        return configured
    return ctx.local(_SECRET)


def _serializer(ctx: AppContext, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(ctx), salt=salt)


def dump(ctx: AppContext, principal: Principal, label: str, sid: str) -> str:
    data = {
        "sid": sid,
        "ws": principal.workspace_id,
        "role": principal.role.value,
        "actor": principal.actor,
        "csrf": secrets.token_urlsafe(24),
        "label": label,
    }
    return _serializer(ctx, "session").dumps(data)


def load(ctx: AppContext, cookie: str | None) -> DashboardSession | None:
    if not cookie:
        return None
    try:
        data: Any = _serializer(ctx, "session").loads(cookie, max_age=MAX_AGE_S)
        principal = Principal(
            workspace_id=int(data["ws"]), role=Role(data["role"]), actor=str(data["actor"])
        )
        return DashboardSession(principal, str(data["csrf"]), str(data["label"]), str(data["sid"]))
    except (BadSignature, KeyError, ValueError, TypeError):
        return None


def login_csrf(ctx: AppContext) -> tuple[str, str]:
    """A token for the login form (no session yet): (form value, cookie value)."""
    token = secrets.token_urlsafe(24)
    return token, _serializer(ctx, "login-csrf").dumps(token)


def check_login_csrf(ctx: AppContext, form_value: str, cookie: str | None) -> bool:
    if not cookie or not form_value:
        return False
    try:
        expected = _serializer(ctx, "login-csrf").loads(cookie, max_age=3600)
    except BadSignature:
        return False
    return isinstance(expected, str) and hmac.compare_digest(expected.encode(), form_value.encode())


def check_csrf(session: DashboardSession, form_value: str | None) -> bool:
    # Bytes: compare_digest refuses non-ASCII strings, and a forged value must be a 403, not a 500.
    return bool(form_value) and hmac.compare_digest(
        session.csrf.encode(), (form_value or "").encode()
    )
