"""The pure rules of DESIGN.md §2.1, in both limit models, with time passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from relaybird.config import LimitModel
from relaybird.senders import lifecycle as lc
from relaybird.senders.lifecycle import (
    FLAG_PERIOD,
    WINDOW,
    MovingWindow,
    ProviderReading,
    Restriction,
    SenderView,
    Step,
    Usage,
)
from relaybird.senders.tiers import read_limit, read_quality, tier_above, tier_below
from relaybird.senders.transitions import SENDER, MessagingLimit, QualityRating, SenderStatus

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
S = SenderStatus
Q = QualityRating
L = MessagingLimit
PN, PP = LimitModel.PER_NUMBER, LimitModel.PER_PORTFOLIO
BOTH = pytest.mark.parametrize("model", [PN, PP])
ROOM = Usage(used=0)


def view(model: LimitModel = PN, status: S = S.CONNECTED, **fields: object) -> SenderView:
    base = replace(lc.added(model), status=status)
    return replace(base, **fields)  # type: ignore[arg-type]


def flagged(model: LimitModel, at: datetime = T0) -> SenderView:
    step = lc.on_quality(view(model, quality=Q.HIGH), Q.LOW, at)
    assert step is not None
    return step.after


def full(v: SenderView, at: datetime = T0) -> Usage:
    cap = lc.capacity(v.limit)
    assert cap is not None
    return Usage(used=cap, frees_at=at + timedelta(hours=5))


# --- every row of the SENDER table, produced by the rules -----------------------------------


def _row(step: Step | None) -> tuple[S | None, str | None, S]:
    assert step is not None
    return step.before.status, step.event, step.after.status


def _restricted(model: LimitModel, before: S) -> SenderView:
    v = view(model, before) if before == S.CONNECTED else flagged(model)
    step = lc.after_counted(v, full(v))
    assert step is not None
    return step.after


def _offline(model: LimitModel, before: S) -> SenderView:
    v = (
        _restricted(model, S.CONNECTED)
        if before == S.RESTRICTED
        else (view(model) if before == S.CONNECTED else flagged(model))
    )
    step = lc.on_unreachable(v)
    assert step is not None
    return step.after


ROW_SCENARIOS: dict[tuple[S | None, str, S | None], Callable[[LimitModel], Step | None]] = {
    (S.PENDING, "registered", S.CONNECTED): lambda m: lc.on_registered(view(m, S.PENDING)),
    **{
        (src, "unreachable", S.OFFLINE): (
            lambda m, src=src: lc.on_unreachable(
                view(m)
                if src == S.CONNECTED
                else flagged(m)
                if src == S.FLAGGED
                else _restricted(m, S.CONNECTED)
            )
        )
        for src in (S.CONNECTED, S.FLAGGED, S.RESTRICTED)
    },
    **{
        (S.OFFLINE, "reachable_again", back): (
            lambda m, back=back: lc.on_reachable(_offline(m, back))
        )
        for back in (S.CONNECTED, S.FLAGGED, S.RESTRICTED)
    },
    (S.CONNECTED, "quality_low", S.FLAGGED): lambda m: lc.on_quality(view(m), Q.LOW, T0),
    (S.FLAGGED, "quality_recovered", S.CONNECTED): lambda m: lc.due(
        _recovering(m), T0 + timedelta(days=9), ROOM
    ),
    (S.FLAGGED, "flag_expired", S.CONNECTED): lambda m: lc.due(flagged(m), T0 + FLAG_PERIOD, ROOM),
    (S.CONNECTED, "limit_reached", S.RESTRICTED): lambda m: lc.after_counted(
        view(m), full(view(m))
    ),
    (S.FLAGGED, "limit_reached", S.RESTRICTED): lambda m: lc.after_counted(
        flagged(m), full(flagged(m))
    ),
    (S.RESTRICTED, "window_freed", S.CONNECTED): lambda m: lc.due(
        _restricted(m, S.CONNECTED), T0 + timedelta(hours=5), ROOM
    ),
    (S.RESTRICTED, "window_freed", S.FLAGGED): lambda m: lc.due(
        _restricted(m, S.FLAGGED), T0 + timedelta(hours=5), ROOM
    ),
    **{
        (src, "provider_restricted", S.RESTRICTED): (
            lambda m, src=src: lc.on_provider_restriction(
                view(m) if src == S.CONNECTED else flagged(m), T0 + timedelta(days=1), "test"
            )
        )
        for src in (S.CONNECTED, S.FLAGGED)
    },
    **{
        (S.RESTRICTED, "restriction_lifted", back): (
            lambda m, back=back: lc.due(_provider_restricted(m, back), T0 + timedelta(days=1), ROOM)
        )
        for back in (S.CONNECTED, S.FLAGGED)
    },
    **{
        (src, "banned", S.BANNED): (
            lambda m, src=src: lc.on_banned(_in(m, src), "account disabled")
        )
        for src in (S.PENDING, S.CONNECTED, S.OFFLINE, S.FLAGGED, S.RESTRICTED)
    },
    (S.BANNED, "reinstated", S.CONNECTED): lambda m: lc.on_reinstated(view(m, S.BANNED), "ok"),
}


def _recovering(m: LimitModel) -> SenderView:
    step = lc.on_quality(flagged(m), Q.MEDIUM, T0 + timedelta(days=2))
    assert step is not None and step.after.quality_ok_since == T0 + timedelta(days=2)
    return step.after


def _provider_restricted(m: LimitModel, back: S) -> SenderView:
    v = view(m) if back == S.CONNECTED else flagged(m)
    step = lc.on_provider_restriction(v, T0 + timedelta(days=1), "ACCOUNT_RESTRICTION")
    assert step is not None
    return step.after


def _in(m: LimitModel, status: S) -> SenderView:
    if status == S.OFFLINE:
        return _offline(m, S.CONNECTED)
    if status == S.RESTRICTED:
        return _restricted(m, S.CONNECTED)
    if status == S.FLAGGED:
        return flagged(m)
    return view(m, status)


def test_every_table_row_has_a_scenario() -> None:
    rows = {(m.source, m.event, m.target) for m in SENDER.rows if m.source is not None}
    assert rows == set(ROW_SCENARIOS)


@BOTH
@pytest.mark.parametrize("row", list(ROW_SCENARIOS), ids=lambda r: f"{r[0]}-{r[1]}-{r[2]}")
def test_table_row(model: LimitModel, row: tuple[S, str, S]) -> None:
    step = ROW_SCENARIOS[row](model)
    assert _row(step) == row
    SENDER.resolve(step.before.status, step.event, step.after.status)  # type: ignore[union-attr,arg-type]


# --- the rules, one by one ----------------------------------------------------------------


def test_new_numbers_start_pending_at_the_models_first_tier() -> None:
    assert lc.added(PN) == SenderView(S.PENDING, L.TIER_1K, PN)
    assert lc.added(PP).limit == L.TIER_250
    assert lc.added(PP, L.TIER_10K).limit == L.TIER_10K


def test_flag_expiry_drops_one_tier_per_number_only() -> None:
    pn = lc.due(flagged(PN), T0 + FLAG_PERIOD, ROOM)
    assert pn is not None and pn.after.limit == L.TIER_250 and pn.limit_changed
    pp = lc.due(flagged(PP), T0 + FLAG_PERIOD, ROOM)
    assert pp is not None and pp.after.limit == L.TIER_250 and not pp.limit_changed
    assert pp.after.status == S.CONNECTED and pp.after.flagged_at is None


def test_flag_decision_waits_seven_days() -> None:
    assert lc.due(flagged(PN), T0 + FLAG_PERIOD - timedelta(seconds=1), ROOM) is None


def test_recovery_must_hold_seven_days_even_past_the_flag_deadline() -> None:
    v = _recovering(PN)  # quality MEDIUM since day 2
    assert lc.due(v, T0 + timedelta(days=8), ROOM) is None
    step = lc.due(v, T0 + timedelta(days=9), ROOM)
    assert step is not None and step.event == "quality_recovered" and step.after.limit == L.TIER_1K


def test_quality_falling_again_restarts_the_flag_clock_from_the_first_flag() -> None:
    v = _recovering(PN)
    low = lc.on_quality(v, Q.LOW, T0 + timedelta(days=3))
    assert low is not None and low.after.quality_ok_since is None and low.event is None
    step = lc.due(low.after, T0 + FLAG_PERIOD, ROOM)
    assert step is not None and step.event == "flag_expired" and step.after.limit == L.TIER_250


def test_lowest_tier_stays_on_flag_expiry() -> None:
    step = lc.due(replace(flagged(PN), limit=L.TIER_50), T0 + FLAG_PERIOD, ROOM)
    assert step is not None and step.after.limit == L.TIER_50 and step.event == "flag_expired"


def test_quality_low_while_restricted_flags_the_status_it_returns_to() -> None:
    r = _restricted(PN, S.CONNECTED)
    step = lc.on_quality(r, Q.LOW, T0 + timedelta(hours=1))
    assert step is not None and step.event is None and step.became_flagged
    assert step.after.status_before == S.FLAGGED
    back = lc.due(step.after, T0 + timedelta(hours=6), ROOM)
    assert back is not None and back.after.status == S.FLAGGED


def test_offline_from_restricted_returns_to_restricted_then_releases() -> None:
    off = _offline(PN, S.RESTRICTED)
    back = lc.on_reachable(off)
    assert back is not None and back.after.status == S.RESTRICTED
    freed = lc.due(back.after, T0 + timedelta(hours=6), ROOM)
    assert freed is not None and freed.after.status == S.CONNECTED


@BOTH
def test_restriction_release_waits_for_room(model: LimitModel) -> None:
    r = _restricted(model, S.CONNECTED)
    assert r.restricted_until == T0 + timedelta(hours=5) and r.restricted_by == Restriction.LIMIT
    assert lc.due(r, T0 + timedelta(hours=5), full(r, T0 + timedelta(hours=1))) is not None
    still = lc.due(r, T0 + timedelta(hours=5), full(r, T0 + timedelta(hours=1)))
    assert still is not None and still.event is None  # the release moment moved
    assert lc.due(still.after, T0 + timedelta(hours=5), full(r, T0 + timedelta(hours=1))) is None


def test_a_limit_raise_while_restricted_frees_room() -> None:
    r = _restricted(PN, S.CONNECTED)
    up = lc.on_limit(r, L.TIER_10K, "UPGRADE")
    assert up is not None and up.event is None
    freed = lc.due(up.after, T0 + timedelta(minutes=1), Usage(used=1000))
    assert freed is not None and freed.event == "window_freed"


def test_provider_restriction_without_date_ends_on_a_sendable_sync() -> None:
    r = lc.on_provider_status(view(PN), "RESTRICTED", T0)
    assert r is not None and r.after.status == S.RESTRICTED and r.after.restricted_until is None
    assert lc.due(r.after, T0 + timedelta(days=30), ROOM) is None
    synced = lc.on_provider_status(r.after, "CONNECTED", T0 + timedelta(days=2))
    assert (
        synced is not None and synced.event is None and synced.after.provider_status == "CONNECTED"
    )
    lifted = lc.due(synced.after, T0 + timedelta(days=2), ROOM)
    assert lifted is not None and lifted.event == "restriction_lifted"


def test_provider_restriction_ending_into_a_full_window_stays_restricted_by_the_limit() -> None:
    r = _provider_restricted(PN, S.CONNECTED)
    step = lc.due(r, T0 + timedelta(days=1), full(r, T0 + timedelta(days=1)))
    assert step is not None and step.event is None and step.after.restricted_by == Restriction.LIMIT


def test_downgrade_signal_while_flagged_ends_the_flag() -> None:
    step = lc.on_limit(flagged(PN), L.TIER_250, "DOWNGRADE")
    assert step is not None and step.event == "flag_expired" and step.after.limit == L.TIER_250


def test_unflagged_signal_recovers_with_same_limit() -> None:
    step = lc.on_unflagged(flagged(PN), T0)
    assert step is not None and step.event == "quality_recovered" and step.after.limit == L.TIER_1K
    assert lc.on_unflagged(view(PN), T0) is None


def test_duplicate_signals_change_nothing() -> None:
    f = flagged(PN)
    assert lc.on_quality(f, Q.LOW, T0 + timedelta(hours=1)) is None
    assert lc.on_banned(view(PN, S.BANNED), "again") is None
    assert lc.on_registered(view(PN)) is None
    assert lc.on_limit(view(PN), L.TIER_1K, "same") is None
    assert (
        lc.on_provider_status(replace(view(PN), provider_status="CONNECTED"), "CONNECTED", T0)
        is None
    )


# --- tier upgrades ------------------------------------------------------------------------


def test_per_number_upgrade_needs_twice_the_limit_within_seven_days() -> None:
    v = view(PN, quality=Q.HIGH)
    assert lc.upgrade(v, Usage(used=0, unique_7d=1999)) is None
    step = lc.upgrade(v, Usage(used=0, unique_7d=2000))
    assert step is not None and step.after.limit == L.TIER_10K and step.event is None


def test_per_portfolio_upgrade_needs_half_the_limit_and_good_quality() -> None:
    v = view(PP, quality=Q.HIGH)
    assert lc.upgrade(v, Usage(used=0, unique_7d=124)) is None
    step = lc.upgrade(v, Usage(used=0, unique_7d=125))
    assert step is not None and step.after.limit == L.TIER_2K
    assert lc.upgrade(v, Usage(used=0, unique_7d=125), worst_quality=Q.LOW) is None


@BOTH
def test_no_upgrade_while_flagged_or_at_the_top(model: LimitModel) -> None:
    assert lc.upgrade(flagged(model), Usage(used=0, unique_7d=10**6)) is None
    top = view(model, limit=L.TIER_UNLIMITED)
    assert lc.upgrade(top, Usage(used=0, unique_7d=10**9)) is None


def test_ladders() -> None:
    assert tier_above(L.TIER_1K, PN) == L.TIER_10K
    assert tier_above(L.TIER_1K, PP) == L.TIER_2K  # off the portfolio ladder: the next one on it
    assert tier_below(L.TIER_1K, PN) == L.TIER_250
    assert tier_below(L.TIER_250, PP) is None
    assert tier_above(L.TIER_UNLIMITED, PN) is None


# --- the provider's strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reading"),
    [
        ("CONNECTED", ProviderReading.SENDABLE),
        ("connected", ProviderReading.SENDABLE),
        ("DISCONNECTED", ProviderReading.UNREACHABLE),
        ("BANNED", ProviderReading.BANNED),
        ("DELETED", ProviderReading.BANNED),
        ("RATE_LIMITED", ProviderReading.RESTRICTED),
        ("MIGRATED", ProviderReading.UNKNOWN),
        ("SOMETHING_NEW", ProviderReading.UNKNOWN),
        (None, None),
    ],
)
def test_provider_status_strings(raw: str | None, reading: ProviderReading | None) -> None:
    assert lc.read_provider_status(raw) == reading


def test_unknown_provider_status_moves_nothing_but_blocks_sending() -> None:
    step = lc.on_provider_status(view(PN), "MIGRATED", T0)
    assert step is not None and step.event is None and step.after.status == S.CONNECTED
    assert step.after.provider_status == "MIGRATED"


@pytest.mark.parametrize(
    ("raw", "limit"),
    [
        ("TIER_1K", L.TIER_1K),
        ("tier_2k", L.TIER_2K),
        ("TIER_NOT_SET", None),
        (1000, L.TIER_1K),
        ("100000", L.TIER_100K),
        ("UNLIMITED", L.TIER_UNLIMITED),
        (1234, None),
        (None, None),
    ],
)
def test_read_limit(raw: str | int | None, limit: MessagingLimit | None) -> None:
    assert read_limit(raw) == limit


def test_read_quality() -> None:
    assert read_quality("GREEN") == Q.HIGH
    assert read_quality("RED") == Q.LOW
    assert read_quality("NA") == Q.UNKNOWN
    assert read_quality("PURPLE") is None


# --- the moving window --------------------------------------------------------------------


def test_moving_window_counts_unique_recipients_at_their_latest_send() -> None:
    w = MovingWindow()
    for i in range(3):
        w.record(f"+1555000000{i}", T0 + timedelta(hours=i))
    w.record("+15550000000", T0 + timedelta(hours=10))  # counted again: moves forward
    usage = w.usage(L.TIER_50, T0 + timedelta(hours=10))
    assert usage.used == 3 and usage.unique_7d == 3 and usage.frees_at is None
    later = w.usage(L.TIER_50, T0 + timedelta(hours=26, minutes=30))
    assert later.used == 1  # hours 1 and 2 left the window; hour 10 is still in it


def test_frees_at_is_when_enough_of_the_oldest_leave() -> None:
    stamps = [T0 + timedelta(minutes=m) for m in (0, 10, 20, 30)]
    assert lc.frees_at(stamps[:2], L.TIER_50) is None
    many = [T0 + timedelta(minutes=m) for m in range(60)]
    assert lc.frees_at(many, L.TIER_50) == T0 + timedelta(minutes=10) + WINDOW
    assert lc.frees_at(many, L.TIER_UNLIMITED) is None


def test_offline_number_read_as_flagged_comes_back_then_is_flagged() -> None:
    off = _offline(PN, S.CONNECTED)
    back = lc.on_provider_status(off, "FLAGGED", T0)
    assert back is not None and back.event == "reachable_again" and back.after.status == S.CONNECTED
    flag = lc.on_provider_status(back.after, "FLAGGED", T0)
    assert flag is not None and flag.event == "quality_low"
    assert lc.on_provider_status(flag.after, "FLAGGED", T0) is None


def test_provider_restricted_reading_keeps_our_own_limit_restriction() -> None:
    r = _restricted(PN, S.CONNECTED)
    step = lc.on_provider_status(r, "RESTRICTED", T0)
    assert step is not None and step.event is None
    assert (
        step.after.restricted_by == Restriction.LIMIT and step.after.provider_status == "RESTRICTED"
    )
    freed = lc.due(step.after, T0 + timedelta(hours=5), ROOM)
    assert freed is not None and freed.event == "window_freed"
