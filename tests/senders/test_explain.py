"""Gates (may this number send now, and why not) and the next lifecycle moment in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from relaybird.config import LimitModel
from relaybird.senders import explain
from relaybird.senders import lifecycle as lc
from relaybird.senders.lifecycle import Usage
from relaybird.senders.transitions import MessagingLimit, QualityRating, SenderStatus

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
S = SenderStatus
PN, PP = LimitModel.PER_NUMBER, LimitModel.PER_PORTFOLIO


def view(model: LimitModel = PN, status: S = S.CONNECTED, **fields: object) -> lc.SenderView:
    return replace(replace(lc.added(model), status=status), **fields)  # type: ignore[arg-type]


def test_connected_with_room_may_send() -> None:
    assert explain.gate_business_initiated(view(), Usage(used=999), T0) == explain.Gate(True)
    assert explain.room(view(), Usage(used=990)) == 10
    assert explain.room(view(limit=MessagingLimit.TIER_UNLIMITED), Usage(used=10**7)) is None


@pytest.mark.parametrize("status", [S.PENDING, S.OFFLINE, S.BANNED, S.RESTRICTED])
def test_no_business_initiated_send_from_blocked_statuses(status: S) -> None:
    gate = explain.gate_business_initiated(view(status=status), Usage(used=0), T0)
    assert not gate.allowed and gate.reason


def test_full_window_refuses_until_it_frees() -> None:
    frees = T0 + timedelta(hours=3)
    gate = explain.gate_business_initiated(view(), Usage(used=1000, frees_at=frees), T0)
    assert not gate.allowed and gate.until == frees


def test_replies_still_go_from_a_restricted_number_but_not_from_banned() -> None:
    assert explain.gate_reply(view(status=S.RESTRICTED)).allowed
    assert explain.gate_reply(view(status=S.FLAGGED)).allowed
    assert not explain.gate_reply(view(status=S.BANNED)).allowed
    assert not explain.gate_reply(view(status=S.OFFLINE)).allowed


def test_unknown_provider_status_is_do_not_send_and_says_so() -> None:
    v = view(provider_status="MIGRATED")
    gate = explain.gate_business_initiated(v, Usage(used=0), T0)
    assert (
        not gate.allowed and "MIGRATED" in (gate.reason or "") and "unknown" in (gate.reason or "")
    )
    assert not explain.gate_reply(v).allowed
    moment = explain.next_moment(v, Usage(used=0), T0)
    assert moment is not None and "MIGRATED" in moment.text


def test_restricted_until_release_time() -> None:
    v = view(status=S.RESTRICTED, restricted_by=lc.Restriction.LIMIT)
    usage = Usage(used=1000, frees_at=T0.replace(hour=14, minute=5))
    moment = explain.next_moment(v, usage, T0)
    assert moment is not None and moment.at == usage.frees_at
    assert moment.text == "restricted until 14:05 UTC (1000/1000 unique recipients in 24 h)"
    tomorrow = Usage(used=1000, frees_at=T0 + timedelta(days=1))
    assert "24 Nov 09:00 UTC" in explain.explain_restriction(v, tomorrow, T0)


def test_flagged_explains_the_seven_day_decision_per_model() -> None:
    step = lc.on_quality(view(PN), QualityRating.LOW, datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert step is not None
    moment = explain.next_moment(step.after, Usage(used=0), T0)
    assert moment is not None
    assert moment.text == "flagged: recovers or drops to TIER_250 on 30 Nov"
    pp = lc.on_quality(view(PP), QualityRating.LOW, T0)
    assert pp is not None
    text = explain.next_moment(pp.after, Usage(used=0), T0)
    assert text is not None and text.text == "flagged: back to CONNECTED on 30 Nov, limit kept"


def test_recovering_flag_says_when_it_returns() -> None:
    step = lc.on_quality(view(), QualityRating.LOW, T0)
    assert step is not None
    ok = lc.on_quality(step.after, QualityRating.HIGH, T0 + timedelta(days=1))
    assert ok is not None
    moment = explain.next_moment(ok.after, Usage(used=0), T0)
    assert moment is not None and moment.at == T0 + timedelta(days=8)
    assert moment.text == "flagged: back to CONNECTED on 1 Dec if quality stays HIGH"


def test_connected_shows_the_way_to_the_next_tier() -> None:
    moment = explain.next_moment(view(PN), Usage(used=0, unique_7d=340), T0)
    assert moment is not None and moment.kind == "upgrade"
    assert (
        moment.text == "next tier TIER_10K after 2,000 unique recipients within 7 days (340 so far)"
    )
    top = view(PP, limit=MessagingLimit.TIER_UNLIMITED)
    assert explain.next_moment(top, Usage(used=0), T0) is None


@pytest.mark.parametrize("status", [S.PENDING, S.OFFLINE, S.BANNED])
def test_waiting_statuses_have_a_sentence(status: S) -> None:
    moment = explain.next_moment(view(status=status), Usage(used=0), T0)
    assert moment is not None and moment.at is None and moment.text
