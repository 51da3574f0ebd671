"""Webhooks that change consent: keywords, Meta's marketing stop/resume, 131050 — each through
the registered inbox handlers, replays changing nothing more."""

from __future__ import annotations

from sqlalchemy import select

from relaybird.consent import service
from relaybird.consent.schemas import Source, SuppressionIn
from relaybird.context import AppContext
from relaybird.models import ConsentReply, OutboxEvent, Suppression
from tests.consent.helpers import apply_body, fixture, inbound_text
from tests.factories import make_workspace, new_sender

PNID = "100000000000002"


def _rows(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.db.read() as session:
        return [(s.phone, s.source) for s in session.scalars(select(Suppression))]


def _replies(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.db.read() as session:
        return [(r.phone, r.text) for r in session.scalars(select(ConsentReply))]


def test_user_preferences_stop_suppresses_and_resume_lifts(ctx: AppContext) -> None:
    new_sender(ctx, phone_number_id=PNID)
    stop = fixture("user-preferences-stop--meta-doc-adapted.json", pnid=PNID)
    apply_body(ctx, stop)
    apply_body(ctx, stop)  # a replay
    assert _rows(ctx) == [("+15550000101", "user_preferences")]
    resume = fixture("user-preferences-resume--pywa.json", pnid=PNID, wa_id="15550000101")
    apply_body(ctx, resume)
    assert _rows(ctx) == []
    with ctx.db.read() as session:
        kinds = [e.type for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
    assert kinds == ["suppression.added", "suppression.removed"]


def test_a_131050_failure_suppresses(ctx: AppContext) -> None:
    new_sender(ctx, phone_number_id=PNID)
    apply_body(ctx, fixture("status-failed-131050--check-api.json", pnid=PNID))
    assert _rows(ctx) == [("+15550000102", "error_131050")]


def test_a_keyword_suppresses_and_is_confirmed_once(ctx: AppContext) -> None:
    new_sender(ctx, phone_number_id=PNID)
    ts = int(ctx.clock.now().timestamp())
    body = inbound_text(PNID, "12125550100", " Stop! ", "wamid.in-1", ts)
    apply_body(ctx, body)
    apply_body(ctx, body)
    assert _rows(ctx) == [("+12125550100", "keyword")]
    assert _replies(ctx) == [("+12125550100", ctx.settings.consent_opt_out_reply)]
    # A sentence is a message, not a keyword.
    apply_body(ctx, inbound_text(PNID, "12125550101", "please stop", "wamid.in-2", ts))
    assert len(_rows(ctx)) == 1
    # START lifts it and is confirmed too.
    apply_body(ctx, inbound_text(PNID, "12125550100", "start", "wamid.in-3", ts))
    assert _rows(ctx) == []
    assert _replies(ctx)[-1] == ("+12125550100", ctx.settings.consent_opt_in_reply)


def test_a_quick_reply_unsubscribe_button_is_a_keyword(ctx: AppContext) -> None:
    new_sender(ctx, phone_number_id=PNID)
    apply_body(ctx, fixture("inbound-quick-reply-button-unsubscribe--meta-doc.json", pnid=PNID))
    assert _rows(ctx) == [("+15550000101", "keyword")]


def test_an_old_keyword_is_not_answered(ctx: AppContext) -> None:
    """A keyword applied more than 24 h after it was written (a replay) suppresses, but no
    free-form confirmation goes out of the window."""
    new_sender(ctx, phone_number_id=PNID)
    ts = int(ctx.clock.now().timestamp()) - 25 * 3600
    apply_body(ctx, inbound_text(PNID, "12125550100", "STOP", "wamid.old", ts))
    assert _rows(ctx) == [("+12125550100", "keyword")]
    assert _replies(ctx) == []


def test_start_never_lifts_an_operators_suppression(ctx: AppContext) -> None:
    new_sender(ctx, phone_number_id=PNID)
    with ctx.db.write() as session:
        ws = make_workspace(session)
        service.add(
            session,
            ws,
            SuppressionIn(phone="+12125550100", source=Source.MANUAL),
            region="US",
            actor="test",
            now=ctx.clock.now(),
        )
    ts = int(ctx.clock.now().timestamp())
    apply_body(ctx, inbound_text(PNID, "12125550100", "START", "wamid.s", ts))
    assert _rows(ctx) == [("+12125550100", "manual")]
