"""`make screenshots`: the README's pictures, produced by driving the product as a user would.

Starts the simulator (playing Meta) and relaybird (API, webhooks and every loop, on a fresh SQLite
file), then builds a realistic workspace only through the public doors — the API, signed
webhooks from the simulator and from a Direct carrier — never by writing to the database: four
sender numbers in different states, campaigns of thousands of recipients (one completed, one
running, one waiting for its number's messaging limit, one not started), users with virtual
numbers, contacts on every network, rooms with messages. Then Chromium (Debian's, headless)
logs in to the dashboard and photographs each page.

    .venv/bin/python -m tests.dashboard.screenshots [OUT_DIR]     # default docs/screenshots
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.cli.demo import _any_free_port, _serve
from relaybird.config import Settings
from relaybird.context import AppContext
from relaybird.db import migrate
from relaybird.simulator.config import SimConfig
from relaybird.simulator.server import SimulatorThread
from tests.dashboard.browser import ARGS, CHROMIUM
from tests.fixtures.simulator import SimHandle

DIRECT_SECRET = secrets.token_hex(16)
FIRST = ["Ana", "Bea", "Cy", "Dana", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]


def _csv(n: int, start: int, bad: int = 0) -> bytes:
    lines = ["phone,first_name"]
    for i in range(n):
        lines.append(f"+1212{2_000_000 + (start + i) % 7_000_000:07d},{FIRST[i % len(FIRST)]}")
    lines += [f"not-a-number-{i},Zed" for i in range(bad)]
    return ("\n".join(lines) + "\n").encode()


def _direct(api_url: str, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(DIRECT_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"{api_url}/webhooks/direct",
        data=raw,
        method="POST",
        headers={"Content-Type": "application/json", "X-Relaybird-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def _wait(api: ApiClient, cid: int, until: Any, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.get(f"/api/v1/campaigns/{cid}")
        if until(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


class Workspace:
    """Everything the pictures show, made through the API."""

    def __init__(self, api: ApiClient, sim: SimHandle, api_url: str) -> None:
        self.api, self.sim, self.api_url = api, sim, api_url

    def sender(self, name: str, pnid: str, display: str, **number: Any) -> int:
        token = secrets.token_urlsafe(24)
        self.sim.add_number(pnid, token, **number)
        created = self.api.post(
            "/api/v1/senders",
            {
                "name": name,
                "phone_number_id": pnid,
                "display_phone_number": display,
                "access_token": token,
                "waba_id": f"waba-{pnid}",
            },
        )
        sid = int(created["id"])
        self.api.post(f"/api/v1/senders/{sid}/sync")
        return sid

    def campaign(self, name: str, sender: int, rows: int, start: int, bad: int = 0) -> int:
        created = self.api.post(
            "/api/v1/campaigns",
            {
                "name": name,
                "sender_id": sender,
                "template": {
                    "name": "spring_sale",
                    "language": "en_US",
                    "body_params": ["first_name"],
                },
            },
        )
        cid = int(created["id"])
        self.api.upload(f"/api/v1/campaigns/{cid}/recipients", "list.csv", _csv(rows, start, bad))
        return cid


def build(api: ApiClient, sim: SimHandle, api_url: str) -> dict[str, int]:
    ws = Workspace(api, sim, api_url)
    main = ws.sender("Main line", "2001", "+1 212 555 0100", tier="TIER_100K", throughput_mps=400)
    promo = ws.sender("Promotions", "2002", "+1 212 555 0200", tier="TIER_250")
    support = ws.sender("Support", "2003", "+1 212 555 0300", tier="TIER_1K")
    slow = ws.sender("Newsletter", "2004", "+1 212 555 0400", tier="TIER_10K", throughput_mps=25)
    sim.set_quality("2003", "RED")
    api.post(f"/api/v1/senders/{support}/sync")

    done = ws.campaign("Spring sale", main, 3000, 0, bad=12)
    api.post(f"/api/v1/campaigns/{done}/start")
    waiting = ws.campaign("Weekend flash sale", promo, 400, 10_000)
    api.post(f"/api/v1/campaigns/{waiting}/start")
    _wait(api, done, lambda b: b["state"] == "COMPLETED")
    _wait(api, waiting, lambda b: b["waiting_reason"] is not None)
    running = ws.campaign("Loyalty points", slow, 6000, 20_000, bad=3)
    api.post(f"/api/v1/campaigns/{running}/start")
    ws.campaign("Winter teaser", main, 800, 40_000)

    # People: an agent with a virtual number, contacts on every network, rooms.
    olga = api.post(
        "/api/v1/users",
        {"name": "Olga Novak", "email": "olga@example.com", "virtual_number": "+12125559000"},
    )["id"]
    people = [
        ("WHATSAPP", "Wen", "Zhao", "+12125550101", "wen@example.com"),
        ("WHATSAPP", "Ama", "Mensah", "+12125550102", "ama@example.com"),
        ("WECHAT", "Li", "Wei", "+8613800138000", "li@example.com"),
        ("LINE", "Aiko", "Sato", "+819012345678", "aiko@example.com"),
        ("SMS_DIRECT", "Sam", "Reed", "+12125550105", None),
        ("WHATSAPP_DIRECT", "Mia", "Lopez", "+12125550106", None),
    ]
    ids: dict[str, int] = {}
    for network, first, last, phone, email in people:
        body = {
            "network": network,
            "first_name": first,
            "last_name": last,
            "phone": phone,
            "owner_user_id": olga,
            "company": "Acme" if email else None,
            "email": email,
        }
        ids[first] = api.post("/api/v1/contacts", {k: v for k, v in body.items() if v})["id"]
    sim.not_on_whatsapp("+12125550102")
    room = api.post(
        "/api/v1/rooms",
        {
            "name": "Acme onboarding",
            "network": "WHATSAPP",
            "owner_user_id": olga,
            "sender_id": main,
        },
    )["id"]
    for first in ("Wen", "Ama"):
        api.post(f"/api/v1/rooms/{room}/contacts", {"contact_id": ids[first]})
    time.sleep(2)
    sim.inbound("2001", "+12125550101", "Hi Olga, got it, thanks!")
    time.sleep(1.5)
    api.post(f"/api/v1/rooms/{room}/messages", {"text": "Great, talk on Monday."})
    # A Direct carrier: an unknown caller (INCOMPLETE) and a blocked one (BLOCKED, held).
    api.post(
        f"/api/v1/users/{olga}/blocked-numbers",
        {"phone": "+12125550199", "reason": "SPAM", "comment": "bulk offers"},
    )
    for n, (caller, text) in enumerate(
        (("+12125550177", "Hello, is this Olga?"), ("+12125550199", "Cheap watches!!!"))
    ):
        _direct(
            api_url,
            {
                "network": "SMS_DIRECT",
                "from": caller,
                "to": "+12125559000",
                "text": text,
                "id": f"carrier-{n}",
            },
        )
    time.sleep(2)
    return {"done": done, "running": running, "waiting": waiting, "room": room}


def photograph(api_url: str, key: str, out: Path, made: dict[str, int]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{api_url}/ui/login")
            page.fill("input[name=api_key]", key)
            page.click("button[type=submit] >> nth=-1")
            page.wait_for_url("**/ui/campaigns")

            def shot(path: str, name: str, full: bool = True) -> None:
                page.goto(f"{api_url}{path}")
                page.wait_for_load_state("networkidle")
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=full)
                taken.append(target)

            shot("/ui/campaigns", "campaigns")
            shot(f"/ui/campaigns/{made['running']}", "campaign-detail", full=False)
            shot("/ui/senders", "senders")
            recipients = api_get(api_url, key, f"/api/v1/campaigns/{made['done']}/recipients")
            first = recipients["items"][0]["id"]
            shot(f"/ui/campaigns/{made['done']}/recipients/{first}", "recipient-history")
            shot("/ui/contacts", "contacts")
            shot(f"/ui/rooms/{made['room']}", "room")
            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            phone.context.add_cookies(page.context.cookies())
            phone.goto(f"{api_url}/ui/campaigns/{made['waiting']}")
            phone.wait_for_load_state("networkidle")
            target = out / "campaign-phone.png"
            phone.screenshot(path=str(target), full_page=False)
            taken.append(target)
        finally:
            browser.close()
    return taken


def api_get(api_url: str, key: str, path: str) -> Any:
    return ApiClient(api_url, key).get(path)


def main(argv: list[str]) -> None:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots")
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="relaybird-screens-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'relaybird.db'}"
        app_secret, key = secrets.token_hex(16), "rbk_shots_" + secrets.token_urlsafe(18)
        port = _any_free_port()
        api_url = f"http://127.0.0.1:{port}"
        sim = SimulatorThread(
            SimConfig(
                seed=7,
                app_secret=app_secret,
                webhook_url=f"{api_url}/webhooks/whatsapp",
                not_on_whatsapp_p=0.03,
                delivered_p=0.95,
                read_p=0.6,
                failed_p=0.5,
                sent_delay=0.2,
                delivered_delay=0.6,
                read_delay=1.5,
                batch_max=50,
            )
        ).start()
        settings = Settings(
            database_url=db_url,
            graph_api_url=sim.url,
            whatsapp_app_secret=app_secret,
            direct_webhook_secret=DIRECT_SECRET,
            bootstrap_admin_key=key,
            public_url=api_url,
            event_private_networks="127.0.0.1/32",
        )
        migrate.upgrade(db_url)
        ctx = AppContext.from_settings(settings)
        server = _serve(ctx, port)
        try:
            made = build(ApiClient(api_url, key), SimHandle(sim), api_url)
            for path in photograph(api_url, key, out, made):
                print(f"wrote {path}")
        finally:
            server.stop()
            sim.stop()
            ctx.db.dispose()


if __name__ == "__main__":
    main(sys.argv)
