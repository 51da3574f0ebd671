"""The simulator playing the WeChat Official Account platform under ``/wechat``
(api.weixin.qq.com and mp.weixin.qq.com's QR images).

API:     GET  /wechat/cgi-bin/token, POST /wechat/cgi-bin/message/custom/send,
         POST /wechat/cgi-bin/qrcode/create, GET /wechat/cgi-bin/showqrcode
Control: POST /_sim/wechat/accounts, /verify-url, /message, /subscribe, /unsubscribe, /scan,
              /expire-token, /advance, /faults;  GET /_sim/wechat/state

Like WeChat: each token fetch invalidates the previous token after a 5-minute overlap (40001),
an expired token answers 42001; customer-service sends follow the 48 h window and its quotas
(providers/windows.py: 45015 outside it, 45047 when used up) and need a follower (43004).
Callbacks are XML POSTs to the account's URL signed with sha1(sorted(token, timestamp, nonce)),
encrypted (AES, msg_signature) when the account is in safe mode.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

import relaybird.providers.wechat.crypto as crypto
import relaybird.providers.wechat.signature as signature
import relaybird.providers.wechat.wire as wire
import relaybird.providers.windows as windows
from relaybird.simulator.callbacks import (
    Answer,
    CallbackPoster,
    Outgoing,
    answer_json,
    read_json,
)

TOKEN_LIFE = 7200
OVERLAP = timedelta(minutes=5)
CONTENT_MAX = 2048

ERRMSG = {
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40008: "invalid message type",
    40013: "invalid appid",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44004: "empty content",
    45002: "content size out of limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    -1: "system error",
}


@dataclass
class Account:
    app_id: str
    app_secret: str
    token: str
    original_id: str
    callback_url: str | None = None
    encoding_aes_key: str | None = None
    safe_mode: bool = False


@dataclass
class IssuedToken:
    app_id: str
    expires_at: datetime
    dies_at: datetime | None = None  # set when a newer token was fetched (the overlap)


@dataclass
class Follower:
    following: bool = True
    window: windows.Window | None = None


@dataclass
class WeChatSim:
    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)  # app id → latest token
    fetches: dict[str, int] = field(default_factory=dict)
    followers: dict[tuple[str, str], Follower] = field(default_factory=dict)
    tickets: dict[str, tuple[str, str, datetime | None]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    quotas: windows.WeChatQuotas = field(default_factory=windows.WeChatQuotas)
    offset: timedelta = field(default_factory=timedelta)
    poster: CallbackPoster = field(default_factory=CallbackPoster)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def account(self, app_id: Any) -> Account:
        if app_id is None and len(self.accounts) == 1:
            return next(iter(self.accounts.values()))
        account = self.accounts.get(str(app_id))
        if account is None:
            raise web.HTTPNotFound(text="no such WeChat account")
        return account

    def check_token(self, value: str | None) -> tuple[IssuedToken | None, int]:
        if not value:
            return None, 41001
        issued = self.tokens.get(value)
        now = self.now()
        if issued is None or (issued.dies_at is not None and issued.dies_at <= now):
            return None, 40001
        if issued.expires_at <= now:
            return None, 42001
        return issued, 0

    def interact(self, app_id: str, openid: str, kind: windows.Interaction) -> None:
        follower = self.followers.setdefault((app_id, openid), Follower())
        follower.following = True
        follower.window = windows.open_window(
            follower.window, "WECHAT", kind, self.now(), self.quotas
        )

    async def push(self, account: Account, label: str, xml: bytes, openid: str) -> Any:
        if not account.callback_url:
            return Answer(None, b"", None)  # the person acted; nobody is listening
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        query = {
            "signature": signature.sign(account.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        body = xml
        if account.safe_mode and account.encoding_aes_key:
            box = crypto.WeChatCrypto(account.token, account.encoding_aes_key, account.app_id)
            sealed = box.seal(xml, timestamp, nonce)
            body = crypto.envelope_xml(account.original_id, sealed.encrypted)
            query.update(encrypt_type="aes", msg_signature=sealed.msg_signature)
        url = _join(account.callback_url, query)
        headers = {"Content-Type": "text/xml"}
        return await self.poster.deliver(Outgoing(label, "POST", url, body, headers))


SIM = web.AppKey("wechat_sim", WeChatSim)


def mount(app: web.Application) -> None:
    sim = WeChatSim()
    app[SIM] = sim
    app.cleanup_ctx.append(sim.poster.background())
    r = app.router
    r.add_post("/_sim/wechat/accounts", _add_account)
    r.add_post("/_sim/wechat/verify-url", _verify_url)
    r.add_post("/_sim/wechat/message", _message)
    r.add_post("/_sim/wechat/subscribe", _subscribe)
    r.add_post("/_sim/wechat/unsubscribe", _unsubscribe)
    r.add_post("/_sim/wechat/scan", _scan)
    r.add_post("/_sim/wechat/expire-token", _expire_token)
    r.add_post("/_sim/wechat/advance", _advance)
    r.add_post("/_sim/wechat/faults", _add_fault)
    r.add_get("/_sim/wechat/state", _state)
    r.add_get("/wechat" + wire.TOKEN_PATH, _token)
    r.add_post("/wechat" + wire.CUSTOM_SEND_PATH, _custom_send)
    r.add_post("/wechat" + wire.QRCODE_CREATE_PATH, _qrcode_create)
    r.add_get("/wechat" + wire.SHOW_QRCODE_PATH, _show_qrcode)


def _join(url: str, query: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(query)


def _result(errcode: int, **extra: Any) -> web.Response:
    # WeChat answers HTTP 200 whatever the outcome.
    body = {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "ok" if errcode == 0 else "error")}
    body.update(extra)
    return web.json_response(body)


# --- API ----------------------------------------------------------------------------------------


async def _token(request: web.Request) -> web.Response:
    sim, q = request.app[SIM], request.query
    if q.get("grant_type") != "client_credential":
        return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
    account = sim.accounts.get(q.get("appid", ""))
    if account is None:
        return _result(40013)
    if q.get("secret") != account.app_secret:
        return _result(40125)
    now = sim.now()
    previous = sim.current.get(account.app_id)
    if previous is not None and previous in sim.tokens:
        sim.tokens[previous].dies_at = now + OVERLAP
    value = "SIMTOKEN_" + secrets.token_urlsafe(96)
    sim.tokens[value] = IssuedToken(account.app_id, now + timedelta(seconds=TOKEN_LIFE))
    sim.current[account.app_id] = value
    sim.fetches[account.app_id] = sim.fetches.get(account.app_id, 0) + 1
    return web.json_response({"access_token": value, "expires_in": TOKEN_LIFE})


async def _body(request: web.Request) -> dict[str, Any] | None:
    try:
        data = json.loads(await request.read())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _custom_send(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    issued, errcode = sim.check_token(request.query.get("access_token"))
    if issued is None:
        return _result(errcode)
    data = await _body(request)
    if data is None or not isinstance(data.get("touser"), str):
        return _result(47001)
    openid = data["touser"]
    for fault in list(sim.faults):
        if fault.get("openid") in (None, openid):
            fault["count"] = int(fault.get("count", 1)) - 1
            if fault["count"] <= 0:
                sim.faults.remove(fault)
            return _result(int(fault["errcode"]))
    if data.get("msgtype") != "text":
        return _result(40008)
    content = (data.get("text") or {}).get("content", "")
    if not content:
        return _result(44004)
    if len(content) > CONTENT_MAX:
        return _result(45002)
    follower = sim.followers.get((issued.app_id, openid))
    if follower is None:
        return _result(40003)
    if not follower.following:
        return _result(43004)
    now = sim.now()
    window = follower.window
    if window is None or window.expires_at <= now:
        return _result(45015)
    if not windows.may_send(window, now):
        return _result(45047)
    follower.window = windows.after_send(window)
    sim.sent.append(
        {"app_id": issued.app_id, "touser": openid, "content": content, "at": now.isoformat()}
    )
    return _result(0)


async def _qrcode_create(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    issued, errcode = sim.check_token(request.query.get("access_token"))
    if issued is None:
        return _result(errcode)
    data = await _body(request)
    if data is None:
        return _result(47001)
    action = data.get("action_name")
    scene = (data.get("action_info") or {}).get("scene") or {}
    value = scene.get("scene_str") if "STR" in str(action) else scene.get("scene_id")
    if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE") or (
        value in (None, "") or len(str(value)) > wire.SCENE_STR_MAX
    ):
        return web.json_response({"errcode": 40097, "errmsg": "invalid args"})
    permanent = "LIMIT" in str(action)
    seconds = (
        None if permanent else min(int(data.get("expire_seconds", 60)), wire.QR_TEMP_MAX_SECONDS)
    )
    ticket = "gQ" + secrets.token_urlsafe(48)
    expires = None if seconds is None else sim.now() + timedelta(seconds=seconds)
    sim.tickets[ticket] = (issued.app_id, str(value), expires)
    body: dict[str, Any] = {
        "ticket": ticket,
        "url": f"http://weixin.qq.com/q/{secrets.token_urlsafe(16)}",
    }
    if seconds is not None:
        body["expire_seconds"] = seconds
    return web.json_response(body)


async def _show_qrcode(request: web.Request) -> web.Response:
    entry = request.app[SIM].tickets.get(request.query.get("ticket", ""))
    if entry is None:
        return web.Response(status=404, text="invalid ticket")
    # A stand-in image naming the scene (the real one is a JPEG QR code).
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240">'
        '<rect width="240" height="240" fill="white" stroke="black"/>'
        f'<text x="12" y="124" font-size="14">scene: {_escape(entry[1])}</text></svg>'
    )
    return web.Response(body=svg.encode(), content_type="image/svg+xml")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- control ------------------------------------------------------------------------------------


async def _add_account(request: web.Request) -> web.Response:
    """{app_id, app_secret, token, original_id?, callback_url?, encoding_aes_key?, safe_mode?}"""
    data = await read_json(request)
    try:
        account = Account(
            app_id=str(data["app_id"]),
            app_secret=str(data["app_secret"]),
            token=str(data["token"]),
            original_id=str(data.get("original_id") or "gh_" + secrets.token_hex(6)),
            callback_url=data.get("callback_url"),
            encoding_aes_key=data.get("encoding_aes_key"),
            safe_mode=bool(data.get("safe_mode", False)),
        )
    except KeyError as exc:
        raise web.HTTPBadRequest(text=f"missing {exc}") from None
    sim = request.app[SIM]
    sim.accounts[account.app_id] = account
    if "quotas" in data:
        q = data["quotas"]
        sim.quotas = windows.WeChatQuotas(
            windows.Allowance(timedelta(hours=float(q["message_hours"])), q.get("message_count")),
            windows.Allowance(timedelta(seconds=float(q["event_seconds"])), q.get("event_count")),
        )
    return web.json_response(
        {"app_id": account.app_id, "original_id": account.original_id}, status=201
    )


async def _verify_url(request: web.Request) -> web.Response:
    """WeChat's server-URL check: a signed GET with ``echostr``; ok when it comes back."""
    sim, data = request.app[SIM], await read_json(request)
    account = sim.account(data.get("app_id"))
    if not account.callback_url:
        raise web.HTTPConflict(text="the account has no callback_url")
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    echostr = str(secrets.randbelow(10**19))
    url = _join(
        account.callback_url,
        {
            "signature": str(
                data.get("signature") or signature.sign(account.token, timestamp, nonce)
            ),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
        },
    )
    answer = await sim.poster.deliver(Outgoing("verify-url", "GET", url, b"", {}))
    return web.json_response(
        answer_json(answer, ok=answer.body.decode(errors="replace") == echostr)
    )


