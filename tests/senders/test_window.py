"""The moving 24 h window over sender_contacts, on both databases."""

from __future__ import annotations

from datetime import timedelta

from relaybird.config import LimitModel
from relaybird.context import AppContext
from relaybird.senders import window
from relaybird.senders.transitions import MessagingLimit
from tests.factories import KeyMaker
from tests.senders.factories import add_sender, fill


def test_counts_unique_recipients_in_the_moving_window(ctx: AppContext, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    sender = add_sender(ctx, ws)
    t0 = ctx.clock.now()
    fill(ctx, sender.id, 30, t0)
    fill(ctx, sender.id, 20, t0 + timedelta(hours=2))  # the first 20 again: refreshed, not new
    with ctx.db.read() as s:
        u = window.usage(s, [sender.id], MessagingLimit.TIER_50, t0 + timedelta(hours=2))
        assert (u.used, u.unique_7d, u.frees_at) == (30, 30, None)
        later = window.usage(s, [sender.id], MessagingLimit.TIER_50, t0 + timedelta(hours=25))
        assert later.used == 20 and later.unique_7d == 30


def test_full_window_says_when_it_frees(ctx: AppContext, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    sender = add_sender(ctx, ws)
    t0 = ctx.clock.now()
    fill(ctx, sender.id, 30, t0, prefix="+1333")
    fill(ctx, sender.id, 30, t0 + timedelta(hours=3), prefix="+1222")
    with ctx.db.read() as s:
        u = window.usage(s, [sender.id], MessagingLimit.TIER_50, t0 + timedelta(hours=3))
    # 60 counted, limit 50: room again once 11 have left, i.e. when the t0 batch leaves.
    assert u.used == 60 and u.frees_at == t0 + timedelta(hours=24)


def test_portfolio_counts_a_phone_once_across_its_numbers(ctx: AppContext, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    a = add_sender(ctx, ws, model=LimitModel.PER_PORTFOLIO)
    b = add_sender(ctx, ws, model=LimitModel.PER_PORTFOLIO)
    t0 = ctx.clock.now()
    fill(ctx, a.id, 10, t0)
    fill(ctx, b.id, 15, t0 + timedelta(minutes=5))  # 10 of them already reached by a
    with ctx.db.read() as s:
        u = window.usage(s, [a.id, b.id], MessagingLimit.TIER_250, t0 + timedelta(minutes=5))
    assert u.used == 15


def test_open_service_window_is_not_counted(ctx: AppContext, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    sender = add_sender(ctx, ws)
    t0 = ctx.clock.now()
    with ctx.db.write() as s:
        window.open_service_window(s, sender.id, "+14440000000", t0 + timedelta(hours=24))
        window.count_business_initiated(s, sender.id, ["+14440000000", "+14440000001"], t0)
    with ctx.db.read() as s:
        assert window.usage(s, [sender.id], MessagingLimit.TIER_50, t0).used == 1
        assert window.in_service_window(s, sender.id, "+14440000000", t0)
        assert not window.in_service_window(s, sender.id, "+14440000001", t0)


def test_prune_forgets_old_counts(ctx: AppContext, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    sender = add_sender(ctx, ws)
    t0 = ctx.clock.now()
    fill(ctx, sender.id, 5, t0)
    with ctx.db.write() as s:
        assert window.prune(s, t0 + timedelta(days=6)) == 0
        assert window.prune(s, t0 + timedelta(days=7)) == 5
