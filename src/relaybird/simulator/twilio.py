"""The simulator playing Twilio (Programmable Messaging + Voice) under ``/twilio``.

API:     POST /twilio/2010-04-01/Accounts/{sid}/Messages.json (form, HTTP Basic),
         GET  /twilio/2010-04-01/Accounts/{sid}/Messages/{MessageSid}.json
Control: POST /_sim/twilio/accounts, /inbound-sms, /inbound-call, /faults;
         GET  /_sim/twilio/messages, /_sim/twilio/callbacks

Like Twilio: 201 with the Message resource (status ``queued``), then status callbacks to the
``StatusCallback`` URL (``sent``, then ``delivered`` or ``undelivered``/``failed`` with
``ErrorCode``), form-encoded and signed with ``X-Twilio-Signature`` (the account's Auth Token);
a STOP from a number blocks that pair (21610) until START, and is still forwarded.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

import relaybird.providers.twilio.keywords as keywords
import relaybird.providers.twilio.signature as signature
import relaybird.providers.twilio.wire as wire
from relaybird.simulator.callbacks import CallbackPoster, Outgoing, answer_json, read_json

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
HTTP_STATUS = {20003: 401, 20404: 404, 20429: 429, 30001: 400}


@dataclass
class Number:
    sms_url: str | None = None
    voice_url: str | None = None


@dataclass
class Account:
    sid: str
    auth_token: str
    api_keys: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, Number] = field(default_factory=dict)


@dataclass
class Fault:
    """``error``: the REST call answers ``code``; ``undelivered``/``failed``: accepted, then a
    status callback with ``code``; ``silent``: accepted, no callback after ``sent``."""

    kind: str
    code: int = 30003
    to: str | None = None
    count: int = 1


@dataclass
class TwilioSim:
    accounts: dict[str, Account] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    opted_out: set[tuple[str, str]] = field(default_factory=set)  # (our number, their number)
    faults: list[Fault] = field(default_factory=list)
    sent_delay: float = 0.0
    delivered_delay: float = 0.0
    poster: CallbackPoster = field(default_factory=CallbackPoster)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def take_fault(self, to: str, kinds: tuple[str, ...]) -> Fault | None:
        for fault in self.faults:
            if fault.kind in kinds and fault.to in (None, to):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def sign(
        self, account: Account, label: str, url: str, params: dict[str, str], key: str | None = None
    ) -> Outgoing:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            signature.HEADER: signature.compute(url, params, account.auth_token),
            "I-Twilio-Idempotency-Token": f"sim-{next(self._seq)}",
        }
        return Outgoing(label, "POST", url, urlencode(params).encode(), headers, key)


SIM = web.AppKey("twilio_sim", TwilioSim)


def mount(app: web.Application) -> None:
    sim = TwilioSim()
    app[SIM] = sim
    app.cleanup_ctx.append(sim.poster.background())
    r = app.router
    r.add_post("/_sim/twilio/accounts", _add_account)
    r.add_post("/_sim/twilio/inbound-sms", _inbound_sms)
    r.add_post("/_sim/twilio/inbound-call", _inbound_call)
    r.add_post("/_sim/twilio/faults", _add_fault)
    r.add_get("/_sim/twilio/messages", _messages)
    r.add_get("/_sim/twilio/callbacks", _callbacks)
    base = f"/twilio/{wire.API_VERSION}/Accounts/{{sid}}"
    r.add_post(base + "/Messages.json", _send)
    r.add_get(base + "/Messages/{msid}.json", _get_message)


def _error(code: int, message: str) -> web.Response:
    status = HTTP_STATUS.get(code, 400)
    return web.json_response(wire.error_body(code, message, status), status=status)


def _authorise(request: web.Request) -> Account | web.Response:
    sim = request.app[SIM]
    account = sim.accounts.get(request.match_info["sid"])
    header = request.headers.get("Authorization", "")
    try:
        user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        user = password = ""
    if account is None or not header.startswith("Basic "):
        return _error(20003, "Authenticate")
    if (user == account.sid and password == account.auth_token) or (
        user in account.api_keys and account.api_keys[user] == password
    ):
        return account
    return _error(20003, "Authenticate")


async def _send(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    account = _authorise(request)
    if isinstance(account, web.Response):
        return account
    form = {k: str(v) for k, v in (await request.post()).items()}
    to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body")
    if not to:
        return _error(21604, "A 'To' phone number is required.")
    if not E164.match(to):
        return _error(21211, f"Invalid 'To' Phone Number: {to}")
    if not from_ and form.get("MessagingServiceSid"):
        from_ = next(iter(account.numbers), "")
    if from_ not in account.numbers:
        return _error(
            21606,
            f"The From phone number {from_} is not a valid, SMS-capable inbound phone number "
            "or short code for your account.",
        )
    if not body:
        return _error(21602, "Message body is required.")
    if len(body) > wire.BODY_MAX:
        return _error(21617, "The concatenated message body exceeds the 1600 character limit.")
    fault = sim.take_fault(to, ("error",))
    if fault is not None:
        return _error(fault.code, f"Simulated error {fault.code}")
    if (from_, to) in sim.opted_out:
        return _error(21610, "Attempt to send to unsubscribed recipient")
    now = datetime.now(UTC)
    sid = wire.new_sid("SM", account.sid, to, next(sim._seq))
    resource = wire.message_resource(
        sid=sid,
        account_sid=account.sid,
        to=to,
        from_=from_,
        body=body,
        status="queued",
        created=now,
        messaging_service_sid=form.get("MessagingServiceSid"),
    )
    sim.messages[sid] = {**resource, "status_callback": form.get("StatusCallback")}
    _schedule_statuses(sim, account, sid, from_, to, form.get("StatusCallback"))
    return web.json_response(resource, status=201)


def _schedule_statuses(
    sim: TwilioSim, account: Account, sid: str, from_: str, to: str, url: str | None
) -> None:
    outcome = sim.take_fault(to, ("undelivered", "failed", "silent"))
    plan: list[tuple[float, str, int | None]] = []
    if outcome is not None and outcome.kind == "failed":
        plan.append((sim.sent_delay, "failed", outcome.code))
    else:
        plan.append((sim.sent_delay, "sent", None))
        if outcome is None:
            plan.append((sim.sent_delay + sim.delivered_delay, "delivered", None))
        elif outcome.kind == "undelivered":
            plan.append((sim.sent_delay + sim.delivered_delay, "undelivered", outcome.code))
    for delay, status, code in plan:
        sim.messages[sid]["status"] = status
        sim.messages[sid]["error_code"] = code
        if not url:
            continue
        done = (
            datetime.now(UTC).strftime("%y%m%d%H%M")
            if status in ("delivered", "undelivered")
            else None
        )
        params = wire.status_callback_params(
            account_sid=account.sid,
            message_sid=sid,
            status=status,
            from_=from_,
            to=to,
            error_code=code,
            raw_dlr_done_date=done,
        )
        sim.poster.schedule(sim.sign(account, f"status:{status}", url, params, key=sid), delay)


async def _get_message(request: web.Request) -> web.Response:
    account = _authorise(request)
    if isinstance(account, web.Response):
        return account
    record = request.app[SIM].messages.get(request.match_info["msid"])
    if record is None or record["account_sid"] != account.sid:
        return _error(20404, "The requested resource was not found")
    return web.json_response({k: v for k, v in record.items() if k != "status_callback"})


# --- control ------------------------------------------------------------------------------------


async def _add_account(request: web.Request) -> web.Response:
    """{account_sid, auth_token, api_keys?: {SK...: secret}, numbers: {"+1...": {sms_url,
    voice_url}}}; posting an account again replaces it."""
    data = await read_json(request)
    try:
        account = Account(
            sid=str(data["account_sid"]),
            auth_token=str(data["auth_token"]),
            api_keys={str(k): str(v) for k, v in dict(data.get("api_keys") or {}).items()},
            numbers={
                str(n): Number(**(hooks or {}))
                for n, hooks in dict(data.get("numbers") or {}).items()
            },
        )
    except (KeyError, TypeError) as exc:
        raise web.HTTPBadRequest(text=f"bad account: {exc}") from None
    sim = request.app[SIM]
    sim.accounts[account.sid] = account
    for name in ("sent_delay", "delivered_delay"):
        if name in data:
            setattr(sim, name, float(data[name]))
    return web.json_response(
        {"account_sid": account.sid, "numbers": list(account.numbers)}, status=201
    )


def _number(sim: TwilioSim, to: str) -> tuple[Account, Number]:
    for account in sim.accounts.values():
        if to in account.numbers:
            return account, account.numbers[to]
    raise web.HTTPNotFound(text=f"no account has the number {to}")


async def _inbound_sms(request: web.Request) -> web.Response:
    """{from, to, body}: a person texts one of our numbers; answers with our app's TwiML."""
    sim, data = request.app[SIM], await read_json(request)
    from_, to, body = str(data["from"]), str(data["to"]), str(data.get("body", ""))
    account, number = _number(sim, to)
    found = keywords.keyword(body)
    if found is not None and found.value == "OPT_OUT":
        sim.opted_out.add((to, from_))
    elif found is not None and found.value == "OPT_IN":
        sim.opted_out.discard((to, from_))
    sid = wire.new_sid("SM", "in", account.sid, from_, next(sim._seq))
    if not number.sms_url:
        raise web.HTTPConflict(text=f"{to} has no sms_url")
    params = wire.inbound_sms_params(
        account_sid=account.sid, message_sid=sid, from_=from_, to=to, body=body
    )
    answer = await sim.poster.deliver(sim.sign(account, "inbound-sms", number.sms_url, params))
    return web.json_response(answer_json(answer, message_sid=sid), status=201)