def _openid(data: dict[str, Any]) -> str:
    try:
        return str(data["openid"])
    except KeyError:
        raise web.HTTPBadRequest(text="openid is required") from None


async def _message(request: web.Request) -> web.Response:
    """{openid, text, app_id?}: a follower writes to the account (opens the 48 h window)."""
    sim, data = request.app[SIM], await read_json(request)
    account, openid = sim.account(data.get("app_id")), _openid(data)
    sim.interact(account.app_id, openid, windows.Interaction.MESSAGE)
    msg_id = 6_000_000_000_000_000_000 + next(sim._seq)
    xml = wire.text_message(
        account.original_id, openid, int(time.time()), str(data.get("text", "")), msg_id
    )
    answer = await sim.push(account, "text", xml, openid)
    return web.json_response(answer_json(answer, msg_id=str(msg_id)))


async def _subscribe(request: web.Request) -> web.Response:
    sim, data = request.app[SIM], await read_json(request)
    account, openid = sim.account(data.get("app_id")), _openid(data)
    sim.interact(account.app_id, openid, windows.Interaction.FOLLOW)
    xml = wire.event(account.original_id, openid, int(time.time()), "subscribe", "")
    return web.json_response(answer_json(await sim.push(account, "subscribe", xml, openid)))


async def _unsubscribe(request: web.Request) -> web.Response:
    sim, data = request.app[SIM], await read_json(request)
    account, openid = sim.account(data.get("app_id")), _openid(data)
    follower = sim.followers.setdefault((account.app_id, openid), Follower())
    follower.following, follower.window = False, None
    xml = wire.event(account.original_id, openid, int(time.time()), "unsubscribe", "")
    return web.json_response(answer_json(await sim.push(account, "unsubscribe", xml, openid)))


