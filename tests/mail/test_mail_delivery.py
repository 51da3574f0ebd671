"""The mail loop against a real SMTP server (aiosmtpd): delivery, retries, the built-in outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.events.mail import queue_email
from relaybird.kit.time import ManualClock
from relaybird.mail import service
from relaybird.models import OutgoingEmail
from tests.factories import KeyMaker
from tests.fixtures.smtp import SmtpServer


def _queue(ctx: AppContext, to: str = "ada@example.com", subject: str = "Hello") -> int:
    ws = KeyMaker(ctx).workspace_id()
    with ctx.db.write() as session:
        queue_email(
            session,
            workspace_id=ws,
            to=to,
            subject=subject,
            body="Your code is ABC",
            kind="invitation",
            at=ctx.clock.now(),
        )
        return ws


def _row(ctx: AppContext) -> OutgoingEmail:
    with ctx.db.read() as session:
        row = session.query(OutgoingEmail).one()
        return row


def _with_smtp(ctx: AppContext, smtp: SmtpServer) -> None:
    ctx.settings = ctx.settings.model_copy(update={"smtp_url": smtp.url})


def test_queued_email_is_delivered_over_smtp(ctx: AppContext, smtp_server: SmtpServer) -> None:
    _with_smtp(ctx, smtp_server)
    _queue(ctx)
    assert asyncio.run(service.deliver_due(ctx)) == 1
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Hello"
    assert "Your code is ABC" in mail.get_content()
    row = _row(ctx)
    assert (row.status, row.attempts) == ("SENT", 1)
    # Nothing left to do: a second pass sends nothing more.
    assert asyncio.run(service.deliver_due(ctx)) == 0
    assert len(smtp_server.messages) == 1


def test_temporary_refusal_is_retried_after_backoff(
    ctx: AppContext, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    _with_smtp(ctx, smtp_server)
    _queue(ctx)
    smtp_server.fail_next(1, code=451)
    asyncio.run(service.deliver_due(ctx))
    row = _row(ctx)
    assert (row.status, row.attempts) == ("QUEUED", 1)
    assert row.last_error and "451" in row.last_error
    # Not due yet: the backoff holds it.
    assert asyncio.run(service.deliver_due(ctx)) == 0
    clock.advance(service.retry_delay(1) + timedelta(seconds=1))
    assert asyncio.run(service.deliver_due(ctx)) == 1
    assert len(smtp_server.wait_for(1)) == 1
    assert _row(ctx).status == "SENT"


def test_permanent_refusal_fails_without_retry(ctx: AppContext, smtp_server: SmtpServer) -> None:
    _with_smtp(ctx, smtp_server)
    _queue(ctx)
    smtp_server.fail_next(1, code=550)
    asyncio.run(service.deliver_due(ctx))
    row = _row(ctx)
    assert (row.status, row.attempts) == ("FAILED", 1)
    assert smtp_server.messages == []


def test_unreachable_server_gives_up_after_the_last_attempt(
    ctx: AppContext, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    _with_smtp(ctx, smtp_server)
    smtp_server.stop()
    _queue(ctx)
    for _ in range(service.MAX_ATTEMPTS):
        assert asyncio.run(service.deliver_due(ctx)) == 1
        clock.advance(timedelta(hours=1))
    row = _row(ctx)
    assert (row.status, row.attempts) == ("FAILED", service.MAX_ATTEMPTS)


def test_a_claimed_row_is_not_claimed_twice_and_returns_after_the_lease(
    ctx: AppContext, clock: ManualClock
) -> None:
    """A worker killed between claim and send leaves the row QUEUED; after the lease it is due."""
    from relaybird.mail import repository

    _queue(ctx)
    now = clock.now()
    with ctx.db.write() as session:
        assert len(repository.claim_due(session, now, now + service.LEASE, 10)) == 1
    with ctx.db.write() as session:
        assert repository.claim_due(session, now, now + service.LEASE, 10) == []
    later = now + service.LEASE
    with ctx.db.write() as session:
        assert len(repository.claim_due(session, later, later + service.LEASE, 10)) == 1


def test_without_smtp_the_outbox_keeps_the_mail_and_the_api_shows_it(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    assert ctx.settings.smtp_url is None
    _queue(ctx, to="a@example.com", subject="one")
    _queue(ctx, to="b@example.com", subject="two")
    assert asyncio.run(service.deliver_due(ctx)) == 0
    headers = keys.headers("agent")
    page = client.get("/api/v1/emails?limit=1", headers=headers).json()
    assert [e["subject"] for e in page["items"]] == ["one"]
    assert page["items"][0]["status"] == "QUEUED"
    rest = client.get(f"/api/v1/emails?cursor={page['next_cursor']}", headers=headers).json()
    assert [e["to_address"] for e in rest["items"]] == ["b@example.com"]
    assert rest["next_cursor"] is None
    only_b = client.get("/api/v1/emails?to=b@example.com", headers=headers).json()
    assert len(only_b["items"]) == 1
    one = client.get(f"/api/v1/emails/{only_b['items'][0]['id']}", headers=headers)
    assert one.json()["body"] == "Your code is ABC"
    assert client.get("/api/v1/emails/999", headers=headers).status_code == 404
    assert client.get("/api/v1/emails", headers=keys.headers("viewer")).status_code == 403
    other = client.get("/api/v1/emails", headers=keys.headers("agent", "other")).json()
    assert other["items"] == []
