"""The provider webhook doors of the Direct networks: ``/webhooks/twilio/{connector id}`` (and
LINE's and WeChat's beside it). Each is the URL a connector's ``webhook_url`` names.

Order, as at every webhook door: the body is capped by the ASGI door (api/doors.py), the
connector is looked up, the provider's signature is verified over the request exactly as
received (Twilio signs the full URL it called and the form parameters) — a forged or missing
signature is 401 and nothing is written — then the body is parsed and applied in one
transaction; messages it queued (a welcome) go out after the commit.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Path, Request, Response

from relaybird.connectors import channels, service
from relaybird.context import AppContext
from relaybird.errors import BadRequest, NotFound, Unauthorized
from relaybird.models import Connector
from relaybird.providers.channel import CallbackReply, CallbackRequest, MalformedCallback
from relaybird.providers.channel_events import InboundCall
from relaybird.providers.twilio.twiml import CallAnswer
from relaybird.rooms import channels as room_channels
from relaybird.rooms import outbound

log = logging.getLogger("relaybird.rooms")

router = APIRouter(tags=["webhooks"])

TWILIO_MAX_BODY = 64 * 1024

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
    "statuses, the connector's `call_message` spoken for a call.",
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
    account = service.twilio_account(connector, ctx.settings.public_url)
    channel = channels.twilio_channel(ctx)
    received = await _request(request)
    if not channel.verify(account, received):
        raise Unauthorized("X-Twilio-Signature is missing or does not match the request")
    try:
        events = channel.parse(account, received)
    except MalformedCallback as exc:
        raise BadRequest(str(exc)) from None

    def write() -> room_channels.Applied:
        with ctx.db.write() as session:
            return room_channels.apply_direct_events(
                session, ctx.settings, connector, events, now=ctx.clock.now()
            )

    applied = await asyncio.to_thread(write)
    await _send_queued(ctx, applied.queued)
    if any(isinstance(e, InboundCall) for e in events):
        say = (connector.options or {}).get("call_message") or service.DEFAULT_CALL_MESSAGE
        return _reply(channel.answer_call(CallAnswer(say=say)))
    return _reply(channel.acknowledge(received))
