"""The sender service on both databases: every change through the table, history, notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from relaybird.config import LimitModel
from relaybird.context import AppContext
from relaybird.errors import Conflict, InvalidInput
from relaybird.events.transitions import history
from relaybird.models import OutboxEvent, OutgoingEmail, Sender
from relaybird.providers.port import ErrorKind, PhoneNumberInfo, ProviderError, SenderEffect
from relaybird.senders import lifecycle as lc
from relaybird.senders import service
from relaybird.senders.service import NewSender
from relaybird.senders.transitions import QualityRating
from tests.factories import KeyMaker
from tests.senders.factories import add_admin, add_sender, fill


def _sender(ctx: AppContext, sender_id: int) -> Sender:
    with ctx.db.read() as s:
        row = s.get(Sender, sender_id)
        assert row is not None
        return row


def _emails(ctx: AppContext) -> list[OutgoingEmail]:
    with ctx.db.read() as s:
        return list(s.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)))


def _events(ctx: AppContext, type_: str) -> list[OutboxEvent]:
    with ctx.db.read() as s:
        return list(s.scalars(select(OutboxEvent).where(OutboxEvent.type == type_)))


def test_added_number_is_pending_with_history(ctx: AppContext, keys: KeyMaker) -> None:
    sender = add_sender(ctx, keys.workspace_id(), connected=False)
    assert sender.status == "PENDING" and sender.messaging_limit == "TIER_1K"
    with ctx.db.read() as s:
        rows = history(s, "sender", sender.id, sender.workspace_id)
    assert [(r.from_state, r.to_state, r.event) for r in rows] == [(None, "PENDING", "added")]


def test_duplicate_number_and_portfolio_without_waba_are_refused(
    ctx: AppContext, keys: KeyMaker
) -> None:
    ws = keys.workspace_id()
    sender = add_sender(ctx, ws)
    new = NewSender("x", sender.phone_number_id, "+1", "tok")
    with ctx.db.write() as s, pytest.raises(Conflict):
        service.add_sender(s, ws, new, actor="t", now=ctx.clock.now())
    with ctx.db.write() as s, pytest.raises(InvalidInput):
        service.add_sender(
            s,
            ws,
            NewSender("y", "pn-new", "+1", "tok", limit_model=LimitModel.PER_PORTFOLIO),
            actor="t",
            now=ctx.clock.now(),
        )


def test_limit_reached_restricts_notifies_once_and_releases(
    ctx: AppContext, keys: KeyMaker
) -> None:
    ws = keys.workspace_id()
    add_admin(ctx, ws)
    sender = add_sender(ctx, ws)
    t0 = ctx.clock.now()
    with ctx.db.write() as s:
        service.count_business_initiated(
            s, sender.id, [f"+1444{i:07d}" for i in range(1000)], actor="dispatcher", now=t0
        )
    row = _sender(ctx, sender.id)
    assert row.status == "RESTRICTED" and row.restricted_until == t0 + timedelta(hours=24)
    with ctx.db.read() as s:
        permit = service.business_permit(s, sender.id, t0)
        assert not permit.allowed and permit.until == t0 + timedelta(hours=24)
        assert (
            permit.reason
            == "restricted until 6 Jan 09:00 UTC (1000/1000 unique recipients in 24 h)"
        )
        assert service.reply_permit(s, sender.id).allowed
    mails = _emails(ctx)
    assert [m.kind for m in mails] == ["sender.restricted"]
    assert len(_events(ctx, "sender.restricted")) == 1
    # Counting more (replies do not count; the dispatcher would not send) changes nothing.
    with ctx.db.write() as s:
        service.count_business_initiated(s, sender.id, [], actor="dispatcher", now=t0)
    assert len(_emails(ctx)) == 1
    with ctx.db.write() as s:
        service.settle(s, _sender(ctx, sender.id), actor="scheduler", now=t0 + timedelta(hours=24))
    assert _sender(ctx, sender.id).status == "CONNECTED"
    with ctx.db.read() as s:
        assert service.business_permit(s, sender.id, t0 + timedelta(hours=24)).room == 1000


def test_flag_expiry_drops_a_tier_and_mails_both_changes(ctx: AppContext, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    add_admin(ctx, ws)
    sender = add_sender(ctx, ws)
    t0 = ctx.clock.now()
    with ctx.db.write() as s:
        service.change(
            s, sender.id, lambda v: lc.on_quality(v, QualityRating.LOW, t0), actor="webhook", now=t0
        )
        # A duplicate signal: no change, no second mail.
        service.change(
            s, sender.id, lambda v: lc.on_quality(v, QualityRating.LOW, t0), actor="webhook", now=t0
        )
    assert _sender(ctx, sender.id).status == "FLAGGED"
    with ctx.db.write() as s:
        service.settle(s, _sender(ctx, sender.id), actor="scheduler", now=t0 + timedelta(days=7))
    row = _sender(ctx, sender.id)
    assert (row.status, row.messaging_limit) == ("CONNECTED", "TIER_250")
    assert [m.kind for m in _emails(ctx)] == ["sender.flagged", "sender.limit_changed"]


def test_portfolio_shares_limit_and_restriction(ctx: AppContext, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    a = add_sender(ctx, ws, model=LimitModel.PER_PORTFOLIO)
    b = add_sender(ctx, ws, model=LimitModel.PER_PORTFOLIO)
    t0 = ctx.clock.now()
    with ctx.db.write() as s:
        service.change(
            s,
            a.id,
            lambda v: lc.on_limit(v, lc.read_limit("TIER_2K") or v.limit, "UPGRADE"),
            actor="webhook",
            now=t0,
        )
    assert _sender(ctx, b.id).messaging_limit == "TIER_2K"
    with ctx.db.write() as s:
        service.count_business_initiated(
            s, a.id, [f"+1444{i:07d}" for i in range(2000)], actor="dispatcher", now=t0
        )
    assert _sender(ctx, a.id).status == "RESTRICTED"
    assert _sender(ctx, b.id).status == "RESTRICTED"


def test_sync_reading_moves_pending_to_connected_and_keeps_unknown_strings(
    ctx: AppContext, keys: KeyMaker
) -> None:
    sender = add_sender(ctx, keys.workspace_id(), connected=False)
    now = ctx.clock.now()
    info = PhoneNumberInfo("CONNECTED", "GREEN", "TIER_10K", "HIGH", raw={"id": "x"})
    with ctx.db.write() as s:
        service.apply_reading(s, sender.id, info, actor="sync", now=now)
    row = _sender(ctx, sender.id)
    assert (row.status, row.quality_rating, row.messaging_limit) == (
        "CONNECTED",
        "HIGH",
        "TIER_10K",
    )
    assert row.throughput_mps == 1000 and row.last_synced_at == now
    with ctx.db.write() as s:
        service.apply_reading(
            s, sender.id, PhoneNumberInfo("MIGRATED", None, None, None), actor="sync", now=now
        )
    row = _sender(ctx, sender.id)
    assert row.status == "CONNECTED" and row.provider_status == "MIGRATED"
    with ctx.db.read() as s:
        permit = service.business_permit(s, sender.id, now)
    assert not permit.allowed and "MIGRATED" in (permit.reason or "")


@pytest.mark.parametrize(
    ("effect", "status"),
    [
        (SenderEffect.UNREACHABLE, "OFFLINE"),
        (SenderEffect.RESTRICTED, "RESTRICTED"),
        (SenderEffect.BANNED, "BANNED"),
        (None, "CONNECTED"),
    ],
)
def test_sender_level_send_errors(
    ctx: AppContext, keys: KeyMaker, effect: SenderEffect | None, status: str
) -> None:
    sender = add_sender(ctx, keys.workspace_id())
    error = ProviderError(ErrorKind.SENDER_STOP, 99, "test", sender_effect=effect)
    with ctx.db.write() as s:
        service.on_send_error(s, sender.id, error, actor="dispatcher", now=ctx.clock.now())
    assert _sender(ctx, sender.id).status == status


def test_fill_helper_counts(ctx: AppContext, keys: KeyMaker) -> None:
    sender = add_sender(ctx, keys.workspace_id())
    fill(ctx, sender.id, 3, ctx.clock.now())
    with ctx.db.read() as s:
        assert service.business_permit(s, sender.id, ctx.clock.now()).room == 997


@pytest.mark.parametrize("code", [131031, 368, 131048])
def test_send_error_restriction_holds_until_a_later_reading(
    ctx: AppContext, keys: KeyMaker, code: int
) -> None:
    """Issue 12 item 1: the stored CONNECTED of the last sync is older than the error: it must
    not lift the restriction at once; a sync made after the error does."""
    from relaybird.providers.whatsapp.errors import classify
    from relaybird.senders import jobs as loops

    sender = add_sender(ctx, keys.workspace_id())
    t0 = ctx.clock.now()
    connected = PhoneNumberInfo("CONNECTED", "GREEN", "TIER_1K", "STANDARD")
    with ctx.db.write() as s:
        service.apply_reading(s, sender.id, connected, actor="sync", now=t0)
    t1 = ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    with ctx.db.write() as s:
        service.on_send_error(s, sender.id, classify(code), actor="dispatcher", now=t1)
    row = _sender(ctx, sender.id)
    assert (row.status, row.restricted_by) == ("RESTRICTED", "PROVIDER")
    with ctx.db.read() as s:
        moves = [
            (h.event, h.to_state) for h in history(s, "sender", sender.id, keys.workspace_id())
        ]
    assert moves[-1] == ("provider_restricted", "RESTRICTED")

    ctx.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    assert loops.tick(ctx) == 0  # time alone (and the stale reading) lifts nothing
    assert _sender(ctx, sender.id).status == "RESTRICTED"

    t2 = ctx.clock.now()
    with ctx.db.write() as s:
        service.apply_reading(s, sender.id, connected, actor="sync", now=t2)
    row = _sender(ctx, sender.id)
    assert (row.status, row.restricted_by, row.restricted_until) == ("CONNECTED", None, None)
    with ctx.db.read() as s:
        last = history(s, "sender", sender.id, keys.workspace_id())[-1]
    assert (last.event, last.to_state) == ("restriction_lifted", "CONNECTED")
    assert last.created_at == t2
