"""The simulator plays Meta: its lifecycle signals (quality, tier, account) reach our live server
as signed webhooks, the applier feeds them to the sender lifecycle, and admins get the notices
over real SMTP (aiosmtpd) — once per change."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from relaybird.config import LimitModel
from relaybird.context import AppContext
from relaybird.models import Sender
from relaybird.senders import lifecycle as lc
from relaybird.senders.transitions import MessagingLimit
from relaybird.simulator.numbers import NumberState
from tests.conftest import make_settings
from tests.factories import KeyMaker
from tests.fixtures.live_server import LiveServer, start_live_server
from tests.fixtures.simulator import SimHandle
from tests.fixtures.smtp import SmtpServer
from tests.senders.factories import add_admin, add_sender

WABA = "waba-sim-1"
DISPLAY = "15550100200"


@pytest.fixture
def live(ctx: AppContext, smtp_server: SmtpServer) -> Iterator[LiveServer]:
    loops_ctx = dataclasses.replace(
        ctx,
        settings=make_settings(ctx.settings.database_url, smtp_url=smtp_server.url),
        _locals={},
    )
    server = start_live_server(loops_ctx, loops=True)
    yield server
    server.stop()


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


@pytest.mark.parametrize("model", [LimitModel.PER_NUMBER, LimitModel.PER_PORTFOLIO])
def test_simulator_signals_drive_the_lifecycle(
    ctx: AppContext,
    keys: KeyMaker,
    simulator: SimHandle,
    smtp_server: SmtpServer,
    live: LiveServer,
    model: LimitModel,
) -> None:
    ws = keys.workspace_id()
    add_admin(ctx, ws, "ops@example.test")
    sender = add_sender(ctx, ws, model=model, waba_id=WABA)
    with ctx.db.write() as s:
        s.get(Sender, sender.id).display_phone_number = "+" + DISPLAY  # type: ignore[union-attr]
        pnid, token, limit = sender.phone_number_id, sender.access_token, sender.messaging_limit
    simulator.add_number(
        pnid, token, waba_id=WABA, display_phone_number=DISPLAY, limit_model=model.value, tier=limit
    )
    simulator.configure(webhook_url=live.whatsapp_webhook_url)

    def row() -> Sender:
        with ctx.db.read() as s:
            found = s.get(Sender, sender.id)
            assert found is not None
            return found

    mails = 0
    if model == LimitModel.PER_NUMBER:
        simulator.set_quality(pnid, "RED")  # Meta: FLAGGED
        _wait(lambda: row().status == "FLAGGED")
        mails += 1
        smtp_server.wait_for(mails)
        assert "FLAGGED" in str(smtp_server.messages[-1]["Subject"])
        simulator.set_quality(pnid, "GREEN")
        assert row().status == "FLAGGED"  # recovery must hold 7 days first
        simulator.advance(7 * 86400)  # the simulator's clock: Meta says UNFLAGGED
        _wait(lambda: row().status == "CONNECTED")
        upgraded = "TIER_10K"
    else:
        # Since 2025-10 quality neither flags nor downgrades: the simulator says nothing.
        simulator.set_quality(pnid, "RED")
        upgraded = "TIER_2K"

    simulator.set_tier(pnid, upgraded)  # UPGRADE / business_capability_update
    _wait(lambda: row().messaging_limit == upgraded)
    mails += 1
    smtp_server.wait_for(mails)
    assert upgraded in str(smtp_server.messages[-1]["Subject"])

    simulator.account_event(pnid, event="DISABLED_UPDATE", ban_state="DISABLE")
    _wait(lambda: row().status == "BANNED")
    simulator.account_event(pnid, event="DISABLED_UPDATE", ban_state="REINSTATE")
    _wait(lambda: row().status == "CONNECTED")
    assert row().status == "CONNECTED"
    assert len(smtp_server.messages) == mails  # nothing mailed twice
    assert all(m["To"] == "ops@example.test" for m in smtp_server.messages)


@pytest.mark.parametrize(
    ("model", "tier", "reached", "upgraded"),
    [
        (LimitModel.PER_NUMBER, "TIER_1K", 2000, "TIER_10K"),
        (LimitModel.PER_PORTFOLIO, "TIER_250", 125, "TIER_2K"),
    ],
)
def test_the_simulator_grants_upgrades_by_the_shared_rules(
    model: LimitModel, tier: str, reached: int, upgraded: str
) -> None:
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    number = NumberState("1", "t", "15550001", "w", limit_model=model.value, tier=tier)
    for i in range(reached - 1):
        assert number.check_template(f"+1444{i:07d}", now + timedelta(days=i // 1000)) is None
    later = now + timedelta(days=5)
    assert number.tick(later) == []  # one short of the threshold
    assert number.check_template("+15559999999", later) is None
    [signal] = number.tick(later)
    assert number.tier == upgraded
    assert lc.read_limit(
        signal.value.get("current_limit")
        or signal.value.get("max_daily_conversations_per_business")
    ) == MessagingLimit(upgraded)
