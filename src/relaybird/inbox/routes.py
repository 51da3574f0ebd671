"""The WhatsApp webhook door: Meta's verification handshake and signed notifications.

POST order matters: size limit, then the signature over the raw bytes (constant time) before
anything is parsed or stored, then a JSON check; only then is the body stored (durably, once per
body hash) and 200 returned. Applying the events happens later, in the applier loop.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from relaybird.api.deps import Ctx
from relaybird.context import AppContext
from relaybird.errors import BadRequest, Forbidden, PayloadTooLarge, Unauthorized
from relaybird.inbox import service
from relaybird.providers.whatsapp import signature

router = APIRouter(tags=["webhooks"])

MAX_BODY = 3 * 1024 * 1024  # Meta: payloads up to 3 MB
# The 200's body, ready: thousands of POSTs a second need no response serialisation.
_OK = b'{"status":"ok"}'


@router.get(
    "/webhooks/whatsapp",
    summary="Meta's webhook verification handshake",
    description="Meta calls this when the callback URL is saved: answers `hub.challenge` as plain "
    "text when `hub.verify_token` equals RELAYBIRD_WHATSAPP_VERIFY_TOKEN, 403 otherwise.",
    response_class=PlainTextResponse,
    responses={403: {"description": "Wrong verify token or mode"}},
)
def verify_subscription(
    ctx: Ctx,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    expected = ctx.settings.whatsapp_verify_token.get_secret_value()
    if (
        mode != "subscribe"
        or not expected
        or token is None
        or not signature.constant_time_equals(token, expected)
    ):
        raise Forbidden("hub.verify_token does not match")
    return PlainTextResponse(challenge or "")


@router.post(
    "/webhooks/whatsapp",
    summary="Receive WhatsApp Cloud API notifications",
    response_model=dict[str, str],
    description="Meta posts message statuses, inbound messages and account/number/template "
    "updates here, signed with `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with "
    "RELAYBIRD_WHATSAPP_APP_SECRET). A valid body is stored durably (once per body) and "
    "answered 200 at once; its events are applied in the background. Unsigned or wrongly "
    "signed: 401; over 3 MB: 413; not JSON or nested too deeply: 400 — nothing is stored in "
    "those cases.",
    responses={
        200: {"description": "Stored (or already stored); will be applied"},
        400: {"description": "Malformed JSON"},
        401: {"description": "Missing or wrong X-Hub-Signature-256"},
        413: {"description": "Body over 3 MB"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def receive_notification(request: Request) -> Response:
    # The context straight from the app, not the Ctx dependency: that one is a sync function,
    # which FastAPI runs in a worker thread — a hop this hot path does not need.
    ctx: AppContext = request.app.state.ctx
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge("webhook bodies are limited to 3 MB")
    raw = await _read_capped(request)
    secret = ctx.settings.whatsapp_app_secret.get_secret_value()
    if not secret:
        raise Unauthorized("refused: RELAYBIRD_WHATSAPP_APP_SECRET is not set")
    if not signature.verify(raw, request.headers.get(signature.HEADER), secret):
        raise Unauthorized("missing or invalid X-Hub-Signature-256")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the body is not a JSON object")
    await service.writer(ctx).store(
        service.new_event("whatsapp", raw, hashlib.sha256(raw).hexdigest(), ctx.clock.now())
    )
    return Response(_OK, media_type="application/json")


async def _read_capped(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge("webhook bodies are limited to 3 MB")
        chunks.append(chunk)
    return b"".join(chunks)
