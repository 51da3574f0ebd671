"""Every row of the sender table (DESIGN.md §2.1), in both limit models, driven by real signals:
signed webhooks through the real endpoint and applier, syncs through the real adapter against the
simulator, counted sends, and the scheduler's tick on a fast (manual) clock. At the end the
recorded history must hold every row of the table, and nothing else."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.config import LimitModel
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import Sender, Transition
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.senders import jobs as loops
from relaybird.senders import service
from relaybird.senders.tiers import INITIAL_LIMIT, capacity
from relaybird.senders.transitions import SENDER, MessagingLimit
from tests.factories import KeyMaker
from tests.fixtures.simulator import SimHandle
from tests.senders.factories import add_admin
from tests.senders.webhooks import WABA, body, post, quality_body

TOKEN = "EAAG-row-token"


class Driver:
    """One number, known to us (via the API) and to the simulator (playing Meta)."""

    def __init__(
        self,
        client: TestClient,
        ctx: AppContext,
        clock: ManualClock,
        sim: SimHandle,
        keys: KeyMaker,
        model: LimitModel,
        pnid: str,
        waba: str,
    ) -> None:
        self.client, self.ctx, self.clock, self.sim = client, ctx, clock, sim
        self.headers = keys.headers("admin")
        self.pnid, self.waba, self.rounds = pnid, waba, 0
        response = client.post(
            "/api/v1/senders",
            json={
                "name": f"line {pnid}",
                "phone_number_id": pnid,
                "display_phone_number": "+1 555-078-3881",
                "access_token": TOKEN,
                "waba_id": waba,
                "limit_model": model.value,
            },
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        self.id = int(response.json()["id"])
        self.tier = INITIAL_LIMIT[model].value
        sim.add_number(
            pnid, TOKEN, pending=True, waba_id=waba, limit_model=model.value, tier=self.tier
        )

    # --- reads ---
    @property
    def row(self) -> Sender:
        with self.ctx.db.read() as s:
            found = s.get(Sender, self.id)
            assert found is not None
            return found

    @property
    def status(self) -> str:
        return self.row.status

    # --- the provider's side ---
    def sync(self) -> None:
        response = self.client.post(f"/api/v1/senders/{self.id}/sync", headers=self.headers)
        assert response.status_code == 200, response.text

    def registered(self) -> None:
        self.sim.add_number(
            self.pnid, TOKEN, waba_id=self.waba, limit_model=self.row.limit_model, tier=self.tier
        )
        self.sync()

    def provider_tier(self, tier: str) -> None:
        """What the provider's limit is (read by later syncs)."""
        self.tier = tier
        self.sim.set_tier(self.pnid, tier)

    def offline(self, value: bool) -> None:
        self.sim.account_event(self.pnid, event="OFFLINE", offline=value)
        self.sync()

    def webhook(self, data: dict[str, Any]) -> None:
        data = copy.deepcopy(data)
        # Meta stamps each delivery; distinct bodies are distinct rows in our inbox.
        self.clock.advance(timedelta(seconds=1))
        for entry in data["entry"]:
            entry["id"] = self.waba
            entry["time"] = int(self.clock.now().timestamp())
        post(self.client, self.ctx, data)

    def flagged(self) -> None:
        self.webhook(quality_body("FLAGGED"))

    def account(self, **value: Any) -> None:
        data = body("account-update-disabled-update--pywa")
        data["entry"][0]["changes"][0]["value"] = value
        self.webhook(data)

    def ban(self, state: str = "DISABLE") -> None:
        self.account(event="DISABLED_UPDATE", ban_info={"waba_ban_state": state})

    def provider_restriction(self) -> None:
        expires = int((self.clock.now() + timedelta(hours=1)).timestamp())
        self.account(
            event="ACCOUNT_RESTRICTION",
            restriction_info=[
                {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": expires}
            ],
        )

    # --- our side ---
    def fill_window(self) -> None:
        cap = capacity(MessagingLimit(self.row.messaging_limit))
        assert cap is not None
        self.rounds += 1
        phones = [f"+1{self.rounds:03d}{self.id:02d}{i:05d}" for i in range(cap)]
        with self.ctx.db.write() as s:
            service.count_business_initiated(
                s, self.id, phones, actor="dispatcher", now=self.clock.now()
            )

    def later(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        loops.tick(self.ctx)


def _recorded(ctx: AppContext) -> set[tuple[str | None, str, str | None]]:
    with ctx.db.read() as s:
        rows = s.execute(
            select(Transition.from_state, Transition.event, Transition.to_state).where(
                Transition.entity == "sender"
            )
        ).all()
    return {(a, b, c) for a, b, c in rows}


@pytest.mark.parametrize("model", [LimitModel.PER_NUMBER, LimitModel.PER_PORTFOLIO])
def test_every_row_of_the_table(
    ctx: AppContext,
    clock: ManualClock,
    client: TestClient,
    keys: KeyMaker,
    simulator: SimHandle,
    model: LimitModel,
) -> None:
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    add_admin(ctx, keys.workspace_id())
    day, week = timedelta(hours=24, seconds=1), timedelta(days=7, seconds=1)
    a = Driver(client, ctx, clock, simulator, keys, model, "300001", WABA)
    assert a.status == "PENDING"

    a.sync()
    assert a.status == "PENDING"  # the provider still says PENDING
    a.registered()
    assert a.status == "CONNECTED"
    start_limit = a.row.messaging_limit

    a.flagged()
    simulator.set_quality(a.pnid, "RED")  # what later syncs read: quality stays LOW
    assert a.status == "FLAGGED"
    a.offline(True)
    assert a.status == "OFFLINE"
    a.offline(False)
    assert a.status == "FLAGGED"

    a.fill_window()
    assert a.status == "RESTRICTED"
    a.offline(True)
    a.offline(False)
    assert a.status == "RESTRICTED"  # the status it had, still full
    a.later(day)
    assert a.status == "FLAGGED"  # the window freed room: the status it had

    a.later(week)  # no recovery within 7 days
    row = a.row
    assert row.status == "CONNECTED"
    if model == LimitModel.PER_NUMBER:
        assert (start_limit, row.messaging_limit) == ("TIER_1K", "TIER_250")
        a.provider_tier("TIER_250")  # Meta comes to the same decision
    else:
        assert row.messaging_limit == start_limit == "TIER_250"

    a.flagged()
    simulator.set_quality(a.pnid, "GREEN")
    a.sync()  # quality HIGH again, from the provider
    assert a.status == "FLAGGED" and a.row.quality_ok_since is not None
    a.later(week)
    assert a.status == "CONNECTED"
    simulator.advance(7 * 86400 + 1)  # Meta's clock too: it unflags the number as well

    a.fill_window()
    assert a.status == "RESTRICTED"
    a.later(day)
    assert a.status == "CONNECTED"
    a.offline(True)
    a.offline(False)
    assert a.status == "CONNECTED"

    a.provider_restriction()
    assert (a.status, a.row.restricted_by) == ("RESTRICTED", "PROVIDER")
    a.later(timedelta(hours=1))
    assert a.status == "CONNECTED"
    a.flagged()
    a.provider_restriction()
    a.later(timedelta(hours=1))
    assert a.status == "FLAGGED"

    for reach in ("FLAGGED", "CONNECTED", "OFFLINE", "RESTRICTED"):
        if reach == "OFFLINE":
            a.offline(True)
        elif reach == "RESTRICTED":
            a.fill_window()
        assert a.status == reach
        a.ban()
        assert a.status == "BANNED"
        a.ban("REINSTATE")
        # Reinstated into a full window: RESTRICTED again until it frees room.
        assert a.status == ("RESTRICTED" if reach == "RESTRICTED" else "CONNECTED")
        if reach == "OFFLINE":
            a.offline(False)

    b = Driver(client, ctx, clock, simulator, keys, model, "300002", "waba-other")
    b.ban()
    assert b.status == "BANNED"

    table = {
        (None if m.source is None else str(m.source), m.event, str(m.target)) for m in SENDER.rows
    }
    assert _recorded(ctx) == table
