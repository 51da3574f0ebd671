"""The invitation link (no API key: the code is the secret). ``GET /invitations/{code}`` only
shows the invitation (mail scanners and link previews fetch links; a GET must change nothing);
its button POSTs ``/invitations/{code}/accept``, which validates it. Both answer a small HTML
page, or JSON (problem+json on errors) when the client asks for ``application/json``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from relaybird.api.deps import Ctx
from relaybird.api.problems import problem
from relaybird.connectors import service as connectors
from relaybird.contacts import invitations
from relaybird.contacts.invitations import NETWORK_NAMES, Found
from relaybird.contacts.schemas import InvitationView
from relaybird.contacts.transitions import ContactStatus, Network
from relaybird.errors import AppError, NotFound, ServiceUnavailable
from relaybird.models import Connector
from relaybird.providers.port import ProviderCallFailed

router = APIRouter(tags=["invitations"])

_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"description": "Unknown code"},
    410: {"description": "Expired code, or replaced by a newer invitation"},
}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _view(found: Found) -> InvitationView:
    c = found.contact
    return InvitationView(
        state=found.state,
        network=Network(c.network),
        first_name=c.first_name,
        status=None if c.status is None else ContactStatus(c.status),
        expires_at=found.invitation.expires_at,
    )


@router.get(
    "/invitations/{code}",
    response_model=InvitationView,
    responses=_RESPONSES,
    summary="Show an invitation (the link in the e-mail)",
    description="Changes nothing. HTML with a button that validates it, or JSON.",
)
def show_invitation(code: str, request: Request, ctx: Ctx) -> object:
    try:
        with ctx.db.read() as session:
            found = invitations.find(session, code, ctx.clock.now())
    except AppError as exc:
        return _error(request, exc)
    if _wants_json(request):
        return _view(found)
    return _page(found, code)


@router.post(
    "/invitations/{code}/accept",
    response_model=InvitationView,
    responses=_RESPONSES,
    summary="Validate an invitation",
    description="The contact becomes CONFIRMED (WeChat: no status, WeChat has no CONFIRMED). "
    "Accepting again answers the same and changes nothing; an expired, replaced or unknown code "
    "answers 410/404 and changes nothing.",
)
def accept_invitation(code: str, request: Request, ctx: Ctx) -> object:
    try:
        with ctx.db.write() as session:
            found = invitations.accept(session, code, at=ctx.clock.now())
    except AppError as exc:
        return _error(request, exc)
    if _wants_json(request):
        return _view(found)
    return _page(found, code)


def _error(request: Request, exc: AppError) -> object:
    if _wants_json(request):
        return problem(exc.status, exc.code, exc.title, exc.detail)
    return HTMLResponse(_html(exc.title, f"<p>{escape(exc.detail)}</p>"), status_code=exc.status)


def _page(found: Found, code: str) -> HTMLResponse:
    network = NETWORK_NAMES.get(found.contact.network, found.contact.network)
    name = escape(found.contact.first_name or "")
    if found.state == "accepted":
        body = (
            f"<p>Thank you{', ' + name if name else ''}: your {escape(network)} invitation is "
            "validated. You can close this page.</p>"
        )
        return HTMLResponse(_html("Invitation validated", body))
    until = found.invitation.expires_at
    valid = f"<p>This invitation is valid until {until:%Y-%m-%d %H:%M} UTC.</p>" if until else ""
    body = (
        f"<p>Hello{' ' + name if name else ''}, you were invited to connect on "
        f"{escape(network)}.</p>{valid}"
        f'<form method="post" action="/invitations/{escape(code)}/accept">'
        '<button type="submit">Validate my invitation</button></form>'
    )
    return HTMLResponse(_html("Your invitation", body))


def _html(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · relaybird</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;"
        "padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1rem}</style>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


# WeChat's temporary QR codes live at most 30 days.
QR_MAX_LIFE = timedelta(days=30)


@router.get(
    "/invitations/{code}/wechat-qr",
    status_code=303,
    responses={
        **_RESPONSES,
        303: {"description": "To the QR code image (WeChat's showqrcode)"},
        503: {"description": "WeChat could not be asked for the QR code; try again"},
    },
    summary="The WeChat invitation's QR code",
    description="A WeChat contact's invitation: a temporary parametric QR code of the "
    "workspace's Official Account (scene bound to the invitation, living until the invitation "
    "expires), redirected to its image. Scanning it with WeChat follows the account, and the "
    "subscribe/SCAN event that comes back validates the invitation. Changes nothing here.",
)
async def wechat_qr(code: str, request: Request, ctx: Ctx) -> object:
    now = ctx.clock.now()

    def read() -> tuple[Found, Connector]:
        with ctx.db.read() as session:
            found = invitations.find(session, code, now)
            row = connectors.for_network(session, found.contact.workspace_id, "WECHAT")
            if found.contact.network != "WECHAT" or row is None or found.state != "pending":
                raise NotFound("this invitation has no WeChat QR code")
            session.expunge(row)
            return found, row

    try:
        found, row = await asyncio.to_thread(read)
    except AppError as exc:
        return _error(request, exc)
    expires = found.invitation.expires_at
    life = QR_MAX_LIFE if expires is None else min(QR_MAX_LIFE, expires - now)
    try:
        qr = await ctx.wechat.create_qr(
            connectors.wechat_account(row, connectors.secret_box(ctx.settings)),
            invitations.invitation_scene(found.invitation.id),
            expire_seconds=max(60, int(life.total_seconds())),
        )
    except ProviderCallFailed as exc:
        return _error(request, ServiceUnavailable(f"WeChat: {exc.error.title}"))
    return RedirectResponse(qr.image_url, status_code=303)


# --- LINE account linking -----------------------------------------------------------------------

LinkToken = Annotated[str, Query(alias="linkToken", min_length=1, max_length=200)]


async def _line_connector(ctx: Ctx, connector_id: int) -> Connector:
    def read() -> Connector:
        with ctx.db.read() as session:
            row = connectors.connector_any(session, connector_id)
            if row is None or row.network != "LINE":
                raise NotFound("no such LINE account")
            session.expunge(row)
            return row

    return await asyncio.to_thread(read)


@router.get(
    "/line/{connector_id}/link",
    summary="LINE account linking: the page a new follower opens (from the bot's message)",
    description="A form asking for the invitation code; changes nothing.",
)
async def line_link_page(
    connector_id: int, request: Request, ctx: Ctx, link_token: LinkToken
) -> object:
    try:
        await _line_connector(ctx, connector_id)
    except AppError as exc:
        return _error(request, exc)
    body = (
        "<p>Enter the invitation code from your e-mail to connect your LINE account.</p>"
        f'<form method="post" action="/line/{connector_id}/link">'
        f'<input type="hidden" name="linkToken" value="{escape(link_token)}">'
        '<input name="code" required autocomplete="off" placeholder="XXXX-XXXX-XXXX"> '
        '<button type="submit">Connect</button></form>'
    )
    return HTMLResponse(_html("Connect on LINE", body))


@router.post(
    "/line/{connector_id}/link",
    summary="LINE account linking: the code given; on to LINE's account-link dialog",
    description="Binds a new single-use nonce to the open invitation of that code and answers "
    "a page whose link continues to LINE (`/dialog/bot/accountLink?linkToken=&nonce=`); the "
    "`accountLink` event LINE then sends with that nonce validates the invitation. An unknown, "
    "used or expired code: 404/410, nothing changes.",
)
async def line_link_code(
    connector_id: int,
    request: Request,
    ctx: Ctx,
    link_token: Annotated[str, Form(alias="linkToken", min_length=1, max_length=200)],
    code: Annotated[str, Form(min_length=1, max_length=40)],
) -> object:
    try:
        row = await _line_connector(ctx, connector_id)

        def write() -> str:
            with ctx.db.write() as session:
                _, nonce = invitations.begin_account_link(
                    session,
                    code,
                    workspace_id=row.workspace_id,
                    network="LINE",
                    at=ctx.clock.now(),
                )
                return nonce

        nonce = await asyncio.to_thread(write)
    except AppError as exc:
        return _error(request, exc)
    url = ctx.line.link_url(link_token, nonce)
    body = (
        "<p>Your code is right. One last step, on LINE:</p>"
        f'<p><a href="{escape(url)}">Continue to LINE</a></p>'
    )
    return HTMLResponse(_html("Connect on LINE", body))