async def _inbound_call(request: web.Request) -> web.Response:
    """{from, to}: a person calls one of our numbers; answers with our app's TwiML."""
    sim, data = request.app[SIM], await read_json(request)
    from_, to = str(data["from"]), str(data["to"])
    account, number = _number(sim, to)
    if not number.voice_url:
        raise web.HTTPConflict(text=f"{to} has no voice_url")
    sid = wire.new_sid("CA", account.sid, from_, next(sim._seq))
    params = wire.inbound_call_params(account_sid=account.sid, call_sid=sid, from_=from_, to=to)
    answer = await sim.poster.deliver(sim.sign(account, "inbound-call", number.voice_url, params))
    return web.json_response(answer_json(answer, call_sid=sid), status=201)


async def _add_fault(request: web.Request) -> web.Response:
    data = await read_json(request)
    try:
        fault = Fault(**data)
    except TypeError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    if fault.kind not in ("error", "undelivered", "failed", "silent"):
        raise web.HTTPBadRequest(text="kind is error, undelivered, failed or silent")
    request.app[SIM].faults.append(fault)
    return web.json_response({"faults": len(request.app[SIM].faults)}, status=201)


async def _messages(request: web.Request) -> web.Response:
    items = list(request.app[SIM].messages.values())
    to = request.query.get("to")
    if to:
        items = [m for m in items if m["to"] == to]
    return web.json_response({"count": len(items), "items": items})


async def _callbacks(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIM].poster.describe(bool(request.query.get("bodies"))))