async def _scan(request: web.Request) -> web.Response:
    """{openid, ticket, app_id?}: the person scans a QR code: ``subscribe`` with
    ``qrscene_<scene>`` if they did not follow yet, else ``SCAN`` with the scene."""
    sim, data = request.app[SIM], await read_json(request)
    openid, ticket = _openid(data), str(data.get("ticket", ""))
    entry = sim.tickets.get(ticket)
    if entry is None:
        raise web.HTTPNotFound(text="no such ticket")
    app_id, scene, expires = entry
    if expires is not None and expires <= sim.now():
        raise web.HTTPGone(text="the QR code has expired")
    account = sim.account(app_id)
    follower = sim.followers.get((app_id, openid))
    already = follower is not None and follower.following
    sim.interact(app_id, openid, windows.Interaction.SCAN)
    created = int(time.time())
    if already:
        xml = wire.event(account.original_id, openid, created, "SCAN", scene, ticket)
    else:
        xml = wire.event(
            account.original_id, openid, created, "subscribe", wire.SCENE_PREFIX + scene, ticket
        )
    answer = await sim.push(account, "SCAN" if already else "subscribe", xml, openid)
    return web.json_response(answer_json(answer, event="SCAN" if already else "subscribe"))


async def _expire_token(request: web.Request) -> web.Response:
    """The account's current token expires now (its next use answers 42001)."""
    sim, data = request.app[SIM], await read_json(request)
    account = sim.account(data.get("app_id"))
    value = sim.current.get(account.app_id)
    if value is not None:
        sim.tokens[value].expires_at = sim.now()
    return web.json_response({"expired": value is not None})


async def _advance(request: web.Request) -> web.Response:
    sim, data = request.app[SIM], await read_json(request)
    sim.offset += timedelta(seconds=float(data.get("seconds", 0)))
    return web.json_response({"now": sim.now().isoformat()})


async def _add_fault(request: web.Request) -> web.Response:
    """{errcode, count?, openid?}: the next custom sends answer ``errcode``."""
    data = await read_json(request)
    if not isinstance(data.get("errcode"), int):
        raise web.HTTPBadRequest(text="errcode (an integer) is required")
    request.app[SIM].faults.append(data)
    return web.json_response({"faults": len(request.app[SIM].faults)}, status=201)


async def _state(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    app_id = request.query.get("app_id")
    return web.json_response(
        {
            "token_fetches": sim.fetches if app_id is None else sim.fetches.get(app_id, 0),
            "sent": [s for s in sim.sent if app_id in (None, s["app_id"])],
            "callbacks": sim.poster.describe(bool(request.query.get("bodies"))),
        }
    )
