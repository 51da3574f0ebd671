"""Issue 11 item 10 (part): dashboard sessions are revocable. A session is a server-side row the
signed cookie names; logout and a password change end it, even for a copy of the cookie."""

from __future__ import annotations

from fastapi.testclient import TestClient

from relaybird.app.factory import create_app
from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.context import AppContext
from tests.dashboard.helpers import csrf_of, login, make_user

COOKIE = "relaybird_session"


def _copy(ctx: AppContext, cookie: str) -> TestClient:
    """Another browser holding the same cookie (a stolen or copied one)."""
    other = TestClient(create_app(ctx))
    other.cookies.set(COOKIE, cookie)
    return other


def test_logout_ends_the_session_for_every_copy_of_the_cookie(
    ctx: AppContext, client: TestClient
) -> None:
    make_user(ctx, "ana@example.com", Role.VIEWER)
    assert login(client, "ana@example.com").status_code == 303
    cookie = client.cookies[COOKIE]
    with _copy(ctx, cookie) as thief:
        assert thief.get("/ui/campaigns", follow_redirects=False).status_code == 200
        page = client.get("/ui/campaigns").text
        out = client.post("/ui/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
        assert out.status_code == 303
        assert thief.get("/ui/campaigns", follow_redirects=False).status_code == 303
    # Logging in again opens a new session; the old cookie stays dead.
    assert login(client, "ana@example.com").status_code == 303
    assert client.get("/ui/campaigns", follow_redirects=False).status_code == 200
    with _copy(ctx, cookie) as thief:
        assert thief.get("/ui/campaigns", follow_redirects=False).status_code == 303


def test_a_password_change_ends_that_users_sessions_only(ctx: AppContext) -> None:
    make_user(ctx, "ana@example.com", Role.VIEWER)
    make_user(ctx, "bob@example.com", Role.VIEWER)
    with TestClient(create_app(ctx)) as ana, TestClient(create_app(ctx)) as bob:
        assert login(ana, "ana@example.com").status_code == 303
        assert login(bob, "bob@example.com").status_code == 303
        with ctx.db.write() as session:
            ws = auth.find_workspace(session, "default").id
            auth.set_password(session, ws, "ana@example.com", "a brand new password")
        assert ana.get("/ui/campaigns", follow_redirects=False).status_code == 303
        assert bob.get("/ui/campaigns", follow_redirects=False).status_code == 200
        assert login(ana, "ana@example.com", "a brand new password").status_code == 303
        assert ana.get("/ui/campaigns", follow_redirects=False).status_code == 200
