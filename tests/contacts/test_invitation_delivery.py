"""An invitation's status follows its e-mail (issue 12 item 10) and its code is never readable
outside that e-mail (issue 11 item 9).

PENDING_CONFIRMATION is the seed's "the invitation e-mail was sent": it is set when the mail
loop has handed the e-mail to SMTP, the expiry counts from then, an e-mail refused for good is
visible on the contact, and without a mail server nothing pretends to have been sent. The API,
the dashboard and the database hold the code only inside the e-mail still to be sent; a resend
produces a fresh working e-mail."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.contacts import invitations, jobs
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.mail import service as mail
from relaybird.models import OutgoingEmail
from tests.contacts.helpers import make_user, payload
from tests.factories import KeyMaker
from tests.fixtures.smtp import SmtpServer

CODE = re.compile(r"/invitations/([A-Z0-9]{12})")
DISPLAYED = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
JSON = {"Accept": "application/json"}
DAY = timedelta(days=1)


def _contact(client: TestClient, h: dict[str, str], network: str = "LINE") -> int:
    owner = make_user(client, h)
    r = client.post("/api/v1/contacts", json=payload(network, owner), headers=h)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _get(client: TestClient, h: dict[str, str], cid: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/contacts/{cid}", headers=h).json()
    return body


def _events(client: TestClient, h: dict[str, str], cid: int) -> list[str]:
    history = client.get(f"/api/v1/contacts/{cid}/history", headers=h).json()
    return [x["event"] for x in history]


def _with_smtp(ctx: AppContext, smtp: SmtpServer) -> None:
    ctx.settings = ctx.settings.model_copy(update={"smtp_url": smtp.url})


def _send_and_settle(ctx: AppContext) -> None:
    asyncio.run(mail.deliver_due(ctx))
    jobs.settle_invitation_deliveries(ctx)


def test_without_a_mail_server_nothing_is_pending_and_nothing_expires(
    ctx: AppContext, client: TestClient, clock: ManualClock, keys: KeyMaker
) -> None:
    assert ctx.settings.smtp_url is None
    h = keys.headers("admin")
    cid = _contact(client, h)
    body = _get(client, h, cid)
    assert body["status"] is None
    invitation = body["invitation"]
    assert (invitation["state"], invitation["delivery"]) == ("unsent", "QUEUED")
    assert invitation["sent_at"] is None and invitation["expires_at"] is None
    assert "RELAYBIRD_SMTP_URL" in invitation["delivery_error"]

    # Weeks later the e-mail has still not left: no PENDING_CONFIRMATION → INVITE_EXPIRED.
    clock.advance(ctx.settings.invite_expiry * 3)
    _send_and_settle(ctx)
    assert jobs.expire_invitations(ctx) == 0
    assert _get(client, h, cid)["status"] is None
    assert _events(client, h, cid) == ["created"]


def test_pending_from_the_sending_and_the_expiry_counts_from_it(
    ctx: AppContext, client: TestClient, clock: ManualClock, keys: KeyMaker, smtp_server: SmtpServer
) -> None:
    h = keys.headers("admin")
    cid = _contact(client, h)
    # The mail server only comes a day after the contact was created.
    clock.advance(DAY)
    _with_smtp(ctx, smtp_server)
    sent_at = clock.now()
    _send_and_settle(ctx)
    assert len(smtp_server.wait_for(1)) == 1
    body = _get(client, h, cid)
    assert body["status"] == "PENDING_CONFIRMATION"
    invitation = body["invitation"]
    assert (invitation["state"], invitation["delivery"]) == ("pending", "SENT")
    assert invitation["sent_at"] == sent_at.isoformat().replace("+00:00", "Z")
    expiry = ctx.settings.invite_expiry
    assert invitation["expires_at"] == (sent_at + expiry).isoformat().replace("+00:00", "Z")
    assert _events(client, h, cid) == ["created", "invitation_sent"]
    # Applying the outcome again changes nothing.
    assert jobs.settle_invitation_deliveries(ctx) == 0

    # A full delay after the creation, but not after the sending: still pending.
    clock.advance(expiry - timedelta(hours=1))
    assert jobs.expire_invitations(ctx) == 0
    assert _get(client, h, cid)["status"] == "PENDING_CONFIRMATION"
    clock.advance(timedelta(hours=1))
    assert jobs.expire_invitations(ctx) == 1
    assert _get(client, h, cid)["status"] == "INVITE_EXPIRED"


def test_a_refused_invitation_is_visible_on_the_contact_and_a_resend_recovers(
    ctx: AppContext, client: TestClient, keys: KeyMaker, smtp_server: SmtpServer
) -> None:
    _with_smtp(ctx, smtp_server)
    h = keys.headers("admin")
    cid = _contact(client, h, "WECHAT")
    smtp_server.fail_next(1, code=550)
    _send_and_settle(ctx)
    body = _get(client, h, cid)
    assert body["status"] is None
    invitation = body["invitation"]
    assert (invitation["state"], invitation["delivery"]) == ("undeliverable", "FAILED")
    assert "550" in invitation["delivery_error"]
    history = client.get(f"/api/v1/contacts/{cid}/history", headers=h).json()
    assert [x["event"] for x in history] == ["created", "invitation_undeliverable"]
    assert "550" in history[-1]["reason"]
    assert jobs.expire_invitations(ctx) == 0

    resent = client.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h)
    assert resent.status_code == 200, resent.text
    assert resent.json()["invitation"]["state"] == "unsent"
    _send_and_settle(ctx)
    assert len(smtp_server.wait_for(1)) == 1
    assert _get(client, h, cid)["status"] == "PENDING_CONFIRMATION"


def test_a_transient_failure_shows_on_the_contact_until_the_retry_sends(
    ctx: AppContext, client: TestClient, clock: ManualClock, keys: KeyMaker, smtp_server: SmtpServer
) -> None:
    _with_smtp(ctx, smtp_server)
    h = keys.headers("admin")
    cid = _contact(client, h)
    smtp_server.fail_next(1, code=451)
    _send_and_settle(ctx)
    invitation = _get(client, h, cid)["invitation"]
    assert (invitation["state"], invitation["delivery"]) == ("unsent", "QUEUED")
    assert "451" in invitation["delivery_error"]
    assert _get(client, h, cid)["status"] is None
    clock.advance(mail.retry_delay(1) + timedelta(seconds=1))
    _send_and_settle(ctx)
    assert _get(client, h, cid)["status"] == "PENDING_CONFIRMATION"


def test_the_code_is_only_in_the_mail_handed_to_smtp(
    ctx: AppContext, client: TestClient, keys: KeyMaker, smtp_server: SmtpServer
) -> None:
    h = keys.headers("admin")
    agent = keys.headers("agent")
    cid = _contact(client, h)

    def readable() -> list[str]:
        """Every text an agent can read about the invitation e-mails, and what the database
        keeps of them once sent."""
        emails = client.get("/api/v1/emails", headers=agent).json()["items"]
        one = [client.get(f"/api/v1/emails/{e['id']}", headers=agent).json() for e in emails]
        return [e["body"] for e in emails] + [e["body"] for e in one]

    for text in readable():
        assert invitations.REDACTED in text
        assert CODE.search(text) is None and DISPLAYED.search(text) is None

    _with_smtp(ctx, smtp_server)
    _send_and_settle(ctx)
    [sent] = smtp_server.wait_for(1)
    content = sent.get_content()
    found = CODE.search(content)
    assert found is not None, content
    code = found.group(1)
    assert invitations.display_code(code) in content
    for text in readable():
        assert code not in text
    # Once sent, the database keeps no copy of the code either.
    with ctx.db.read() as session:
        rows = session.scalars(select(OutgoingEmail)).all()
        assert [r.secret_body for r in rows] == [None]
        assert all(code not in r.body for r in rows)
    # The code that went out works.
    accepted = client.post(f"/invitations/{code}/accept", headers=JSON)
    assert accepted.status_code == 200, accepted.text
    assert _get(client, h, cid)["status"] == "CONFIRMED"


def test_a_resend_produces_a_fresh_working_mail_and_withdraws_the_unsent_one(
    ctx: AppContext, client: TestClient, keys: KeyMaker, smtp_server: SmtpServer
) -> None:
    h = keys.headers("admin")
    cid = _contact(client, h)
    # Resent before the first e-mail could leave (no mail server yet): the first is withdrawn,
    # its code erased; only the second goes out.
    assert client.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h).status_code == 200
    first, second = client.get("/api/v1/emails", headers=h).json()["items"]
    assert (first["status"], second["status"]) == ("CANCELED", "QUEUED")
    with ctx.db.read() as session:
        assert session.get(OutgoingEmail, first["id"]).secret_body is None  # type: ignore[union-attr]
    _with_smtp(ctx, smtp_server)
    _send_and_settle(ctx)
    [one] = smtp_server.wait_for(1)
    found = CODE.search(one.get_content())
    assert found is not None
    old_code = found.group(1)
    assert _get(client, h, cid)["status"] == "PENDING_CONFIRMATION"

    # After a sent one, a resend mails a new working code and the old one stops working.
    assert client.post(f"/api/v1/contacts/{cid}/resend-invite", headers=h).status_code == 200
    _send_and_settle(ctx)
    messages = smtp_server.wait_for(2)
    found = CODE.search(messages[1].get_content())
    assert found is not None and found.group(1) != old_code
    assert client.get(f"/invitations/{old_code}", headers=JSON).status_code == 410
    ok = client.post(f"/invitations/{found.group(1)}/accept", headers=JSON)
    assert ok.status_code == 200
    assert _get(client, h, cid)["status"] == "CONFIRMED"
