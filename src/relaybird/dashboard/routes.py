"""The dashboard's router: login, logout, the stylesheet, and every page module."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from relaybird.api.deps import Ctx
from relaybird.auth import service as auth
from relaybird.context import AppContext, Local
from relaybird.dashboard import (
    campaign_pages,
    contact_actions,
    network_pages,
    reply_actions,
    sender_pages,
    user_pages,
)
from relaybird.dashboard.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    MAX_AGE_S,
    check_csrf,
    check_login_csrf,
    dump,
    load,
    login_csrf,
)
from relaybird.dashboard.web import HERE, PREFIX, back, render
from relaybird.errors import Unauthorized
from relaybird.kit.throttle import FailureThrottle

router = APIRouter(prefix=PREFIX, include_in_schema=False)
router.include_router(campaign_pages.router)
router.include_router(sender_pages.router)
router.include_router(network_pages.router)
router.include_router(contact_actions.router)
router.include_router(reply_actions.router)
router.include_router(user_pages.router)

# The root of the site opens the dashboard.
root = APIRouter(include_in_schema=False)


@root.get("/")
def site_root() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/campaigns", status_code=307)


@router.get("/static/style.css")
def stylesheet() -> FileResponse:
    return FileResponse(HERE / "static" / "style.css", media_type="text/css")


@router.get("/static/dashboard.js")
def script() -> FileResponse:
    return FileResponse(HERE / "static" / "dashboard.js", media_type="text/javascript")


@router.get("/")
def index() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/campaigns", status_code=307)


def _safe_next(value: str | None) -> str:
    """Only local dashboard paths: never redirect a login to another site."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//"):
        return value
    return f"{PREFIX}/campaigns"


def _login_page(
    request: Request,
    ctx: Ctx,
    *,
    next_path: str,
    error: str | None = None,
    code: int = 200,
    email: str | None = None,
    workspace: str | None = None,
) -> HTMLResponse:
    token, cookie = login_csrf(ctx)
    response = render(
        request,
        None,
        "login.html",
        code=code,
        csrf=token,
        next=next_path,
        error=error,
        email=email,
        workspace=workspace,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, cookie, max_age=3600, httponly=True, samesite="lax", path=PREFIX
    )
    return response


# Failed logins: 5 per (address, account) and per account, 20 per address, in 5 minutes. The
# account is a folded workspace/e-mail, or the API key tried (so no bucket is shared by all).
_THROTTLES = Local("dashboard.login_throttles", lambda _ctx: LoginThrottle())


def _throttle(ctx: AppContext) -> LoginThrottle:
    return ctx.local(_THROTTLES)


class LoginThrottle:
    """One FailureThrottle per kind of key, with its own limit."""

    def __init__(self) -> None:
        self.per_account = FailureThrottle(limit=5)
        self.per_address = FailureThrottle(limit=20)

    def _for(self, key: str) -> FailureThrottle:
        return self.per_address if key.startswith("ip|") else self.per_account

    def wait(self, key: str, now: datetime) -> timedelta | None:
        return self._for(key).wait(key, now)

    def failed(self, key: str, now: datetime) -> None:
        self._for(key).failed(key, now)

    def succeeded(self, key: str) -> None:
        self._for(key).succeeded(key)


@router.get("/login")
def login_form(request: Request, ctx: Ctx, next: str | None = None) -> HTMLResponse:
    return _login_page(request, ctx, next_path=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    ctx: Ctx,
    csrf: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "default",
    api_key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = _safe_next(next)
    if not check_login_csrf(ctx, csrf, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(
            request,
            ctx,
            next_path=target,
            code=403,
            error="The form expired; please log in again.",
        )
    throttle = _throttle(ctx)
    client = request.client.host if request.client else "unknown"
    # The account: the folded workspace/e-mail the lookup will use, or the key presented.
    who = (
        f"key:{auth.api_key_account(api_key)}"
        if api_key.strip()
        else "/".join(auth.login_account(workspace, email))
    )
    keys = (f"{client}|{who}", f"who|{who}", f"ip|{client}")
    now = ctx.clock.now()
    waits = [w for w in (throttle.wait(k, now) for k in keys) if w is not None]
    if waits:
        seconds = max(1, math.ceil(max(waits).total_seconds()))
        refused = _login_page(
            request,
            ctx,
            next_path=target,
            code=429,
            error=f"Too many failed logins; try again in {seconds} s.",
            email=email,
            workspace=workspace,
        )
        refused.headers["Retry-After"] = str(seconds)
        return refused
    try:
        with ctx.db.read() as session:
            if api_key.strip():
                principal, key_id = auth.login_with_key(session, api_key)
                label = f"API key #{key_id}"
            else:
                principal = auth.login_with_password(session, workspace, email, password)
                label = email.strip().lower()
    except Unauthorized as exc:
        for key in keys:
            throttle.failed(key, now)
        return _login_page(
            request,
            ctx,
            next_path=target,
            code=401,
            error=exc.detail,
            email=email,
            workspace=workspace,
        )
    throttle.succeeded(keys[0])
    throttle.succeeded(keys[1])
    with ctx.db.write() as session:
        sid = auth.open_session(session, principal, at=now, ttl=timedelta(seconds=MAX_AGE_S))
    response = RedirectResponse(target, status_code=303)
    secure = ctx.settings.public_url.startswith("https://")
    response.set_cookie(
        COOKIE,
        dump(ctx, principal, label, sid),
        max_age=MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(request: Request, ctx: Ctx, csrf: Annotated[str, Form()] = "") -> Response:
    sess = load(ctx, request.cookies.get(COOKIE))
    if sess is not None and not check_csrf(sess, csrf):
        return back(f"{PREFIX}/campaigns", "Error: the form expired; try again.")
    if sess is not None:
        with ctx.db.write() as session:
            auth.close_session(session, sess.sid)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
