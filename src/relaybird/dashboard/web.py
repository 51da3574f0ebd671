"""Dashboard plumbing: templates, the session dependency, CSRF checks, HTML errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from relaybird.api.deps import Ctx
from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.dashboard import charts, fmt
from relaybird.dashboard.session import COOKIE, DashboardSession, check_csrf, load
from relaybird.errors import AppError, Forbidden

PREFIX = "/ui"
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(charts=charts, fmt=fmt, PREFIX=PREFIX)


class LoginRequired(Exception):
    """Raised by the session dependency; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current(request: Request, ctx: Ctx) -> DashboardSession:
    sess = load(ctx, request.cookies.get(COOKIE))
    if sess is not None:
        with ctx.db.read() as session:
            if auth.session_valid(session, sess.sid, sess.principal, ctx.clock.now()):
                return sess
    raise LoginRequired(request.url.path)


Session = Annotated[DashboardSession, Depends(current)]


def _form_of(sess: DashboardSession, csrf: str, role: Role, who: str) -> DashboardSession:
    if not check_csrf(sess, csrf):
        raise Forbidden("the form expired or did not come from this dashboard; reload the page")
    if not sess.principal.role.allows(role):
        raise Forbidden(f"only {who} can do this")
    return sess


def admin_with_csrf(sess: Session, csrf: Annotated[str, Form()] = "") -> DashboardSession:
    """Every dashboard form posts ``csrf``; admin-only actions also need the admin role."""
    return _form_of(sess, csrf, Role.ADMIN, "admins")


AdminForm = Annotated[DashboardSession, Depends(admin_with_csrf)]


def agent_with_csrf(sess: Session, csrf: Annotated[str, Form()] = "") -> DashboardSession:
    """Forms agents may post too (contacts, answers to replies)."""
    return _form_of(sess, csrf, Role.AGENT, "agents and admins")


AgentForm = Annotated[DashboardSession, Depends(agent_with_csrf)]


def render(
    request: Request,
    sess: DashboardSession | None,
    name: str,
    *,
    code: int = 200,
    **values: Any,
) -> HTMLResponse:
    context = {
        "request": request,
        "sess": sess,
        "flash": request.query_params.get("flash"),
        **values,
    }
    return templates.TemplateResponse(request, name, context, status_code=code)


def back(path: str, flash: str | None = None) -> RedirectResponse:
    """After a form: redirect (303) to a page, with an optional one-line message."""
    if flash:
        path += ("&" if "?" in path else "?") + "flash=" + quote(flash)
    return RedirectResponse(path, status_code=303)


def install(app: FastAPI) -> None:
    """HTML answers for the dashboard's paths: the login redirect, and errors as a page (the API
    keeps its problem+json)."""
    api_handler = app.exception_handlers.get(AppError)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"{PREFIX}/login?next={quote(exc.next_path)}", status_code=303)

    async def app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        if request.url.path.startswith(PREFIX) and not request.url.path.endswith(".json"):
            sess = load(request.app.state.ctx, request.cookies.get(COOKIE))
            return render(request, sess, "error.html", code=exc.status, error=exc)
        assert api_handler is not None
        result = api_handler(request, exc)
        return await result if hasattr(result, "__await__") else result

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(AppError, app_error)
