"""The simulator's HTTP face: Meta's Graph endpoints plus a control plane under ``/_sim``.

Graph:   POST /{version}/{phone-number-id}/messages, GET /{version}/{phone-number-id},
         GET /{version}/{waba-id}/message_templates, POST /{version}/{phone-number-id}/media
Control: numbers, quality/tier/ban, not-on-WhatsApp recipients, inbound messages, faults,
         configuration, clock, templates (add; pause/disable/reject/approve, quality,
         category: each sends Meta's webhook), and the record (GET /_sim/sent) tests assert on.
Twilio, LINE and WeChat are played under /twilio, /line and /wechat (their control planes under
/_sim/twilio, /_sim/line, /_sim/wechat): simulator/{twilio,line,wechat}.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from relaybird.simulator import line, twilio, wechat
from relaybird.simulator.config import SimConfig
from relaybird.simulator.core import Fault, Reply, Simulator

SIM_KEY = web.AppKey("simulator", Simulator)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(config: SimConfig | None = None) -> web.Application:
    sim = Simulator(config or SimConfig())
    # Media uploads go up to Meta's 100 MB (documents), plus the multipart envelope.
    app = web.Application(client_max_size=101 * 1024 * 1024)
    app[SIM_KEY] = sim
    app.cleanup_ctx.append(_background)
    r = app.router
    # Control routes first: "/{version}/{id}" would match "/_sim/sent" too.
    r.add_get("/_sim/sent", _sent)
    r.add_get("/_sim/requests", _requests)
    r.add_get("/_sim/webhooks", _webhooks)
    r.add_get("/_sim/config", _get_config)
    r.add_post("/_sim/config", _set_config)
    r.add_post("/_sim/numbers", _add_number)
    r.add_get("/_sim/numbers/{pnid}", _get_number)
    r.add_post("/_sim/numbers/{pnid}/quality", _quality)
    r.add_post("/_sim/numbers/{pnid}/tier", _tier)
    r.add_post("/_sim/numbers/{pnid}/account", _account)
    r.add_post("/_sim/not-on-whatsapp", _not_on_whatsapp)
    r.add_post("/_sim/inbound", _inbound)
    r.add_post("/_sim/faults", _add_fault)
    r.add_delete("/_sim/faults", _clear_faults)
    r.add_post("/_sim/clock/advance", _advance)
    r.add_post("/_sim/reset", _reset)
    # The Direct networks, each under its own prefix (before the Graph catch-alls).
    twilio.mount(app)
    line.mount(app)
    wechat.mount(app)
    r.add_get("/_sim/wabas/{waba}/templates", _sim_templates)
    r.add_post("/_sim/wabas/{waba}/templates", _put_template)
    r.add_post("/_sim/templates/{tid}/status", _template_status)
    r.add_post("/_sim/templates/{tid}/quality", _template_quality)
    r.add_post("/_sim/templates/{tid}/category", _template_category)
    r.add_post("/{version}/{pnid}/messages", _send)
    r.add_post("/{version}/{pnid}/media", _upload_media)
    r.add_get("/{version}/{waba}/message_templates", _list_templates)
    r.add_get("/{version}/{pnid}", _phone_number)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    sim = app[SIM_KEY]
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            sim.tick_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.25)

    tasks = [asyncio.create_task(sim.emitter.run(stop)), asyncio.create_task(ticker())]
    yield
    stop.set()
    sim.emitter.wake()
    await asyncio.gather(*tasks, return_exceptions=True)


def _sim(request: web.Request) -> Simulator:
    return request.app[SIM_KEY]


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data


async def _answer(request: web.Request, reply: Reply) -> web.StreamResponse:
    if reply.disconnect:
        # Drop the connection without an answer (a network failure mid-request).
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError
    if reply.hold:
        await asyncio.sleep(reply.hold)
    return web.json_response(reply.body, status=reply.status)


# --- Graph ----------------------------------------------------------------------------------


async def _send(request: web.Request) -> web.StreamResponse:
    try:
        payload = await request.json()
    except ValueError:
        payload = None
    reply = _sim(request).send(
        request.match_info["pnid"], request.headers.get("Authorization"), payload
    )
    return await _answer(request, reply)


async def _phone_number(request: web.Request) -> web.StreamResponse:
    reply = _sim(request).phone_number(
        request.match_info["pnid"], request.headers.get("Authorization")
    )
    return await _answer(request, reply)


async def _list_templates(request: web.Request) -> web.StreamResponse:
    base = str(request.url.with_query(None))
    reply = _sim(request).list_templates(
        request.match_info["waba"],
        request.headers.get("Authorization"),
        dict(request.query),
        base,
    )
    return await _answer(request, reply)


async def _upload_media(request: web.Request) -> web.StreamResponse:
    form: dict[str, Any] = {}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "file":
                form["file"] = await part.read(decode=False)
                form["filename"] = part.filename
            else:
                form[part.name] = (await part.text()).strip()
    reply = _sim(request).upload_media(
        request.match_info["pnid"], request.headers.get("Authorization"), form
    )
    return await _answer(request, reply)


# --- control --------------------------------------------------------------------------------


def _template(request: web.Request) -> Any:
    template = _sim(request).catalogues.by_id.get(request.match_info["tid"])
    if template is None:
        raise web.HTTPNotFound(text="no such template")
    return template


async def _sim_templates(request: web.Request) -> web.Response:
    waba = request.match_info["waba"]
    items = [
        {
            **t.item(
                [
                    "name",
                    "language",
                    "status",
                    "category",
                    "quality_score",
                    "parameter_format",
                    "components",
                    "id",
                ]
            ),
            "paused_until": t.paused_until.isoformat() if t.paused_until else None,
        }
        for t in _sim(request).catalogues.of(waba)
    ]
    return web.json_response({"count": len(items), "items": items})


async def _put_template(request: web.Request) -> web.Response:
    """Add or replace a template of the account (Graph's shape; status default APPROVED)."""
    data = await _json(request)
    sim = _sim(request)
    sim.catalogues.of(request.match_info["waba"])
    try:
        template = sim.catalogues.put(request.match_info["waba"], data)
    except (KeyError, TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=f"bad template: {exc}") from None
    return web.json_response(
        template.item(["name", "language", "status", "category", "id"]), status=201
    )


async def _template_status(request: web.Request) -> web.Response:
    """{"event": "PAUSED" | "APPROVED" | "DISABLED" | "REJECTED" | "FLAGGED" | ..., "reason",
    "title", "description", "rejection_reason", "recommendation"}: Meta moves the template and
    sends message_template_status_update."""
    sim, template, data = _sim(request), _template(request), await _json(request)
    event = str(data.pop("event", "")).upper()
    if not event:
        raise web.HTTPBadRequest(text="event is required")
    sim.set_template_status(template, event, **data)
    return web.json_response(template.item(["name", "language", "status", "quality_score", "id"]))


async def _template_quality(request: web.Request) -> web.Response:
    sim, template, data = _sim(request), _template(request), await _json(request)
    score = str(data.get("score", "")).upper()
    if score not in ("GREEN", "YELLOW", "RED", "UNKNOWN"):
        raise web.HTTPBadRequest(text="score is GREEN, YELLOW, RED or UNKNOWN")
    sim.set_template_quality(template, score)
    return web.json_response(template.item(["name", "language", "status", "quality_score", "id"]))


async def _template_category(request: web.Request) -> web.Response:
    """{"category": "MARKETING", "notice": false}: notice=true sends the 24 h announcement only."""
    sim, template, data = _sim(request), _template(request), await _json(request)
    category = str(data.get("category", "")).upper()
    if category not in ("MARKETING", "UTILITY", "AUTHENTICATION"):
        raise web.HTTPBadRequest(text="category is MARKETING, UTILITY or AUTHENTICATION")
    sim.set_template_category(template, category, notice=bool(data.get("notice", False)))
    return web.json_response(template.item(["name", "language", "status", "category", "id"]))


async def _sent(request: web.Request) -> web.Response:
    sim = _sim(request)
    to = request.query.get("to")
    items = [s for s in sim.sent if to is None or s["to"] == to.lstrip("+")]
    return web.json_response({"count": len(items), "items": items})


async def _requests(request: web.Request) -> web.Response:
    items = _sim(request).requests
    return web.json_response({"count": len(items), "items": items})


async def _webhooks(request: web.Request) -> web.Response:
    emitter = _sim(request).emitter
    body: dict[str, Any] = {
        "pending": emitter.pending,
        "delivered": len(emitter.delivered),
        "failed": emitter.failed,
        "undeliverable": emitter.undeliverable,
    }
    if request.query.get("bodies"):
        body["bodies"] = emitter.delivered
    return web.json_response(body)


async def _get_config(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).config.as_dict())


