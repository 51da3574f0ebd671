"""Issue 11 item 3, the mail loop: an e-mail that cannot be written (a line break in a header)
is FAILED with its reason at once; the e-mail behind it is sent (real SMTP server)."""

from __future__ import annotations

import asyncio

from relaybird.context import AppContext
from relaybird.events.mail import queue_email
from relaybird.mail import service
from relaybird.models import OutgoingEmail
from tests.factories import make_workspace
from tests.fixtures.smtp import SmtpServer


def test_an_unwritable_email_is_failed_and_the_next_one_is_sent(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"smtp_url": smtp_server.url})
    with ctx.db.write() as session:
        ws = make_workspace(session)
        for to, subject in (
            ("ada@example.com", "Hi\r\nBcc: all@example.com"),
            ("bo@example.com", "Hi"),
        ):
            queue_email(
                session,
                workspace_id=ws,
                to=to,
                subject=subject,
                body="Hello",
                kind="notification",
                at=ctx.clock.now(),
            )
    assert asyncio.run(service.deliver_due(ctx)) == 2
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "bo@example.com"
    with ctx.db.read() as session:
        bad, good = session.query(OutgoingEmail).order_by(OutgoingEmail.id).all()
    assert (bad.status, good.status) == ("FAILED", "SENT")
    assert bad.last_error and "ValueError" in bad.last_error
    assert asyncio.run(service.deliver_due(ctx)) == 0  # set aside for good, not retried
    assert len(smtp_server.messages) == 1
