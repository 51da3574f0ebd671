"""Users (admins only): who can log in to the dashboard, and setting their passwords."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from relaybird.api.deps import Ctx
from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.dashboard.web import PREFIX, AdminForm, Session, back, render
from relaybird.errors import AppError, Forbidden
from relaybird.operations import directory

router = APIRouter()


@router.get("/users", response_class=HTMLResponse)
def user_list(request: Request, sess: Session, ctx: Ctx) -> HTMLResponse:
    if not sess.is_admin:
        raise Forbidden("only admins manage users")
    with ctx.db.read() as session:
        users = list(directory.users(session, sess.principal.workspace_id).values())
    return render(request, sess, "users.html", users=users, roles=[r.value for r in Role])


@router.post("/users")
def set_user_password(
    sess: AdminForm,
    ctx: Ctx,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    role: Annotated[Role, Form()] = Role.AGENT,
) -> Response:
    page = f"{PREFIX}/users"
    try:
        with ctx.db.write() as session:
            user, created = auth.set_password(
                session,
                sess.principal.workspace_id,
                email,
                password,
                name=name.strip() or email.split("@")[0],
                role=role,
            )
    except AppError as exc:
        return back(page, f"Error: {exc.detail}")
    verb = "created" if created else "password changed"
    return back(page, f"{user.email}: {verb}.")
