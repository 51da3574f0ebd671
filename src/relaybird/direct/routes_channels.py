"""The provider webhook doors of the Direct networks: ``/webhooks/twilio/{connector id}`` (and
LINE's and WeChat's beside it). Each is the URL a connector's ``webhook_url`` names.

Order, as at every webhook door: the body is capped by the ASGI door (app/doors.py), the
connector is looked up, the provider's signature is verified over the request exactly as
received (Twilio signs the full URL it called and the form parameters) — a forged or missing
signature is 401 and nothing is written — then the body is parsed and applied in one
transaction; messages it queued (a welcome) go out after the commit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request, Response

from relaybird.connectors import service
from relaybird.context import AppContext
from relaybird.direct import channels as channels_apply
from relaybird.errors import BadRequest, NotFound, Unauthorized
from relaybird.models import Connector
from relaybird.providers.channel import (
    CallbackReply,
    CallbackRequest,
    DirectChannel,
    MalformedCallback,
    OutboundText,
)
from relaybird.providers.channel_events import InboundCall
from relaybird.providers.port import ProviderCallFailed
from relaybird.providers.twilio.twiml import CallAnswer
from relaybird.rooms import outbound

A = TypeVar("A")

log = logging.getLogger("relaybird.rooms")

router = APIRouter(tags=["webhooks"])

TWILIO_MAX_BODY = 64 * 1024
LINE_MAX_BODY = 1024 * 1024  # LINE batches events in one POST
WECHAT_MAX_BODY = 64 * 1024

ConnectorId = Path(ge=1, le=2**63 - 1, description="The connector's id.")


def _reply(reply: CallbackReply) -> Response:
    return Response(
        reply.body,
        status_code=reply.status,
        media_type=reply.content_type,
        headers=dict(reply.headers),
    )


async def _request(request: Request) -> CallbackRequest:
    raw = await request.body()
    return CallbackRequest(request.method, str(request.url), dict(request.headers), raw)


async def _connector(ctx: AppContext, connector_id: int, network: str) -> Connector:
    def load() -> Connector | None:
        with ctx.db.read() as session:
            row = service.connector_any(session, connector_id)
            if row is not None:
                session.expunge(row)
            return row

    row = await asyncio.to_thread(load)
    if row is None or row.network != network:
        raise NotFound(f"no {network} connector {connector_id}")
    return row


async def _send_queued(ctx: AppContext, ids: list[int]) -> None:
    if ids:
        try:
            await outbound.deliver(ctx, ids)
        except Exception:
            log.exception("sending after commit failed; the loop will retry")


@router.post(
    "/webhooks/twilio/{connector_id}",
    summary="Twilio: inbound SMS, inbound calls and message status callbacks",
    description="Point the Twilio numbers' messaging and voice webhooks here (the connector's "
    "`webhook_url`); relaybird gives it as every message's StatusCallback. Verified with "
    "`X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted form parameters with the "
    "connector's Auth Token): missing or wrong → 401, nothing written. An SMS or call to a "
    "user's virtual number is handled as on `/webhooks/direct` (unknown caller → INCOMPLETE "
    "contact, room, welcome sent; blocked → HELD); a status moves the room message "
    "(SENT/DELIVERED/FAILED with Twilio's ErrorCode). Answers TwiML: empty for messages and "
    'statuses; for a call, `<Dial callerId="{virtual number}">` to the user\'s own phone when '
    "they forward calls (`PUT /users/{id}/call-forwarding`; never for a blocked caller), "
    "else the connector's `call_message` spoken.",
    responses={
        200: {"content": {"text/xml": {}}, "description": "TwiML"},
        400: {"description": "Not form data"},
        401: {"description": "Missing or wrong X-Twilio-Signature"},
        404: {"description": "No such Twilio connector"},
        422: {"description": "`To` is no user's virtual number in the connector's workspace"},
    },
)
async def twilio_webhook(request: Request, connector_id: int = ConnectorId) -> Response:
    ctx: AppContext = request.app.state.ctx
    connector = await _connector(ctx, connector_id, "SMS_DIRECT")
    account = service.twilio_account(
        connector, ctx.settings.public_url, service.secret_box(ctx.settings)
    )
    channel = ctx.twilio
    received = await _request(request)
    if not channel.verify(account, received):
        raise Unauthorized("X-Twilio-Signature is missing or does not match the request")
    try:
        events = channel.parse(account, received)
    except MalformedCallback as exc:
        raise BadRequest(str(exc)) from None

    def write() -> channels_apply.Applied:
        with ctx.db.write() as session:
            return channels_apply.apply_direct_events(
                session, ctx.settings, connector, events, now=ctx.clock.now()
            )

    applied = await asyncio.to_thread(write)
    await _send_queued(ctx, applied.queued)
    if any(isinstance(e, InboundCall) for e in events):
        if applied.forward is not None:
            phone, virtual = applied.forward
            # Twilio: callerId must be one of the account's numbers (or a verified one); the
            # virtual number called is, and tells the user the call came through it.
            return _reply(channel.answer_call(CallAnswer(forward_to=phone, caller_id=virtual)))
        say = (connector.options or {}).get("call_message") or service.DEFAULT_CALL_MESSAGE
        return _reply(channel.answer_call(CallAnswer(say=say)))
    return _reply(channel.acknowledge(received))


@router.post(
    "/webhooks/line/{connector_id}",
    summary="LINE: the Messaging API webhook (message, follow, unfollow events)",
    description="Set as the channel's webhook URL (the connector's `webhook_url`). Verified "
    "with `x-line-signature` (base64 HMAC-SHA256 of the raw body with the channel secret): "
    "missing or wrong → 401, nothing written. An invitation code sent in the chat validates "
    "that contact's invitation (CONFIRMED) and links it to the LINE user; later messages of "
    "that user land in the contact's rooms; unfollow is recorded on the contact "
    "(`unfollowed_at`), follow clears it. Answers 200 with an empty body.",
    responses={
        400: {"description": "Not a LINE webhook body"},
        401: {"description": "Missing or wrong x-line-signature"},
        404: {"description": "No such LINE connector"},
    },
)
async def line_webhook(request: Request, connector_id: int = ConnectorId) -> Response:
    ctx: AppContext = request.app.state.ctx
    connector = await _connector(ctx, connector_id, "LINE")
    account = service.line_account(connector, service.secret_box(ctx.settings))
    channel = ctx.line
    received, applied = await _official_account_callback(
        ctx,
        connector,
        channel,
        account,
        request,
        "x-line-signature is missing or does not match the body",
    )
    for user_id in applied.link_offers:
        await _offer_link(ctx, connector, user_id)
    return _reply(channel.acknowledge(received))


async def _offer_link(ctx: AppContext, connector: Connector, user_id: str) -> None:
    """LINE account linking, step 1: a link token for the new follower, pushed to them with
    the link to our page where they give their invitation code."""
    channel = ctx.line
    account = service.line_account(connector, service.secret_box(ctx.settings))
    try:
        token = await channel.issue_link_token(account, user_id)
    except ProviderCallFailed as exc:
        log.warning("LINE link token refused: %s", exc.error.title)
        return
    url = f"{ctx.settings.public_url}/line/{connector.id}/link?{urlencode({'linkToken': token})}"
    text = (
        "Welcome! To connect with your advisor, open this link and enter the invitation "
        f"code from your e-mail: {url}"
    )
    result = await channel.send_text(account, OutboundText(to=user_id, text=text))
    if result.error is not None:
        log.warning("LINE account-link offer not pushed: %s", result.error.title)


_WECHAT_DOC = (
    "Set as the Official Account's server URL (the connector's `webhook_url`, with the "
    "connector's `token`). Verified with `signature = sha1(sorted(token, timestamp, nonce))` "
    "from the query; in safe mode (the connector has `encoding_aes_key`) every POST must be "
    "encrypted and its `msg_signature` (over the ciphertext) right. Missing or wrong → 401 "
    "(403 for the GET echo), nothing written."
)


@router.get(
    "/webhooks/wechat/{connector_id}",
    summary="WeChat: the server-URL check (GET echo)",
    description=_WECHAT_DOC + " Answers `echostr` verbatim when the signature is right.",
    responses={200: {"content": {"text/plain": {}}}, 403: {"description": "Wrong signature"}},
)
async def wechat_echo(request: Request, connector_id: int = ConnectorId) -> Response:
    ctx: AppContext = request.app.state.ctx
    connector = await _connector(ctx, connector_id, "WECHAT")
    channel = ctx.wechat
    reply = channel.handshake(
        service.wechat_account(connector, service.secret_box(ctx.settings)), await _request(request)
    )
    if reply is None:
        raise BadRequest("a GET here is WeChat's URL check: signature, timestamp, nonce, echostr")
    return _reply(reply)


@router.post(
    "/webhooks/wechat/{connector_id}",
    summary="WeChat: server callbacks (messages, subscribe, SCAN, unsubscribe; XML)",
    description=_WECHAT_DOC + " A subscribe or SCAN with an invitation's QR scene validates "
    "that invitation and links the contact to the OpenID; a message, follow or scan opens the "
    "48 h customer-service window; the linked follower's messages land in the contact's "
    "rooms; unsubscribe is recorded (`unfollowed_at`). Answers `success`.",
    responses={
        200: {"content": {"text/plain": {}}},
        400: {"description": "Not a WeChat XML callback"},
        401: {"description": "Missing or wrong signature"},
        404: {"description": "No such WeChat connector"},
    },
)
async def wechat_webhook(request: Request, connector_id: int = ConnectorId) -> Response:
    ctx: AppContext = request.app.state.ctx
    connector = await _connector(ctx, connector_id, "WECHAT")
    account = service.wechat_account(connector, service.secret_box(ctx.settings))
    channel = ctx.wechat
    received, _ = await _official_account_callback(
        ctx,
        connector,
        channel,
        account,
        request,
        "the WeChat signature is missing or does not match",
    )
    return _reply(channel.acknowledge(received))


async def _official_account_callback(
    ctx: AppContext,
    connector: Connector,
    channel: DirectChannel[A],
    account: A,
    request: Request,
    refusal: str,
) -> tuple[CallbackRequest, channels_apply.Applied]:
    """An Official Account's callback (LINE, WeChat): the signature first, then its events
    applied in one transaction (off the event loop), then the messages they queued sent."""
    received = await _request(request)
    if not channel.verify(account, received):
        raise Unauthorized(refusal)
    try:
        events = channel.parse(account, received)
    except MalformedCallback as exc:
        raise BadRequest(str(exc)) from None

    def write() -> channels_apply.Applied:
        with ctx.db.write() as session:
            return channels_apply.apply_official_account_events(
                session, connector, events, now=ctx.clock.now()
            )

    applied = await asyncio.to_thread(write)
    await _send_queued(ctx, applied.queued)
    return received, applied
