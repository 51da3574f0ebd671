from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from relaybird.auth.roles import Role
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from tests.dashboard.helpers import csrf_of, login, make_user
from tests.factories import KeyMaker


def test_pages_need_a_login_and_a_login_returns_to_the_page(
    ctx: AppContext, client: TestClient
) -> None:
    response = client.get("/ui/senders", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=/ui/senders"
    make_user(ctx, "ana@example.com")
    response = login(client, "Ana@Example.com", next_path="/ui/senders")
    assert response.status_code == 303 and response.headers["location"] == "/ui/senders"
    page = client.get("/ui/senders")
    assert page.status_code == 200 and "ana@example.com · admin" in page.text


def test_a_wrong_password_or_unknown_user_gets_one_message(
    ctx: AppContext, client: TestClient
) -> None:
    make_user(ctx, "ana@example.com")
    for email, password in (("ana@example.com", "wrong password!"), ("bob@example.com", "x")):
        response = login(client, email, password)
        assert response.status_code == 401
        assert "wrong workspace, e-mail or password" in response.text
    assert client.get("/ui/campaigns", follow_redirects=False).status_code == 303


def test_login_form_needs_its_csrf_token_and_next_stays_local(
    ctx: AppContext, client: TestClient
) -> None:
    make_user(ctx, "ana@example.com")
    forged = client.post(
        "/ui/login",
        data={"csrf": "forged", "email": "ana@example.com", "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    response = login(client, "ana@example.com", next_path="https://evil.example/")
    assert response.headers["location"] == "/ui/campaigns"


def test_api_key_login_and_revocation_ends_the_session(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    secret = keys.create("viewer")
    page = client.get("/ui/login")
    response = client.post(
        "/ui/login", data={"csrf": csrf_of(page.text), "api_key": secret}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/ui/campaigns").status_code == 200
    admin = keys.headers("admin")
    key_id = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["actor"]
    client.delete(f"/api/v1/keys/{key_id.removeprefix('key:')}", headers=admin)
    assert client.get("/ui/campaigns", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(ctx: AppContext, client: TestClient) -> None:
    make_user(ctx, "ana@example.com", Role.VIEWER)
    login(client, "ana@example.com")
    page = client.get("/ui/campaigns")
    response = client.post("/ui/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.clear()
    assert client.get("/ui/campaigns", follow_redirects=False).status_code == 303


def test_set_password_cli_creates_a_user_who_can_log_in(
    ctx: AppContext, client: TestClient, monkeypatch: object
) -> None:
    import pytest
    from typer.testing import CliRunner

    from relaybird.cli.main import app

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    runner = CliRunner()
    args = ["users", "set-password", "ops@example.com", "--name", "Ops", "--role", "admin"]
    result = runner.invoke(app, args, input="short\nshort\n")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    result = runner.invoke(app, args, input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 0, result.output
    assert "created with a password" in result.output
    assert login(client, "ops@example.com").status_code == 303


def test_admins_manage_users_and_others_cannot(ctx: AppContext, client: TestClient) -> None:
    make_user(ctx, "viewer@example.com", Role.VIEWER)
    login(client, "viewer@example.com")
    assert client.get("/ui/users").status_code == 403
    page = client.get("/ui/campaigns").text
    refused = client.post(
        "/ui/users",
        data={"csrf": csrf_of(page), "email": "new@example.com", "password": "long enough pw"},
    )
    assert refused.status_code == 403
    client.cookies.clear()
    make_user(ctx, "admin@example.com", Role.ADMIN)
    login(client, "admin@example.com")
    page = client.get("/ui/users").text
    assert "viewer@example.com" in page
    created = client.post(
        "/ui/users",
        data={
            "csrf": csrf_of(page),
            "email": "new@example.com",
            "password": "long enough pw",
            "name": "New",
            "role": "agent",
        },
    )
    assert "new@example.com: created." in created.text
    short = client.post(
        "/ui/users",
        data={"csrf": csrf_of(page), "email": "new@example.com", "password": "short"},
    )
    assert "Error: the password needs at least 10 characters" in short.text
    client.cookies.clear()
    assert login(client, "new@example.com", "long enough pw").status_code == 303


def test_failed_logins_are_throttled_per_account_then_released(
    ctx: AppContext, client: TestClient, clock: ManualClock
) -> None:
    """Five wrong passwords for one account: the sixth attempt (even the right password) waits,
    with Retry-After; another account is not affected; after the window it may log in."""
    make_user(ctx, "ana@example.com")
    make_user(ctx, "bob@example.com")
    for _ in range(5):
        assert login(client, "ana@example.com", "wrong password!").status_code == 401
    refused = login(client, "ana@example.com")
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 300
    assert login(client, "bob@example.com").status_code == 303
    clock.advance(timedelta(minutes=5, seconds=1))
    assert login(client, "ana@example.com").status_code == 303


def test_an_address_spraying_accounts_is_throttled(ctx: AppContext, client: TestClient) -> None:
    for i in range(20):
        assert login(client, f"nobody{i}@example.com", "x").status_code == 401
    make_user(ctx, "ana@example.com")
    assert login(client, "ana@example.com").status_code == 429
