"""Send windows end to end: the real dispatcher loop against the simulator, on the test's manual
clock (the simulator's clock moved in step), recipients in three time zones each sent only
inside its own window; the simulator's request log says when."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from relaybird.campaigns import service
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import Sender
from tests.dispatcher.harness import campaign, campaign_with, run_until, sim_sender, states
from tests.fixtures.simulator import SimHandle

PRAGUE = ["+420601123456", "+420601123457"]
NEW_YORK = ["+12125550001", "+12125550002"]
RUSSIA = ["+79123456789"]  # a mobile phonenumbers places in 16 zones: the window's own zone
WINDOW = {
    "start": "09:00",
    "end": "20:00",
    "days": ["MON", "TUE", "WED", "THU", "FRI", "SAT"],
    "time_zone": "Asia/Tokyo",
    "overnight": False,
}
LOCAL = {
    **{p.lstrip("+"): "Europe/Prague" for p in PRAGUE},
    **{p.lstrip("+"): "America/New_York" for p in NEW_YORK},
    **{p.lstrip("+"): "Asia/Tokyo" for p in RUSSIA},
}


def test_each_recipient_is_sent_only_inside_its_own_window(
    ctx: AppContext, simulator: SimHandle, clock: ManualClock
) -> None:
    # Monday 2026-01-05 09:00 UTC (both clocks): Prague 10:00 and Tokyo 18:00 are open,
    # New York 04:00 is not.
    assert clock.now().isoformat() == "2026-01-05T09:00:00+00:00"
    sender = sim_sender(ctx, simulator)
    cid = campaign_with(ctx, sender, PRAGUE + NEW_YORK + RUSSIA, started=False)
    with ctx.db.write() as s:
        ws = s.get(Sender, sender).workspace_id  # type: ignore[union-attr]
        service.set_window(s, ws, cid, WINDOW, at=clock.now())
        service.start(s, ws, cid, actor="test", at=clock.now())

    run_until(ctx, lambda: states(ctx, cid).get("SENT", 0) == 3)
    # Keep the loop running a while: New York stays INITIAL, the campaign RUNNING and waiting.
    until = time.monotonic() + 1.5
    run_until(ctx, lambda: time.monotonic() > until)
    assert states(ctx, cid) == {"SENT": 3, "INITIAL": 2}
    assert campaign(ctx, cid).state == "RUNNING"
    with ctx.db.read() as s:
        summary = service.summary(s, ws, cid, now=clock.now())
    assert summary.waiting_reason is not None
    assert summary.waiting_reason.startswith("waiting for send window")
    assert summary.next_window_at == datetime(2026, 1, 5, 14, 0, tzinfo=ZoneInfo("UTC"))

    # 13:59 UTC: still 08:59 in New York.
    step = timedelta(hours=4, minutes=59)
    clock.advance(step)
    simulator.advance(step.total_seconds())
    until = time.monotonic() + 1.0
    run_until(ctx, lambda: time.monotonic() > until)
    assert states(ctx, cid) == {"SENT": 3, "INITIAL": 2}

    # 14:00:30 UTC: 09:00:30 in New York.
    step = timedelta(minutes=1, seconds=30)
    clock.advance(step)
    simulator.advance(step.total_seconds())
    run_until(ctx, lambda: campaign(ctx, cid).state == "COMPLETED")
    assert states(ctx, cid) == {"SENT": 5}

    sent = simulator.sent()
    assert sorted(r["to"] for r in sent) == sorted(LOCAL)
    for record in sent:
        local = datetime.fromisoformat(record["at"]).astimezone(ZoneInfo(LOCAL[record["to"]]))
        assert local.weekday() < 6 and 9 <= local.hour < 20, (record["to"], local)
    by_to = {r["to"]: datetime.fromisoformat(r["at"]) for r in sent}
    assert all(by_to[p.lstrip("+")].hour == 9 for p in PRAGUE + RUSSIA)  # UTC, at once
    assert all(by_to[p.lstrip("+")].hour == 14 for p in NEW_YORK)  # UTC, when it opened
