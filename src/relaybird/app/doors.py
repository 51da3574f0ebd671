"""The door every HTTP request passes first (pure ASGI): who may send a body, how large it may
be, and the security headers on every answer.

Each path belongs to one class:

- **API key** (`/api/v1/...`): a body is read only after `Authorization: Bearer <key>` names a
  live key (the same check as the routes' dependency); otherwise 401 at once.
- **session** (`/ui/...` but the login page and static files): a body is read only with a valid
  dashboard session cookie; otherwise the redirect to the login page at once.
- **webhook** (`/webhooks/...`): providers sign the body itself, so the body is capped at the
  largest one the provider sends, then the route verifies the signature before using it.
- **public** (everything else: invitations, the login form): small bodies only.

Caps: a `multipart/form-data` body to an API-key or session route (a recipients list, a media
file) may be up to RELAYBIRD_MAX_UPLOAD; any other body RELAYBIRD_MAX_BODY; a webhook its
route's limit. A declared Content-Length over the cap is refused before anything is read; a
chunked body is counted as it streams and refused the moment it passes the cap. A refusal is
answered at once with `Connection: close`, so the rest of the body is never read.

Every answer gets a Content-Security-Policy (scripts, styles, images from this origin only; no
framing), X-Frame-Options, X-Content-Type-Options, Referrer-Policy (invitation links carry their
code), and Strict-Transport-Security when RELAYBIRD_PUBLIC_URL is https.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from urllib.parse import quote

import anyio
from fastapi.security import HTTPBearer
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaybird.api.deps import current_principal
from relaybird.api.problems import _webhook_door, problem
from relaybird.context import AppContext
from relaybird.dashboard.web import PREFIX as UI_PREFIX
from relaybird.dashboard.web import LoginRequired, current, render
from relaybird.errors import AppError, PayloadTooLarge
from relaybird.inbox.refusals import refused
from relaybird.wiring import API_PREFIX, webhook_limits

log = logging.getLogger("relaybird.api")


class Door(StrEnum):
    API_KEY = "api key"
    SESSION = "session"
    WEBHOOK = "webhook"
    PUBLIC = "public"


WEBHOOK_LIMITS = webhook_limits()  # path (or prefix, with a trailing /) → body cap
PUBLIC_UI = (f"{UI_PREFIX}/login", f"{UI_PREFIX}/static/")

# The dashboard and /docs load scripts, styles and images from this origin only; no page may be
# framed; inline style attributes stay allowed (the dashboard's charts and badges use them),
# inline scripts do not; ReDoc's search runs in a worker it makes from a blob: of its own code.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def door_of(path: str) -> Door:
    if path.startswith(API_PREFIX + "/"):
        return Door.API_KEY
    if path.startswith("/webhooks/"):
        return Door.WEBHOOK
    if path.startswith(UI_PREFIX + "/") and not any(
        path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC_UI
    ):
        return Door.SESSION
    return Door.PUBLIC


def webhook_limit(path: str) -> int:
    """The route's own limit: exact paths, then prefixes (``/webhooks/twilio/``)."""
    if path in WEBHOOK_LIMITS:
        return WEBHOOK_LIMITS[path]
    for prefix, cap in WEBHOOK_LIMITS.items():
        if prefix.endswith("/") and path.startswith(prefix):
            return cap
    return max(WEBHOOK_LIMITS.values())


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


class _Refused(Exception):
    """Raised into the app when its body passed the cap (the 413 is already answered)."""


_bearer = HTTPBearer(auto_error=False)


class Doors:
    """Install with ``app.add_middleware(Doors, ctx=ctx)``."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        self.headers = security_headers(ctx.settings.public_url.startswith("https://"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(send)
        headers = Headers(scope=scope)
        declared = _content_length(headers)
        if declared == 0 or (declared is None and "transfer-encoding" not in headers):
            await self.app(scope, receive, send)  # no body: the route's own checks suffice
            return
        path: str = scope["path"]
        door = door_of(path)
        refusal = await self._refusal(door, scope)
        if refusal is not None:
            await _closing(refusal)(scope, receive, send)
            return
        cap = self.cap(door, path, headers)
        if declared is not None and declared > cap:
            await self._too_large(scope, receive, send, cap)
            return
        await self._capped(scope, receive, send, cap)

    def cap(self, door: Door, path: str, headers: Headers) -> int:
        settings = self.ctx.settings
        if door is Door.WEBHOOK:
            return webhook_limit(path)
        multipart = headers.get("content-type", "").lower().startswith("multipart/form-data")
        if multipart and door in (Door.API_KEY, Door.SESSION):
            return int(settings.max_upload)
        return int(settings.max_body)

    async def _refusal(self, door: Door, scope: Scope) -> Response | None:
        """The answer for a caller who may not send this body (None: they may)."""
        request = Request(scope)  # no receive: nothing here can read the body
        if door is Door.API_KEY:
            credentials = await _bearer(request)
            try:
                await anyio.to_thread.run_sync(current_principal, self.ctx, credentials)
            except AppError as exc:
                return problem(exc.status, exc.code, exc.title, exc.detail)
        elif door is Door.SESSION:
            try:
                await anyio.to_thread.run_sync(current, request, self.ctx)
            except LoginRequired as exc:
                login = f"{UI_PREFIX}/login?next={quote(exc.next_path)}"
                return RedirectResponse(login, status_code=303)
        return None

    async def _capped(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        read = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal read, refused
            if refused:
                raise _Refused
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > cap:
                    refused = True
                    if not started:
                        await self._too_large(scope, receive, send, cap)
                    raise _Refused
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer; whatever the app makes of the error is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except ClientDisconnect:
            # The caller went away before its body was read (its own timeout, on a loaded
            # server): nobody is left to answer, and nothing was read, so nothing was done.
            log.info("a %s client went away before its body was read", door_of(scope["path"]))
        except Exception:
            if not refused:
                raise

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        detail = f"the request body is over this route's limit of {_size(cap)}"
        webhook = _webhook_door(scope["path"])
        if webhook is not None:  # counted like the routes' own refusals (inbox/refusals.py)
            await refused(self.ctx, webhook, detail)
        response: Response = problem(
            413, "payload_too_large", "Payload too large", detail, limit=cap
        )
        if door_of(scope["path"]) is Door.SESSION:  # a person at the dashboard: a page
            error = PayloadTooLarge(f"The file or form is too large: {detail}.")
            response = render(Request(scope), None, "error.html", code=413, error=error)
        await _closing(response)(scope, receive, send)

    def _with_headers(self, send: Send) -> Send:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
            await send(message)

        return with_headers


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _closing(response: Response) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The response with `Connection: close`: the server then drops the unread rest of the
    body instead of reading it to reach the next request."""
    response.headers["connection"] = "close"
    return response


def _size(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} bytes"
