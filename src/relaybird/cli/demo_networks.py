"""The demo's second act: the Direct networks behind contacts, against the simulator playing
Twilio, LINE and WeChat (signing its callbacks as they do) and a small mail sink standing in for
the contacts' mailboxes. Everything goes through relaybird's API and webhooks; the demo only
plays the people: a stranger texting, a LINE user following and linking, a WeChat user scanning.

Three short scenes, a few lines each: an SMS conversation through Twilio, a LINE invitation
accepted through the account-link event, a WeChat invitation accepted by scanning its QR code.
"""

from __future__ import annotations

import email
import html
import json
import re
import socketserver
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.cli.common import console

VIRTUAL = "+14155550100"  # Grace's SMS virtual number (a number of the Twilio account)
STRANGER = "+14155550199"
TWILIO_SID, TWILIO_TOKEN = "AC" + "d" * 32, "demo-twilio-auth-token"
LINE_SECRET, LINE_TOKEN, LINE_USER = "demo-line-secret", "demo-line-token", "U" + "d" * 32
WECHAT_APP, WECHAT_SECRET, WECHAT_TOKEN = "wx" + "d" * 16, "demo-wechat-secret", "demotoken"
WECHAT_ORIGINAL, OPENID = "gh_demo", "o_demo_follower"


