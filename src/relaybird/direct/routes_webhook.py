"""The Direct webhook door: inbound SMS, calls and WhatsApp-Direct messages to a user's virtual
number, signed by the carrier with RELAYBIRD_DIRECT_WEBHOOK_SECRET.

Order: size limit, signature over the raw bytes (constant time), then the body is parsed and
validated; only then is anything written, in one transaction. The welcome message goes out after
the commit.
"""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, Request
from pydantic import ValidationError

from relaybird.context import AppContext
from relaybird.direct import inbound
from relaybird.direct.schemas import DirectInbound, DirectOutcome
from relaybird.errors import BadRequest, InvalidInput, PayloadTooLarge
from relaybird.rooms import outbound

log = logging.getLogger("relaybird.rooms")

router = APIRouter(tags=["webhooks"])

MAX_BODY = 64 * 1024

_BODY_DOC = (
    'Body (JSON): `{"network": "SMS_DIRECT"|"WHATSAPP_DIRECT", "from": "+E.164 caller", '
    '"to": "+E.164 virtual number of a user", "kind": "message"|"call", "text": '
    '"...", "id": "carrier message id", "timestamp": "RFC 3339"}` (`kind` defaults to '
    "message; `text`, `id`, `timestamp` optional). Header `X-Relaybird-Signature: sha256=<hex "
    "HMAC-SHA256 of the raw body with RELAYBIRD_DIRECT_WEBHOOK_SECRET>`."
)


@router.post(
    "/webhooks/direct",
    response_model=DirectOutcome,
    summary="Inbound message or call on SMS & Voice Direct / WhatsApp Direct",
    description=_BODY_DOC
    + " A caller not in the contact list of the virtual number's user (Direct contacts are per "
    "user: another user's contact with that phone does not count) becomes that user's "
    "INCOMPLETE contact (phone only) with a room owned by the "
    "virtual number's user, the message is stored RECEIVED and the welcome message is sent. A "
    "caller on that user's block list becomes a BLOCKED contact and the message is HELD (not "
    "delivered to the room). A repeated `id` (or, without one, a byte-identical body) is a "
    "duplicate: 200 with `duplicate: true`, nothing written. Wrong or missing signature: 401; "
    "malformed or too deeply nested JSON: 400; invalid fields or an unknown virtual number: "
    "422; over 64 KB: 413 — nothing is written in those cases.",
    responses={
        400: {"description": "Not JSON"},
        401: {"description": "Missing or wrong X-Relaybird-Signature"},
        413: {"description": "Body over 64 KB"},
        422: {"description": "Invalid body, or `to` is nobody's virtual number"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": DirectInbound.model_json_schema(by_alias=True)}
            },
        }
    },
)
async def receive_direct(request: Request) -> DirectOutcome:
    ctx: AppContext = request.app.state.ctx
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge("direct webhook bodies are limited to 64 KB")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise PayloadTooLarge("direct webhook bodies are limited to 64 KB")
    inbound.verify_signature(
        ctx.settings.direct_webhook_secret.get_secret_value(),
        raw,
        request.headers.get(inbound.SIGNATURE_HEADER),
    )
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply") from None
    try:
        body = DirectInbound.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"invalid direct webhook body: {problems}") from None

    def write() -> inbound.Received:
        with ctx.db.write() as session:
            return inbound.receive(session, ctx.settings, body, raw, now=ctx.clock.now())

    got = await asyncio.to_thread(write)
    if got.queued:
        try:
            await outbound.deliver(ctx, got.queued)
        except Exception:
            log.exception("sending the welcome after commit failed; the loop will retry")
    return DirectOutcome(
        contact_id=got.contact.id,
        contact_status=got.contact.status,
        room_id=got.room.id,
        message_id=got.message.id,
        message_status=got.message.status,
        duplicate=got.duplicate,
    )
