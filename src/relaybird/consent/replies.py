"""The ``consent.replies`` loop: sends the confirmations the keyword handler queued, as
free-form text from the number the keyword reached. Claimed (committed) before the call,
recorded after; a claimed confirmation is never sent twice (at most once: a crash between the
call and the record leaves it claimed, unsent in our books)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from relaybird.consent import repository
from relaybird.context import AppContext
from relaybird.models.consent import ReplyStatus
from relaybird.providers.port import SenderCredentials

log = logging.getLogger("relaybird.consent.replies")

BATCH = 50


async def send_due(ctx: AppContext) -> int:
    """Send what is queued; returns how many were claimed."""

    def claim() -> list[tuple[int, SenderCredentials | None, str, str]]:
        with ctx.db.write() as session:
            out = []
            for row in repository.claim_replies(session, ctx.clock.now(), BATCH):
                sender = repository.sender(session, row.sender_id)
                creds = (
                    SenderCredentials(sender.phone_number_id, sender.access_token)
                    if sender is not None
                    else None
                )
                out.append((row.id, creds, row.phone, row.text))
            return out

    work = await asyncio.to_thread(claim)
    if not work:
        return 0
    provider = ctx.provider
    results: list[tuple[int, ReplyStatus, str | None, str | None]] = []
    for reply_id, creds, phone, text in work:
        if creds is None:
            results.append((reply_id, ReplyStatus.FAILED, None, "the sender number is gone"))
            continue
        try:
            result = await provider.send_text(creds, phone, text, f"c:{reply_id}")
        except Exception as exc:  # one bad send never stops the loop
            log.exception("consent reply %s failed", reply_id)
            results.append((reply_id, ReplyStatus.FAILED, None, type(exc).__name__))
            continue
        if result.accepted:
            results.append((reply_id, ReplyStatus.SENT, result.message_id, None))
        else:
            title = result.error.title if result.error else "refused"
            results.append((reply_id, ReplyStatus.FAILED, None, title))

    def record() -> None:
        with ctx.db.write() as session:
            now = ctx.clock.now()
            for reply_id, status, wamid, error in results:
                repository.finish_reply(
                    session, reply_id, status=status, wamid=wamid, error=error, now=now
                )

    await asyncio.to_thread(record)
    return len(work)


async def replies_loop(ctx: AppContext, stop: asyncio.Event, *, poll: float = 0.5) -> None:
    while not stop.is_set():
        try:
            done = await send_due(ctx)
        except Exception:
            log.exception("consent replies failed; trying again")
            done = 0
        if done:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll)
