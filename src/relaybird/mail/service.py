"""Delivering the e-mail outbox: claim (commit), send over SMTP with no transaction open, record
(commit) — the three short transactions of every external call. Without RELAYBIRD_SMTP_URL the
rows stay QUEUED in the built-in outbox (GET /api/v1/emails), so the embedded default needs no
mail server; configuring SMTP later delivers them."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from datetime import timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from relaybird.context import AppContext
from relaybird.db.notify import MAIL, nap
from relaybird.errors import found
from relaybird.kit.pagination import Page, paginate
from relaybird.kit.poison import set_aside
from relaybird.mail import repository
from relaybird.mail.smtp import PermanentMailError, SmtpTarget, build_message, send
from relaybird.models import OutgoingEmail

log = logging.getLogger("relaybird.mail")

MAX_ATTEMPTS = 6
BATCH = 20
# How long a claimed row is reserved for the worker that claimed it (covers a slow server).
LEASE = timedelta(minutes=2)
RETRY_BASE = timedelta(seconds=15)
IDLE_WAIT_SECONDS = 1.0
# Waiting for a busy database to record an outcome: 0.5 s, doubling, at most 5 s apart.
RECORD_RETRY_FIRST = 0.5
RECORD_RETRY_CAP = 5.0


def retry_delay(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min, 4 min between attempts."""
    factor: int = 2 ** max(0, attempts - 1)
    return RETRY_BASE * factor


async def deliver_due(ctx: AppContext) -> int:
    """Send every due QUEUED e-mail once; return how many were attempted. Plain function: the
    loop calls it, and so do tests. Every database step runs in a thread: a writer holding the
    lock (a request, another loop) never freezes the event loop while this waits for it."""
    if not ctx.settings.smtp_url:
        return 0
    target = SmtpTarget.parse(ctx.settings.smtp_url)
    claimed = await asyncio.to_thread(_claim, ctx)
    for email in claimed:
        error, permanent = await _send_one(ctx, target, email)
        await _record(ctx, email, error, permanent)
    return len(claimed)


def _claim(ctx: AppContext) -> list[OutgoingEmail]:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        return repository.claim_due(session, now, now + LEASE, BATCH)


async def _record(
    ctx: AppContext, email: OutgoingEmail, error: str | None, permanent: bool
) -> None:
    """Record the outcome of a send that happened. The outcome exists only here, so a busy
    database ("database is locked") is waited out, not given up: giving up would leave the row
    claimed and mail it again once the lease ends. Past the lease that is no longer safe to
    promise, so the wait stops there (the row is retried: at-least-once)."""
    delay = RECORD_RETRY_FIRST
    waited = 0.0
    while True:
        try:
            await asyncio.to_thread(_record_tx, ctx, email, error, permanent)
            return
        except OperationalError as exc:
            if waited >= LEASE.total_seconds() / 2:
                log.error("e-mail %s: its outcome could not be recorded: %s", email.id, exc)
                return
            log.warning("e-mail %s: recording its outcome waits for the database", email.id)
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, RECORD_RETRY_CAP)


def _record_tx(ctx: AppContext, email: OutgoingEmail, error: str | None, permanent: bool) -> None:
    done = ctx.clock.now()
    with ctx.db.write() as session:
        if error is None:
            repository.mark_sent(session, email.id, done)
            return
        give_up = permanent or email.attempts >= MAX_ATTEMPTS
        retry_at = None if give_up else done + retry_delay(email.attempts)
        repository.mark_failed_attempt(session, email.id, error, retry_at)
    log.warning(
        "e-mail %s attempt %s failed%s: %s",
        email.id,
        email.attempts,
        " (giving up)" if give_up else "",
        error,
    )


async def _send_one(
    ctx: AppContext, target: SmtpTarget, email: OutgoingEmail
) -> tuple[str | None, bool]:
    # The text with its secret (an invitation code) when there is one; ``body`` is redacted.
    text = email.secret_body or email.body
    try:
        message = build_message(ctx.settings.mail_from, email.to_address, email.subject, text)
        await asyncio.to_thread(send, target, message)
    except PermanentMailError as exc:
        return str(exc), True
    except (smtplib.SMTPException, OSError) as exc:
        return f"{type(exc).__name__}: {exc}", False
    except Exception as exc:
        # This e-mail cannot be written or sent (a header with a line break, ...): FAILED with
        # the reason at once; the e-mails behind it go out as usual.
        return set_aside(log, f"e-mail {email.id}", exc), True
    return None, False


async def mail_loop(ctx: AppContext, stop: asyncio.Event) -> None:
    """Deliver queued e-mail until ``stop``; idle for a second when there is nothing due."""
    while not stop.is_set():
        sent = await deliver_due(ctx)
        if sent == 0:
            await nap(stop, MAIL, IDLE_WAIT_SECONDS)


def list_emails(
    session: Session,
    workspace_id: int,
    *,
    to: str | None,
    kind: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[OutgoingEmail]:
    query = repository.list_query(workspace_id, to=to, kind=kind, status=status)
    return paginate(session, query, OutgoingEmail.id, cursor=cursor, limit=limit)


def get_email(session: Session, workspace_id: int, email_id: int) -> OutgoingEmail:
    return found(repository.get(session, workspace_id, email_id), f"e-mail {email_id}")