class Mailbox:
    """An SMTP sink on loopback: accepts every message and keeps it (the contacts' inboxes)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        box = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 demo-mail ESMTP\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        self.wfile.write(b"354 end with .\r\n")
                        data = bytearray()
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        parsed = email.message_from_bytes(bytes(data), policy=default_policy)
                        box.messages.append(parsed)
                        self.wfile.write(b"250 kept\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # EHLO/HELO, MAIL, RCPT, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"smtp://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def text_to(self, address: str) -> str | None:
        for message in self.messages:
            if message["To"] == address:
                body = message.get_body(("plain",))
                return str(body.get_content()) if body is not None else None
        return None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _http(method: str, url: str, body: Any = None, form: dict[str, str] | None = None) -> Any:
    data, headers = None, {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        raw = response.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _wait(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo waited too long for {what}")
        time.sleep(0.1)


def _say(who: str, text: str) -> None:
    console.print(f"    [bold]{who}[/] {text}", soft_wrap=True, highlight=False)


def run(api: ApiClient, sim_url: str, mailbox: Mailbox) -> None:
    console.print("\n[bold]Direct networks[/] (the simulator plays Twilio, LINE and WeChat)")
    grace = api.post(
        "/api/v1/users",
        {"name": "Grace Hopper", "email": "grace@bank.example", "virtual_number": VIRTUAL},
    )["id"]
    _sms(api, sim_url, grace)
    _line(api, sim_url, grace, mailbox)
    _wechat(api, sim_url, grace, mailbox)


def _connector(api: ApiClient, body: dict[str, Any]) -> str:
    return str(api.post("/api/v1/connectors", body)["webhook_url"])


def _messages(api: ApiClient, room: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"/api/v1/rooms/{room}/messages")["items"]
    return items


def _sms(api: ApiClient, sim: str, grace: int) -> None:
    console.print("  [bold]SMS through Twilio[/]: a stranger texts Grace's number")
    hook = _connector(
        api,
        {
            "network": "SMS_DIRECT",
            "name": "Twilio",
            "account_sid": TWILIO_SID,
            "auth_token": TWILIO_TOKEN,
        },
    )
    numbers = {VIRTUAL: {"sms_url": hook, "voice_url": hook}}
    _http(
        "POST",
        f"{sim}/_sim/twilio/accounts",
        {"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "numbers": numbers},
    )
    text = "Hi, is this Grace? My card was declined."
    _http("POST", f"{sim}/_sim/twilio/inbound-sms", {"from": STRANGER, "to": VIRTUAL, "body": text})
    [contact] = api.get("/api/v1/contacts?network=SMS_DIRECT")["items"]
    [room] = [r for r in api.get("/api/v1/rooms")["items"] if r["network"] == "SMS_DIRECT"]
    _say(STRANGER, f"→ {text!r}  (signed X-Twilio-Signature)")
    _say("relaybird", f"new contact {contact['id']}: {contact['status']}, room {room['id']}")
    welcome = _wait(
        "the welcome's delivery",
        lambda: next(
            (
                m
                for m in _messages(api, room["id"])
                if m["kind"] == "WELCOME" and m["status"] == "DELIVERED"
            ),
            None,
        ),
    )
    _say("Grace (welcome)", f"← {welcome['text']!r}  DELIVERED (Twilio status callback)")
    reply = api.post(f"/api/v1/rooms/{room['id']}/messages", {"text": "Yes! Let me check."})[
        "items"
    ][0]
    _wait(
        "the reply's delivery",
        lambda: any(
            m["id"] == reply["id"] and m["status"] == "DELIVERED"
            for m in _messages(api, room["id"])
        ),
    )
    _say("Grace", "← 'Yes! Let me check.'  DELIVERED")


def _line(api: ApiClient, sim: str, grace: int, mailbox: Mailbox) -> None:
    console.print("  [bold]LINE[/]: an invitation accepted through LINE's account linking")
    hook = _connector(
        api,
        {
            "network": "LINE",
            "name": "Bank LINE",
            "channel_id": "2000000001",
            "channel_secret": LINE_SECRET,
            "channel_access_token": LINE_TOKEN,
        },
    )
    _http(
        "POST",
        f"{sim}/_sim/line/channels",
        {"access_token": LINE_TOKEN, "channel_secret": LINE_SECRET, "webhook_url": hook},
    )
    contact = _invite(api, "LINE", grace, "ada@example.com")
    code = _code(mailbox, "ada@example.com", r"Or enter this code: ([A-Z0-9-]+)")
    _say("relaybird", f"contact {contact}: PENDING_CONFIRMATION, invitation e-mailed")
    _http("POST", f"{sim}/_sim/line/follow", {"user_id": LINE_USER})
    pushes = _http("GET", f"{sim}/_sim/line/pushes")["items"]
    offer = next(p["text"] for p in pushes if p["to"] == LINE_USER)
    link = re.search(r"(https?://\S+/line/\d+/link\?linkToken=\S+)", offer)
    assert link is not None, offer
    _say("Ada (LINE)", "follows the account; the bot pushes her the link page")
    page = _http("GET", link.group(1))
    token = re.search(r'name="linkToken" value="([^"]+)"', page)
    assert token is not None, page
    answer = _http(
        "POST",
        link.group(1).split("?")[0],
        form={"linkToken": html.unescape(token.group(1)), "code": code},
    )
    onward = re.search(r'<a href="([^"]+)">Continue to LINE</a>', answer)
    assert onward is not None, answer
    _say("Ada", "enters her invitation code; LINE's account-link dialog sends accountLink")
    _http("GET", html.unescape(onward.group(1)))
    linked = api.get(f"/api/v1/contacts/{contact}")
    _say("relaybird", f"contact {contact}: {linked['status']} (LINE user linked)")


def _wechat(api: ApiClient, sim: str, grace: int, mailbox: Mailbox) -> None:
    console.print("  [bold]WeChat[/]: an invitation accepted by scanning its QR code")
    hook = _connector(
        api,
        {
            "network": "WECHAT",
            "name": "Bank WeChat",
            "app_id": WECHAT_APP,
            "app_secret": WECHAT_SECRET,
            "token": WECHAT_TOKEN,
            "original_id": WECHAT_ORIGINAL,
        },
    )
    account = {
        "app_id": WECHAT_APP,
        "app_secret": WECHAT_SECRET,
        "token": WECHAT_TOKEN,
        "original_id": WECHAT_ORIGINAL,
        "callback_url": hook,
    }
    _http("POST", f"{sim}/_sim/wechat/accounts", account)
    contact = _invite(api, "WECHAT", grace, "li@example.com")
    qr = _code(mailbox, "li@example.com", r"(https?://\S+/invitations/[A-Z0-9]+/wechat-qr)")
    _say("relaybird", f"contact {contact}: PENDING_CONFIRMATION, QR link e-mailed")
    image = _location(qr)
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(image).query)["ticket"][0]
    _say("Li (WeChat)", "opens the QR code (a parametric code bound to the invitation), scans it")
    _http("POST", f"{sim}/_sim/wechat/scan", {"openid": OPENID, "ticket": ticket})
    linked = api.get(f"/api/v1/contacts/{contact}")
    state = linked["invitation"]["state"]
    _say("relaybird", f"contact {contact}: invitation {state}, OpenID linked (subscribe event)")
    room = api.post("/api/v1/rooms", {"name": "Li", "network": "WECHAT", "owner_user_id": grace})[
        "id"
    ]
    api.post(f"/api/v1/rooms/{room}/contacts", {"contact_id": contact})
    sent = api.post(f"/api/v1/rooms/{room}/messages", {"text": "Welcome, Li!"})["items"][0]
    _wait(
        "the customer-service message",
        lambda: any(m["id"] == sent["id"] and m["status"] == "SENT" for m in _messages(api, room)),
    )
    _say("Grace", "← 'Welcome, Li!'  SENT (customer-service message, inside the 48 h window)")


def _invite(api: ApiClient, network: str, owner: int, address: str) -> int:
    body = {
        "network": network,
        "first_name": "Ada" if network == "LINE" else "Li",
        "last_name": "Lovelace" if network == "LINE" else "Wei",
        "company": "Analytical Engines",
        "email": address,
        "phone": "+819012345678" if network == "LINE" else "+8613800138000",
        "owner_user_id": owner,
    }
    contact = int(api.post("/api/v1/contacts", body)["id"])
    _wait(
        "the invitation e-mail",
        lambda: api.get(f"/api/v1/contacts/{contact}")["status"] == "PENDING_CONFIRMATION",
    )
    return contact


def _code(mailbox: Mailbox, address: str, pattern: str) -> str:
    text = _wait(f"the e-mail to {address}", lambda: mailbox.text_to(address))
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"the e-mail to {address} lacks what the demo looks for")
    return found.group(1)


def _location(url: str) -> str:
    """The redirect's target, without following it."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        urllib.request.build_opener(Stay).open(url, timeout=30)
    except urllib.error.HTTPError as exc:
        return str(exc.headers["Location"])
    raise RuntimeError("the QR link did not redirect to the image")
