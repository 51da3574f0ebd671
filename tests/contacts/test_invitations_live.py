"""Invitations end to end over real HTTP: our server (with its loops) sends the e-mail to a real
SMTP server (aiosmtpd); the link is read from the received mail and followed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest

from relaybird.contacts import jobs
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from tests.contacts.helpers import PHONES, make_user, payload
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer
from tests.fixtures.smtp import SmtpServer
from tests.rooms.helpers import wait_for

LINK = re.compile(r"(https?://\S+/invitations/([A-Z0-9]+))")
JSON = {"Accept": "application/json"}


@pytest.fixture
def served(
    ctx: AppContext, live_server_factory: Callable[..., LiveServer], smtp_server: SmtpServer
) -> Iterator[tuple[LiveServer, httpx.Client]]:
    server = live_server_factory(loops=True)
    # Routes and the mail loop read the settings per request/pass: links point at this server.
    ctx.settings = ctx.settings.model_copy(
        update={
            "smtp_url": smtp_server.url,
            "public_url": server.url,
            "invite_expiry": timedelta(seconds=2),
        }
    )
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield server, http


def _link_from_mail(smtp: SmtpServer, count: int, to: str) -> tuple[str, str]:
    mail = smtp.wait_for(count)[count - 1]
    assert mail["To"] == to
    found = LINK.search(mail.get_content())
    assert found is not None, mail.get_content()
    return found.group(1), found.group(2)


def _status(http: httpx.Client, h: dict[str, str], cid: int) -> str | None:
    r = http.get(f"/api/v1/contacts/{cid}", headers=h)
    assert r.status_code == 200
    status: str | None = r.json()["status"]
    return status


def _sent(
    ctx: AppContext, http: httpx.Client, h: dict[str, str], cid: int, status: str
) -> dict[str, Any]:
    """Wait until the latest invitation's e-mail is recorded sent and the contact moved (the
    SMTP server may hold the message a moment before the mail loop records it; the scheduler's
    job, or this call, applies it)."""

    def settled() -> dict[str, Any] | None:
        jobs.settle_invitation_deliveries(ctx)
        body: dict[str, Any] = http.get(f"/api/v1/contacts/{cid}", headers=h).json()
        done = body["status"] == status and body["invitation"]["state"] == "pending"
        return body if done else None

    found: dict[str, Any] = wait_for(settled)
    return found


def test_line_invitation_mailed_followed_and_validated(
    served: tuple[LiveServer, httpx.Client],
    ctx: AppContext,
    keys: KeyMaker,
    smtp_server: SmtpServer,
) -> None:
    _, http = served
    h = keys.headers("agent")
    owner = make_user(http, keys.headers("admin"))
    r = http.post("/api/v1/contacts", json=payload("LINE", owner), headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    # No status until the e-mail is sent: PENDING_CONFIRMATION means "the e-mail was sent".
    assert r.json()["status"] is None
    assert r.json()["invitation"]["state"] == "unsent"
    url, code = _link_from_mail(smtp_server, 1, "ada@example.com")
    assert "Grace Agent invites you to connect on LINE" in smtp_server.messages[0]["Subject"]
    _sent(ctx, http, h, cid, "PENDING_CONFIRMATION")

    # Following the link shows the invitation and changes nothing (link scanners fetch it too).
    page = http.get(url)
    assert page.status_code == 200
    assert "Validate my invitation" in page.text
    assert _status(http, h, cid) == "PENDING_CONFIRMATION"

    accepted = http.post(f"/invitations/{code}/accept")
    assert accepted.status_code == 200
    assert "validated" in accepted.text
    assert _status(http, h, cid) == "CONFIRMED"
    # Again: same answer, nothing more recorded.
    again = http.post(f"/invitations/{code}/accept", headers=JSON)
    assert again.status_code == 200
    assert again.json()["state"] == "accepted"
    history = http.get(f"/api/v1/contacts/{cid}/history", headers=h).json()
    assert [(x["to_state"], x["event"]) for x in history] == [
        (None, "created"),
        ("PENDING_CONFIRMATION", "invitation_sent"),
        ("CONFIRMED", "invitation_accepted"),
    ]
    assert history[2]["actor"].startswith("invitation:")
    # Once validated, there is nothing to resend.
    resend = http.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h)
    assert resend.status_code == 409
    assert resend.json()["code"] == "invite_already_confirmed"
    assert len(smtp_server.messages) == 1


def test_wechat_validated_contact_has_no_status(
    served: tuple[LiveServer, httpx.Client], keys: KeyMaker, smtp_server: SmtpServer
) -> None:
    _, http = served
    h = keys.headers("agent")
    owner = make_user(http, keys.headers("admin"))
    cid = http.post("/api/v1/contacts", json=payload("WECHAT", owner), headers=h).json()["id"]
    _, code = _link_from_mail(smtp_server, 1, "ada@example.com")
    r = http.post(f"/invitations/{code}/accept", headers=JSON)
    assert r.status_code == 200
    assert r.json()["status"] is None
    assert _status(http, h, cid) is None
    resend = http.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h)
    assert resend.status_code == 409


def test_expiry_resend_and_superseded_code(
    served: tuple[LiveServer, httpx.Client],
    ctx: AppContext,
    clock: ManualClock,
    keys: KeyMaker,
    smtp_server: SmtpServer,
) -> None:
    _, http = served
    h = keys.headers("agent")
    owner = make_user(http, keys.headers("admin"))
    cid = http.post("/api/v1/contacts", json=payload("LINE", owner), headers=h).json()["id"]
    first_url, first = _link_from_mail(smtp_server, 1, "ada@example.com")
    _sent(ctx, http, h, cid, "PENDING_CONFIRMATION")

    # RELAYBIRD_INVITE_EXPIRY=2s from the sending: past it, the code is refused even before the
    # timer ran, and refusing changes nothing.
    clock.advance(timedelta(seconds=3))
    late = http.post(f"/invitations/{first}/accept")
    assert late.status_code == 410
    assert "expired" in late.text
    # (the server runs no scheduler under the test's ManualClock: the timer runs below)
    assert _status(http, h, cid) == "PENDING_CONFIRMATION"
    history = http.get(f"/api/v1/contacts/{cid}/history", headers=h).json()
    assert "invitation_accepted" not in [x["event"] for x in history]

    # The timer job expires it once (a second run, or another worker, finds nothing to do).
    assert jobs.expire_invitations(ctx) == 1
    assert jobs.expire_invitations(ctx) == 0
    assert _status(http, h, cid) == "INVITE_EXPIRED"
    body = http.get(f"/api/v1/contacts/{cid}", headers=h).json()
    assert body["invitation"]["state"] == "expired"

    # A resend queues a new e-mail; the status follows it: PENDING_CONFIRMATION once sent.
    resent = http.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h)
    assert resent.status_code == 200, resent.text
    assert resent.json()["invitation"]["state"] in ("unsent", "pending")
    second_url, second = _link_from_mail(smtp_server, 2, "ada@example.com")
    assert second != first
    _sent(ctx, http, h, cid, "PENDING_CONFIRMATION")

    # Resend again before validating: the second code is superseded by a third.
    http.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h).raise_for_status()
    _, third = _link_from_mail(smtp_server, 3, "ada@example.com")
    old = http.get(second_url, headers=JSON)
    assert old.status_code == 410
    assert old.json()["code"] == "invitation_superseded"
    assert http.get(first_url).status_code == 410
    _sent(ctx, http, h, cid, "PENDING_CONFIRMATION")

    # The counter restarted with the sending: two seconds later than the first expiry, valid.
    clock.advance(timedelta(seconds=1))
    assert jobs.expire_invitations(ctx) == 0
    ok = http.post(f"/invitations/{third}/accept", headers=JSON)
    assert ok.status_code == 200
    assert _status(http, h, cid) == "CONFIRMED"
    events = [x["event"] for x in http.get(f"/api/v1/contacts/{cid}/history", headers=h).json()]
    assert events == [
        "created",
        "invitation_sent",
        "invitation_expired",
        "invitation_sent",
        "invitation_sent",
        "invitation_accepted",
    ]


def test_whatsapp_invitation_on_request_and_its_expiry(
    served: tuple[LiveServer, httpx.Client],
    ctx: AppContext,
    clock: ManualClock,
    keys: KeyMaker,
    smtp_server: SmtpServer,
) -> None:
    _, http = served
    h = keys.headers("agent")
    owner = make_user(http, keys.headers("admin"))
    body = payload("WHATSAPP", owner, phone=PHONES[2], invite=True)
    cid = http.post("/api/v1/contacts", json=body, headers=h).json()["id"]
    _link_from_mail(smtp_server, 1, "ada@example.com")
    _sent(ctx, http, h, cid, "PENDING_CONFIRMATION")
    clock.advance(timedelta(seconds=3))
    assert jobs.expire_invitations(ctx) == 1  # the test runs the timer (ManualClock)
    # WhatsApp has no INVITE_EXPIRED: back to no status; a resend invites again.
    assert _status(http, h, cid) is None
    http.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h).raise_for_status()
    _, code = _link_from_mail(smtp_server, 2, "ada@example.com")
    assert http.post(f"/invitations/{code}/accept", headers=JSON).status_code == 200
    assert _status(http, h, cid) == "CONFIRMED"


def test_unknown_code_gets_a_clear_page_and_changes_nothing(
    served: tuple[LiveServer, httpx.Client], keys: KeyMaker
) -> None:
    _, http = served
    h = keys.headers("agent")
    owner = make_user(http, keys.headers("admin"))
    cid = http.post("/api/v1/contacts", json=payload("LINE", owner), headers=h).json()["id"]
    for path in ("/invitations/ABCDEFGHJKMN", "/invitations/not-a-code"):
        page = http.get(path)
        assert page.status_code == 404
        assert "unknown" in page.text
        assert page.headers["content-type"].startswith("text/html")
        posted = http.post(path + "/accept", headers=JSON)
        assert posted.status_code == 404
        assert posted.json()["code"] == "invitation_not_found"
    assert _status(http, h, cid) in (None, "PENDING_CONFIRMATION")
    assert len(http.get(f"/api/v1/contacts/{cid}/history", headers=h).json()) <= 2
