"""Sending room messages: claim → send with no transaction open → record (STYLE.md rule 8).

A message is written PENDING in the transaction that decides it (adding a contact, a user's
post, a Direct inbound). After that transaction commits, the request calls ``deliver`` for the
ids it wrote; the ``rooms.sender`` loop picks up whatever is still PENDING and unclaimed (the
process died between commit and send, or no request context). The claim is a compare-and-set on
``claimed_at`` committed before the provider is called, so a message is sent at most once: a
claimed message whose process died is resolved from its webhooks (callback data ``m:<id>``) or,
after the lease, marked FAILED "outcome unknown" (``reconcile``) — never sent again. A
transient provider error (the provider refused, so nothing went out) puts the message back,
unclaimed, for another attempt after a backoff, up to RELAYBIRD_MAX_ATTEMPTS, as campaign sends
are retried; then it is FAILED.

Where a message goes: WhatsApp through ``ctx.provider``; SMS & Voice Direct through
the workspace's Twilio connector; LINE (push) and WeChat (customer-service message, inside its
48 h window) through their Official Account connectors, to the user id / OpenID learnt when the
invitation was validated; without a connector: FAILED, never pretended sent. WhatsApp Direct
goes through the Cloud API when the owner's virtual number is a sender of the workspace, and is
FAILED with the reason otherwise. ``ctx.direct`` is only ever a stand-in a test put there in
place of the carriers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from relaybird.connectors import service as connectors
from relaybird.contacts import service as contacts
from relaybird.context import AppContext
from relaybird.dispatcher.retry import RetryPolicy
from relaybird.kit.poison import set_aside
from relaybird.models import Contact, Room, RoomMessage
from relaybird.providers.channel import OutboundText
from relaybird.providers.direct import DirectMessage
from relaybird.providers.line.client import LineAccount
from relaybird.providers.port import (
    ErrorKind,
    RecipientEffect,
    SenderCredentials,
    SendResult,
    TemplateMessage,
)
from relaybird.providers.twilio.client import TwilioAccount
from relaybird.providers.wechat.client import WeChatAccount
from relaybird.rooms import consent, messages, outcomes, repository
from relaybird.senders import service as senders

log = logging.getLogger("relaybird.rooms")

_GONE = frozenset({RecipientEffect.OPTED_OUT, RecipientEffect.NOT_FOLLOWING})
OPTED_OUT = "the contact opted out (STOP): nothing is sent until they text START"
WECHAT_WINDOW_CLOSED = (
    "outside WeChat's 48 h customer-service window: the contact has not written, followed or "
    "scanned in the last 48 hours"
)
NOT_A_CLOUD_NUMBER = (
    "the virtual number {phone} is not a WhatsApp Cloud API number of this workspace: add it as "
    "a sender (POST /api/v1/senders) to send from it"
)
NO_CONNECTOR = (
    "no {network} connector in this workspace: connect the provider account "
    "(POST /api/v1/connectors)"
)
# Errors after which the provider sent nothing and a later attempt may succeed.
TRANSIENT = frozenset({ErrorKind.RECIPIENT_TRANSIENT, ErrorKind.SENDER_TRANSIENT})


@dataclass(frozen=True)
class Work:
    message_id: int
    network: str
    to: str
    kind: str
    text: str | None
    template: messages.Template | None
    credentials: SenderCredentials | None = None  # WhatsApp
    from_phone: str | None = None  # Direct: the owner's virtual number
    twilio: TwilioAccount | None = None  # SMS_DIRECT: the workspace's Twilio connector
    line: LineAccount | None = None  # LINE: the workspace's channel (``to`` is the user id)
    wechat: WeChatAccount | None = None  # WECHAT: the Official Account (``to``: the OpenID)
    refusal: str | None = None  # decided at claim time: fail without calling anyone
    deferred: bool = False  # put back unclaimed to wait (the SMS opt-in): not sent now
    opt_in_request: int | None = None  # the opt-in request queued for it, sent in this batch

    @property
    def callback(self) -> str:
        return f"m:{self.message_id}"


def claim(ctx: AppContext, ids: list[int] | None, limit: int = 100) -> list[Work]:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        wanted = ids if ids is not None else repository.unclaimed(session, now, limit)
        taken = repository.claim(session, wanted, now)
        works = [_work_or_refusal(ctx, session, mid, now) for mid in taken]
        # An opt-in request queued just now for a message that must wait goes out in this batch.
        asked = [w.opt_in_request for w in works if w.opt_in_request is not None]
        for mid in repository.claim(session, asked, now):
            works.append(_work_or_refusal(ctx, session, mid, now))
        return [w for w in works if not w.deferred]


def _work_or_refusal(ctx: AppContext, session: Session, message_id: int, now: datetime) -> Work:
    """A message whose stored row cannot be turned into a send is refused with the reason (it
    is FAILED when recorded), never a claim that fails for every message behind it."""
    try:
        with session.begin_nested():
            return _work(ctx, session, message_id, now)
    except Exception as exc:
        reason = set_aside(log, f"room message {message_id}", exc)
        return Work(message_id, "", "", "", None, None, refusal=f"cannot be sent: {reason}")


def _work(ctx: AppContext, session: Session, message_id: int, now: datetime) -> Work:
    msg = repository.message(session, message_id)
    assert msg is not None
    room = repository.room_any(session, msg.room_id)
    contact = (
        contacts.find_contact(session, msg.workspace_id, msg.contact_id) if msg.contact_id else None
    )
    template = (
        messages.Template(
            msg.template_name, msg.template_language or "en", tuple(msg.template_params or ())
        )
        if msg.template_name
        else None
    )
    base = Work(
        message_id=msg.id,
        network=room.network if room else "",
        to=contact.phone if contact and contact.phone else "",
        kind=msg.kind,
        text=msg.text,
        template=template,
    )
    if room is None or contact is None or not contact.phone:
        return replace(base, refusal="the room or contact is gone")
    if room.network == "WHATSAPP":
        sender = repository.sender_any(session, room.sender_id) if room.sender_id else None
        if sender is None:
            return replace(base, refusal="the room has no sender number")
        if template is not None:
            gate = senders.status_gate(sender, now)
        else:
            gate = senders.reply_permit(session, sender.id)
        if not gate.allowed:
            return replace(base, refusal=f"sender cannot send now: {gate.reason}")
        creds = SenderCredentials(sender.phone_number_id, sender.access_token)
        return replace(base, credentials=creds)
    number = repository.virtual_number_of(session, room.owner_user_id, room.network)
    if room.network in ("SMS_DIRECT", "WHATSAPP_DIRECT") and number is None:
        return replace(base, refusal=f"the room owner has no {room.network} virtual number")
    base = replace(base, from_phone=number.phone if number else None)
    if room.network == "SMS_DIRECT" and consent.must_wait(contact, msg.kind):
        return _wait_for_opt_in(ctx, session, msg, room, contact, base, now)
    if room.network == "WHATSAPP_DIRECT" and number is not None:
        # The virtual number is a Cloud API number of the workspace: sent like WhatsApp.
        sender = repository.sender_with_phone(session, room.workspace_id, number.phone)
        if sender is not None:
            gate = senders.reply_permit(session, sender.id)
            if not gate.allowed:
                return replace(base, refusal=f"sender cannot send now: {gate.reason}")
            creds = SenderCredentials(sender.phone_number_id, sender.access_token)
            return replace(base, credentials=creds, template=None)
        if ctx.direct is None:
            return replace(base, refusal=NOT_A_CLOUD_NUMBER.format(phone=number.phone))
    if room.network in ("SMS_DIRECT", "LINE", "WECHAT"):
        connector = connectors.for_network(session, room.workspace_id, room.network)
        if connector is None:
            if ctx.direct is None:  # a test double may stand in for the carrier
                return replace(base, refusal=NO_CONNECTOR.format(network=room.network))
            return base
        box = connectors.secret_box(ctx.settings)
        if room.network == "SMS_DIRECT":
            if contact.unfollowed_at is not None:
                return replace(base, refusal=OPTED_OUT)
            return replace(
                base, twilio=connectors.twilio_account(connector, ctx.settings.public_url, box)
            )
        name = "LINE" if room.network == "LINE" else "WeChat"
        if not contact.network_user_id:
            return replace(base, refusal=f"the contact has not connected on {name} yet")
        if contact.unfollowed_at is not None:
            return replace(base, refusal=f"the contact unfollowed the {name} Official Account")
        if room.network == "LINE":
            return replace(
                base, line=connectors.line_account(connector, box), to=contact.network_user_id
            )
        if not messages.window_open(contact, now):
            # WeChat refuses customer-service messages outside it (45015): not even tried.
            return replace(base, refusal=WECHAT_WINDOW_CLOSED)
        return replace(
            base, wechat=connectors.wechat_account(connector, box), to=contact.network_user_id
        )
    if ctx.direct is None:
        return replace(base, refusal=f"no way to send on {room.network}")
    return base


def _wait_for_opt_in(
    ctx: AppContext,
    session: Session,
    msg: RoomMessage,
    room: Room,
    contact: Contact,
    base: Work,
    now: datetime,
) -> Work:
    """A US number that has not opted in: the message waits, and the first one to wait asks
    (again when the last request failed: the 30 days start over)."""
    ask = consent.needs_request(contact) or repository.last_of_kind_failed(
        session, contact.id, consent.OPT_IN
    )
    if ask:
        contact.sms_opt_in_requested_at = now
    if not consent.hold(msg, contact, now):
        return replace(base, refusal=consent.NO_OPT_IN)
    request = None
    if ask:
        owner = repository.user(session, room.workspace_id, room.owner_user_id)
        text = ctx.settings.sms_opt_in_text.replace("{user}", owner.name if owner else "We")
        row = messages.queue_out(
            session, room, contact, kind=consent.OPT_IN, actor="rooms.sender", now=now, text=text
        )
        request = row.id
    session.flush()
    return replace(base, deferred=True, opt_in_request=request)


async def send(ctx: AppContext, work: Work) -> SendResult | None:
    if work.refusal is not None:
        return None
    if work.credentials is not None:
        provider = ctx.provider
        if work.template is not None:
            return await provider.send_template(
                work.credentials,
                TemplateMessage(
                    to=work.to,
                    template_name=work.template.name,
                    language=work.template.language,
                    body_params=work.template.body_params,
                    callback_data=work.callback,
                ),
            )
        return await provider.send_text(work.credentials, work.to, work.text or "", work.callback)
    if work.wechat is not None:
        return await ctx.wechat.send_text(
            work.wechat, OutboundText(to=work.to, text=work.text or "")
        )
    if work.line is not None:
        return await ctx.line.send_text(
            work.line,
            OutboundText(to=work.to, text=work.text or "", idempotency_key=work.callback),
        )
    if work.twilio is not None:
        return await ctx.twilio.send_text(
            work.twilio,
            OutboundText(
                to=work.to,
                text=work.text or "",
                sender=work.from_phone,
                callback_data=work.callback,
            ),
        )
    double = ctx.direct
    if double is None:  # _work refused every message that would come here
        raise RuntimeError(f"no route for a {work.network} message")
    return await double.send(
        DirectMessage(
            network=work.network,
            from_phone=work.from_phone or "",
            to=work.to,
            text=work.text or "",
            callback_data=work.callback,
        )
    )


def record(ctx: AppContext, results: list[tuple[Work, SendResult | None]]) -> None:
    now = ctx.clock.now()
    with ctx.db.write() as session:
        for work, result in results:
            msg = repository.message(session, work.message_id)
            if msg is None:
                continue
            if result is None:
                messages.mark_failed(
                    session, [msg.id], error_code=None, error_title=work.refusal or "", now=now
                )
                continue
            if result.message_id is not None:
                messages.mark_sent(session, msg, result.message_id, now=now)
                if work.network == "WHATSAPP" and work.template is not None:
                    senders.count_business_initiated(
                        session,
                        _sender_id(session, msg.room_id),
                        [work.to],
                        actor="rooms.sender",
                        now=now,
                    )
                continue
            error = result.error
            assert error is not None
            if error.ambiguous:
                # It may have gone out: leave it claimed; webhooks or reconcile settle it.
                continue
            if error.kind in TRANSIENT:
                # Nothing went out: try again after a backoff, a bounded number of times (the
                # campaign policy). A welcome probe that gives up leaves the contact unprobed;
                # re-adding it to the room probes again.
                policy = RetryPolicy(ctx.settings.max_attempts, ctx.settings.retry_base)
                if policy.attempts_left(msg.attempts):
                    messages.retry_later(
                        session,
                        msg,
                        at=now + policy.delay(msg.attempts),
                        error_code=error.code,
                        error_title=error.title,
                        now=now,
                    )
                    continue
            title = error.title
            if error.kind in TRANSIENT:
                title = f"{title} (gave up after {msg.attempts} attempts)"
            messages.mark_failed(
                session, [msg.id], error_code=error.code, error_title=title, now=now
            )
            if error.recipient_effect in _GONE and msg.contact_id:
                # Twilio 21610 (a STOP we did not see), WeChat 43004 (an unsubscribe we did
                # not see): recorded on the contact, nothing more is tried until they return.
                contacts.mark_unfollowed(session, msg.contact_id, now)
            if error.code == outcomes.NOT_ON_WHATSAPP:
                outcomes.not_on_whatsapp(session, msg, now=now, actor="rooms.sender")


def _sender_id(session: Session, room_id: int) -> int:
    room = repository.room_any(session, room_id)
    assert room is not None and room.sender_id is not None
    return room.sender_id


async def deliver(ctx: AppContext, ids: list[int] | None = None) -> int:
    """Claim and send ``ids`` (or whatever is due); returns how many were claimed."""
    works = await asyncio.to_thread(claim, ctx, ids)
    if not works:
        return 0
    results = await asyncio.gather(*(_send_isolated(ctx, w) for w in works))
    await asyncio.to_thread(record, ctx, results)
    return len(works)


async def deliver_after_commit(ctx: AppContext, ids: list[int]) -> None:
    """A door's send of the messages it just committed: never fails the request (they are
    PENDING, and the ``rooms.sender`` loop sends what this could not)."""
    if not ids:
        return
    try:
        await deliver(ctx, ids)
    except Exception:
        log.exception("sending room messages after commit failed; the loop will retry")


async def _send_isolated(ctx: AppContext, work: Work) -> tuple[Work, SendResult | None]:
    """``send``, with whatever it raises kept to this message: FAILED with the reason (it may
    have gone out, so never retried), the messages sent with it recorded as usual."""
    try:
        return work, await send(ctx, work)
    except Exception as exc:
        reason = set_aside(log, f"room message {work.message_id}", exc)
        return replace(work, refusal=f"unexpected failure: {reason}"), None


async def sender_loop(ctx: AppContext, stop: asyncio.Event, *, poll: float = 0.5) -> None:
    """The safety net behind ``deliver`` after commit: sends what is still PENDING, unclaimed."""
    while not stop.is_set():
        try:
            done = await deliver(ctx)
        except Exception:
            log.exception("room message sender failed; trying again")
            done = 0
        if done:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll)


def reconcile(ctx: AppContext) -> int:
    """Scheduler job: claims older than the lease whose process died → FAILED, outcome unknown
    (at most once: webhooks already settled the ones that reached the provider)."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        stale = repository.stale_claims(session, now - ctx.settings.lease, 500)
        return len(
            messages.mark_failed(
                session,
                stale,
                error_code=None,
                error_title="outcome unknown: the process stopped during the send; not retried",
                now=now,
            )
        )
