"""The simulator playing the LINE Messaging API under ``/line`` (api.line.me and the
access.line.me account-link dialog).

API:     POST /line/v2/bot/message/push, POST /line/v2/bot/user/{userId}/linkToken,
         GET  /line/dialog/bot/accountLink?linkToken=&nonce= (the user "logs in": accountLink)
Control: POST /_sim/line/channels, /follow, /unfollow, /message, /account-link, /faults;
         GET  /_sim/line/pushes, /_sim/line/webhooks

Like LINE: Bearer channel access token; ``X-Line-Retry-Key`` makes a retried push answer 409 with
the accepted ``sentMessages``; a push to someone who does not follow the bot still answers 200
(not delivered); the monthly quota answers 429 "You have reached your monthly limit.". Webhooks
are signed with ``x-line-signature`` over the exact body bytes.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import ValidationError

import relaybird.providers.line.signature as signature
import relaybird.providers.line.wire as wire
from relaybird.simulator.callbacks import (
    Answer,
    CallbackPoster,
    Outgoing,
    answer_json,
    read_json,
)

LINK_TOKEN_TTL = 600.0
RETRY_KEY_TTL = 24 * 3600.0


@dataclass
class Channel:
    access_token: str
    channel_secret: str
    bot_user_id: str
    webhook_url: str | None = None
    monthly_limit: int | None = None
    sent_this_month: int = 0


@dataclass
class Fault:
    """``rate`` (429), ``server`` (500) or ``failed_to_send`` (400) for the next pushes."""

    kind: str
    to: str | None = None
    count: int = 1


@dataclass
class LineSim:
    channels: dict[str, Channel] = field(default_factory=dict)  # by access token
    friends: set[tuple[str, str]] = field(default_factory=set)  # (bot user id, user id)
    link_tokens: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    retry_keys: dict[tuple[str, str], tuple[str, list[dict[str, Any]], float]] = field(
        default_factory=dict
    )
    pushes: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    poster: CallbackPoster = field(default_factory=CallbackPoster)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def by_bot(self, bot: str | None) -> Channel:
        for channel in self.channels.values():
            if bot is None or channel.bot_user_id == bot:
                return channel
        raise web.HTTPNotFound(text="no such LINE channel")

    def next_id(self) -> str:
        return str(10**17 + next(self._seq))

    def event_id(self) -> str:
        # webhookEventId is a ULID: 26 Crockford base-32 characters.
        return "01SIM" + uuid.uuid4().hex[:21].upper()

    async def post(self, channel: Channel, label: str, events: list[dict[str, Any]]) -> Any:
        if not channel.webhook_url:
            return Answer(None, b"", None)  # the person acted; nobody is listening
        raw = json.dumps(
            wire.webhook_body(channel.bot_user_id, events), ensure_ascii=False
        ).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            signature.HEADER: signature.sign(raw, channel.channel_secret),
        }
        return await self.poster.deliver(Outgoing(label, "POST", channel.webhook_url, raw, headers))


SIM = web.AppKey("line_sim", LineSim)


def mount(app: web.Application) -> None:
    sim = LineSim()
    app[SIM] = sim
    app.cleanup_ctx.append(sim.poster.background())
    r = app.router
    r.add_post("/_sim/line/channels", _add_channel)
    r.add_post("/_sim/line/follow", _follow)
    r.add_post("/_sim/line/unfollow", _unfollow)
    r.add_post("/_sim/line/message", _message)
    r.add_post("/_sim/line/account-link", _account_link_event)
    r.add_post("/_sim/line/faults", _add_fault)
    r.add_get("/_sim/line/pushes", _pushes)
    r.add_get("/_sim/line/webhooks", _webhooks)
    r.add_post("/line" + wire.PUSH_PATH, _push)
    r.add_post("/line/v2/bot/user/{user_id}/linkToken", _link_token)
    r.add_get("/line/dialog/bot/accountLink", _link_dialog)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _answer(body: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
    headers["x-line-request-id"] = str(uuid.uuid4())
    return web.json_response(body, status=status, headers=headers)


def _authorise(request: web.Request) -> Channel | web.Response:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    channel = request.app[SIM].channels.get(token)
    if channel is None:
        return _answer(
            wire.error_body(
                "Authentication failed due to the following reason: invalid token. "
                "Confirm that the access token in the authorization header is valid."
            ),
            401,
        )
    return channel


async def _push(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    channel = _authorise(request)
    if isinstance(channel, web.Response):
        return channel
    try:
        payload = json.loads(await request.read())
    except ValueError:
        return _answer(wire.error_body("The request body could not be parsed as JSON"), 400)
    try:
        push = wire.PushRequest.model_validate(payload)
        texts = [wire.TextMessage.model_validate(m) for m in push.messages]
    except ValidationError as exc:
        details = [
            {"message": e["msg"], "property": ".".join(map(str, e["loc"]))} for e in exc.errors()
        ]
        return _answer(
            wire.error_body(f"The request body has {len(details)} error(s)", details), 400
        )
    if not wire.USER_ID.match(push.to):
        return _answer(wire.error_body("The property, 'to', in the request body is invalid"), 400)
    key = request.headers.get(wire.RETRY_KEY_HEADER)
    if key is not None:
        try:
            key = str(uuid.UUID(key))
        except ValueError:
            return _answer(wire.error_body("The retry key must be a UUID"), 400)
        seen = sim.retry_keys.get((channel.bot_user_id, key))
        if seen is not None and time.monotonic() - seen[2] < RETRY_KEY_TTL:
            return _answer(
                {"message": wire.RETRY_KEY_ACCEPTED, "sentMessages": seen[1]},
                409,
                **{"x-line-accepted-request-id": seen[0]},
            )
    for fault in list(sim.faults):
        if fault.to in (None, push.to):
            fault.count -= 1
            if fault.count <= 0:
                sim.faults.remove(fault)
            if fault.kind == "rate":
                return _answer(wire.error_body(wire.RATE_LIMIT), 429)
            if fault.kind == "server":
                return _answer(wire.error_body("Internal server error"), 500)
            return _answer(wire.error_body(wire.FAILED_TO_SEND), 400)
    if (
        channel.monthly_limit is not None
        and channel.sent_this_month + len(texts) > channel.monthly_limit
    ):
        return _answer(wire.error_body(wire.MONTHLY_LIMIT), 429)
    channel.sent_this_month += len(texts)
    sent = [{"id": sim.next_id(), "quoteToken": secrets.token_urlsafe(16)} for _ in texts]
    request_id = str(uuid.uuid4())
    if key is not None:
        sim.retry_keys[(channel.bot_user_id, key)] = (request_id, sent, time.monotonic())
    delivered = (channel.bot_user_id, push.to) in sim.friends
    for message, out in zip(texts, sent, strict=True):
        sim.pushes.append(
            {
                "to": push.to,
                "text": message.text,
                "id": out["id"],
                "retry_key": key,
                "delivered": delivered,
            }
        )
    return web.json_response({"sentMessages": sent}, headers={"x-line-request-id": request_id})


async def _link_token(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    channel = _authorise(request)
    if isinstance(channel, web.Response):
        return channel
    user = request.match_info["user_id"]
    if not wire.USER_ID.match(user):
        return _answer(wire.error_body("The value for the 'userId' parameter is invalid"), 400)
    token = secrets.token_urlsafe(24)
    sim.link_tokens[token] = (channel.bot_user_id, user, time.monotonic() + LINK_TOKEN_TTL)
    return _answer({"linkToken": token})


async def _link_dialog(request: web.Request) -> web.Response:
    """The user, logged in to LINE, follows our redirect: LINE checks the token and sends
    ``accountLink`` (ok) with our nonce. An unknown, used or expired token: an error page and
    no webhook, as LINE does."""
    sim = request.app[SIM]
    token, nonce = request.query.get("linkToken", ""), request.query.get("nonce", "")
    entry = sim.link_tokens.pop(token, None)
    if entry is None or entry[2] < time.monotonic() or not 10 <= len(nonce) <= 255:
        return web.Response(status=400, text="This link is invalid or has expired.")
    bot, user, _ = entry
    channel = sim.by_bot(bot)
    event = wire.account_link_event(sim.event_id(), _now_ms(), user, nonce, secrets.token_hex(16))
    answer = await sim.post(channel, "accountLink", [event])
    return web.json_response(answer_json(answer, linked=True))


# --- control ------------------------------------------------------------------------------------


async def _add_channel(request: web.Request) -> web.Response:
    """{access_token, channel_secret, webhook_url?, bot_user_id?, monthly_limit?}"""
    data = await read_json(request)
    try:
        channel = Channel(
            access_token=str(data["access_token"]),
            channel_secret=str(data["channel_secret"]),
            bot_user_id=str(data.get("bot_user_id") or "U" + uuid.uuid4().hex),
            webhook_url=data.get("webhook_url"),
            monthly_limit=data.get("monthly_limit"),
        )
    except KeyError as exc:
        raise web.HTTPBadRequest(text=f"missing {exc}") from None
    request.app[SIM].channels[channel.access_token] = channel
    return web.json_response({"bot_user_id": channel.bot_user_id}, status=201)


async def _follow(request: web.Request) -> web.Response:
    """{user_id, bot?, unblocked?}: the user adds the bot as a friend."""
    sim, data = request.app[SIM], await read_json(request)
    channel, user = sim.by_bot(data.get("bot")), str(data["user_id"])
    sim.friends.add((channel.bot_user_id, user))
    event = wire.follow_event(
        sim.event_id(), _now_ms(), user, secrets.token_hex(16), bool(data.get("unblocked", False))
    )
    return web.json_response(answer_json(await sim.post(channel, "follow", [event]), event=event))


async def _unfollow(request: web.Request) -> web.Response:
    sim, data = request.app[SIM], await read_json(request)
    channel, user = sim.by_bot(data.get("bot")), str(data["user_id"])
    sim.friends.discard((channel.bot_user_id, user))
    event = wire.unfollow_event(sim.event_id(), _now_ms(), user)
    return web.json_response(answer_json(await sim.post(channel, "unfollow", [event]), event=event))


async def _message(request: web.Request) -> web.Response:
    """{user_id, text, bot?}: the user writes to the bot."""
    sim, data = request.app[SIM], await read_json(request)
    channel, user = sim.by_bot(data.get("bot")), str(data["user_id"])
    event = wire.message_event(
        sim.event_id(),
        _now_ms(),
        user,
        sim.next_id(),
        str(data.get("text", "")),
        secrets.token_hex(16),
    )
    return web.json_response(answer_json(await sim.post(channel, "message", [event]), event=event))


async def _account_link_event(request: web.Request) -> web.Response:
    """{nonce, user_id?, ok?, bot?}: an accountLink event as LINE sends it (failed: no user)."""
    sim, data = request.app[SIM], await read_json(request)
    channel = sim.by_bot(data.get("bot"))
    ok = bool(data.get("ok", True))
    user = str(data["user_id"]) if ok else None
    event = wire.account_link_event(
        sim.event_id(), _now_ms(), user, str(data["nonce"]), secrets.token_hex(16) if ok else None
    )
    return web.json_response(
        answer_json(await sim.post(channel, "accountLink", [event]), event=event)
    )


async def _add_fault(request: web.Request) -> web.Response:
    data = await read_json(request)
    try:
        fault = Fault(**data)
    except TypeError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    if fault.kind not in ("rate", "server", "failed_to_send"):
        raise web.HTTPBadRequest(text="kind is rate, server or failed_to_send")
    request.app[SIM].faults.append(fault)
    return web.json_response({"faults": len(request.app[SIM].faults)}, status=201)


async def _pushes(request: web.Request) -> web.Response:
    items = request.app[SIM].pushes
    return web.json_response({"count": len(items), "items": items})


async def _webhooks(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIM].poster.describe(bool(request.query.get("bodies"))))