async def _set_config(request: web.Request) -> web.Response:
    sim = _sim(request)
    try:
        sim.config.update(await _json(request))
    except (ValueError, TypeError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(sim.config.as_dict())


async def _add_number(request: web.Request) -> web.Response:
    data = await _json(request)
    sim = _sim(request)
    try:
        number = sim.add_number(
            str(data.pop("phone_number_id")), str(data.pop("access_token")), **data
        )
    except (KeyError, TypeError) as exc:
        raise web.HTTPBadRequest(text=f"bad number: {exc}") from None
    return web.json_response(number.describe(sim.clock.now()), status=201)


def _number(request: web.Request) -> Any:
    number = _sim(request).numbers.get(request.match_info["pnid"])
    if number is None:
        raise web.HTTPNotFound(text="no such number")
    return number


async def _get_number(request: web.Request) -> web.Response:
    return web.json_response(_number(request).describe(_sim(request).clock.now()))


async def _quality(request: web.Request) -> web.Response:
    sim, number, data = _sim(request), _number(request), await _json(request)
    sim.signal(number, number.set_quality(str(data["rating"]), sim.clock.now()))
    return web.json_response(number.describe(sim.clock.now()))


async def _tier(request: web.Request) -> web.Response:
    sim, number, data = _sim(request), _number(request), await _json(request)
    try:
        sim.signal(number, number.set_tier(str(data["tier"])))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(number.describe(sim.clock.now()))


async def _account(request: web.Request) -> web.Response:
    """{"event": "DISABLED_UPDATE"|..., ...}: set the number's state and send account_update."""
    sim, number, data = _sim(request), _number(request), await _json(request)
    event = str(data.get("event", ""))
    if event == "DISABLED_UPDATE":
        state = str(data.get("ban_state", "DISABLE"))
        number.banned = state == "DISABLE"
        data = {
            "event": event,
            "ban_info": {"waba_ban_state": state, "waba_ban_date": "2026-01-01"},
        }
    elif event == "OFFLINE":
        number.offline = bool(data.get("offline", True))
        return web.json_response(number.describe(sim.clock.now()))
    sim.account_event(number, data)
    return web.json_response(number.describe(sim.clock.now()))


async def _not_on_whatsapp(request: web.Request) -> web.Response:
    data = await _json(request)
    sim = _sim(request)
    sim.not_on_whatsapp.update(str(p).lstrip("+") for p in data.get("phones", []))
    return web.json_response({"count": len(sim.not_on_whatsapp)})


async def _inbound(request: web.Request) -> web.Response:
    data = await _json(request)
    sim = _sim(request)
    pnid = str(data.get("phone_number_id", ""))
    if pnid not in sim.numbers:
        raise web.HTTPNotFound(text="no such number")
    wamid = sim.inbound(
        pnid,
        str(data["from"]).lstrip("+"),
        str(data.get("text", "")),
        name=str(data.get("name", "Sim User")),
        context_wamid=data.get("context_wamid"),
    )
    return web.json_response({"wamid": wamid}, status=201)


async def _add_fault(request: web.Request) -> web.Response:
    data = await _json(request)
    try:
        fault = Fault(**data)
    except TypeError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    if fault.kind not in ("error", "timeout", "disconnect"):
        raise web.HTTPBadRequest(text="kind is error, timeout or disconnect")
    if fault.to is not None:
        fault.to = fault.to.lstrip("+")
    _sim(request).faults.append(fault)
    return web.json_response({"faults": len(_sim(request).faults)}, status=201)


async def _clear_faults(request: web.Request) -> web.Response:
    _sim(request).faults.clear()
    return web.json_response({"faults": 0})


async def _advance(request: web.Request) -> web.Response:
    data = await _json(request)
    sim = _sim(request)
    now = sim.clock.advance(float(data.get("seconds", 0)))
    sim.tick_all()
    return web.json_response({"now": now.isoformat()})


async def _reset(request: web.Request) -> web.Response:
    _sim(request).reset_records()
    return web.json_response({"ok": True})
