"""Logging in to the dashboard from a TestClient (the real forms, cookies and CSRF tokens)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.context import AppContext

PASSWORD = "correct horse battery"


def make_user(
    ctx: AppContext, email: str, role: Role = Role.ADMIN, workspace: str = "default"
) -> None:
    with ctx.db.write() as session:
        ws = auth.ensure_workspace(session, workspace)
        auth.set_password(session, ws.id, email, PASSWORD, name=email.split("@")[0], role=role)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD, next_path: str = "") -> Any:
    page = client.get("/ui/login")
    return client.post(
        "/ui/login",
        data={
            "csrf": csrf_of(page.text),
            "email": email,
            "password": password,
            "workspace": "default",
            "next": next_path,
        },
        follow_redirects=False,
    )


def logged_in(
    client: TestClient, ctx: AppContext, email: str, role: Role = Role.ADMIN
) -> TestClient:
    make_user(ctx, email, role)
    response = login(client, email)
    assert response.status_code == 303, response.text
    return client
