"""Provider signals (real webhook bodies from tests/data, signed and POSTed to the real endpoint,
then applied by the inbox applier) → the sender lifecycle, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.config import LimitModel
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import OutboxEvent, OutgoingEmail, Sender
from relaybird.providers.port import PhoneNumberInfo
from relaybird.senders import jobs as loops
from relaybird.senders import service
from tests.factories import KeyMaker
from tests.senders.factories import add_admin, add_sender
from tests.senders.webhooks import FIXTURES, WABA, body, deliver, post, quality_body


def row(ctx: AppContext, sender_id: int) -> Sender:
    with ctx.db.read() as s:
        found = s.get(Sender, sender_id)
        assert found is not None
        return found


def mails(ctx: AppContext) -> list[str]:
    with ctx.db.read() as s:
        return list(s.scalars(select(OutgoingEmail.kind).order_by(OutgoingEmail.id)))


def our_sender(ctx: AppContext, keys: KeyMaker, model: LimitModel = LimitModel.PER_NUMBER) -> int:
    ws = keys.workspace_id()
    add_admin(ctx, ws)
    # The display number of the whaloc fixtures, written the way people write it.
    sender = add_sender(ctx, ws, model=model, waba_id=WABA)
    with ctx.db.write() as s:
        s.get(Sender, sender.id).display_phone_number = "+1 555-078-3881"  # type: ignore[union-attr]
    return sender.id


def test_every_fixture_for_senders_parses_and_matches(ctx: AppContext, keys: KeyMaker) -> None:
    our_sender(ctx, keys)
    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    relevant = [
        n
        for n in names
        if n.startswith(("account-update", "business-capability", "phone-number-quality"))
    ]
    assert len(relevant) == 15
    for name in relevant:
        # Partner events name the partner's business, not the number's account.
        expected = 0 if "partner" in name else 1
        assert deliver(ctx, body(name)) == expected, name


@pytest.mark.parametrize("model", [LimitModel.PER_NUMBER, LimitModel.PER_PORTFOLIO])
def test_flagged_then_unflagged(
    client: TestClient, ctx: AppContext, keys: KeyMaker, model: LimitModel
) -> None:
    sid = our_sender(ctx, keys, model)
    post(client, ctx, quality_body("FLAGGED"))
    assert row(ctx, sid).status == "FLAGGED"
    post(client, ctx, quality_body("FLAGGED"))  # Meta's duplicate: nothing new
    assert mails(ctx) == ["sender.flagged"]
    post(client, ctx, quality_body("UNFLAGGED"))
    r = row(ctx, sid)
    assert (r.status, r.flagged_at) == ("CONNECTED", None)


def test_downgrade_while_flagged_ends_the_flag_one_tier_lower(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    sid = our_sender(ctx, keys)
    post(client, ctx, quality_body("FLAGGED"))
    post(client, ctx, quality_body("DOWNGRADE", "TIER_250"))
    r = row(ctx, sid)
    assert (r.status, r.messaging_limit) == ("CONNECTED", "TIER_250")
    assert mails(ctx) == ["sender.flagged", "sender.limit_changed"]


def test_upgrade_and_throughput_upgrade(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    sid = our_sender(ctx, keys)
    post(client, ctx, quality_body("UPGRADE", "TIER_10K"))
    assert row(ctx, sid).messaging_limit == "TIER_10K"
    post(client, ctx, body("phone-number-quality-throughput-upgrade--whaloc"))
    r = row(ctx, sid)
    assert (r.messaging_limit, r.throughput_mps) == ("TIER_UNLIMITED", 1000)
    assert mails(ctx) == ["sender.limit_changed", "sender.limit_changed"]


def test_capability_update_sets_the_limit(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    sid = our_sender(ctx, keys)
    post(client, ctx, quality_body("DOWNGRADE", "TIER_250"))
    # max_daily_conversation_per_phone: 1000
    post(client, ctx, body("business-capability-update--whaloc"))
    assert row(ctx, sid).messaging_limit == "TIER_1K"


def test_portfolio_capability_update_reaches_every_number(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    ws = keys.workspace_id()
    a = add_sender(ctx, ws, model=LimitModel.PER_PORTFOLIO, waba_id=WABA)
    b = add_sender(ctx, ws, model=LimitModel.PER_PORTFOLIO, waba_id=WABA)
    data = body("business-capability-update--whaloc")
    data["entry"][0]["changes"][0]["value"] = {"max_daily_conversations_per_business": "10000"}
    post(client, ctx, data)
    assert row(ctx, a.id).messaging_limit == row(ctx, b.id).messaging_limit == "TIER_10K"


@pytest.mark.parametrize(
    "fixture", ["account-update-account-deleted--pywa", "account-update-account-offboarded--pywa"]
)
def test_account_gone_bans(
    client: TestClient, ctx: AppContext, keys: KeyMaker, fixture: str
) -> None:
    sid = our_sender(ctx, keys)
    post(client, ctx, body(fixture))
    assert row(ctx, sid).status == "BANNED"
    post(client, ctx, body("account-update-account-reconnected--pywa"))
    assert row(ctx, sid).status == "CONNECTED"


def test_disabled_update_bans_and_reinstates(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    sid = our_sender(ctx, keys)
    disable = body("account-update-disabled-update--pywa")
    disable["entry"][0]["changes"][0]["value"]["ban_info"]["waba_ban_state"] = "DISABLE"
    post(client, ctx, disable)
    assert row(ctx, sid).status == "BANNED"
    post(client, ctx, body("account-update-disabled-update--pywa"))  # REINSTATE
    assert row(ctx, sid).status == "CONNECTED"


def test_account_restriction_until_its_expiry(
    client: TestClient, ctx: AppContext, keys: KeyMaker, clock: ManualClock
) -> None:
    sid = our_sender(ctx, keys)
    data = body("account-update-account-restriction--whaloc")
    clock.set(datetime.fromtimestamp(data["entry"][0]["time"], UTC))
    post(client, ctx, data)
    r = row(ctx, sid)
    assert (r.status, r.restricted_by) == ("RESTRICTED", "PROVIDER")
    assert r.restricted_until == datetime.fromtimestamp(1748540794, UTC)
    assert loops.tick(ctx) == 0
    clock.set(datetime.fromtimestamp(1748540794, UTC))
    assert loops.tick(ctx) == 1
    assert row(ctx, sid).status == "CONNECTED"
    assert "sender.restricted" in mails(ctx)


def test_a_dated_restriction_outlives_a_sync_reading_connected(
    client: TestClient, ctx: AppContext, keys: KeyMaker, clock: ManualClock
) -> None:
    """Issue 12 item 2: ACCOUNT_RESTRICTION is the WABA's enforcement (Meta's policy-enforcement
    ladder: a block of 1 to 30 days), which the number's own status does not show; a sync
    reading CONNECTED meanwhile does not lift it: its expiration does."""
    sid = our_sender(ctx, keys)
    data = body("account-update-account-restriction--whaloc")
    clock.set(datetime.fromtimestamp(data["entry"][0]["time"], UTC))
    post(client, ctx, data)
    reading = PhoneNumberInfo("CONNECTED", "GREEN", "TIER_1K", "STANDARD")
    with ctx.db.write() as s:
        service.apply_reading(s, sid, reading, actor="sync", now=clock.now())
    r = row(ctx, sid)
    assert (r.status, r.restricted_by, r.provider_status) == ("RESTRICTED", "PROVIDER", "CONNECTED")
    assert r.restricted_until == datetime.fromtimestamp(1748540794, UTC)
    clock.set(datetime.fromtimestamp(1748540794, UTC))
    assert loops.tick(ctx) == 1
    assert row(ctx, sid).status == "CONNECTED"


def test_an_undated_restriction_ends_with_a_later_sync_reading_connected(
    ctx: AppContext, keys: KeyMaker, clock: ManualClock
) -> None:
    """The other half of item 2: a restriction with no end date (a sync read RESTRICTED) ends
    when a later sync reads CONNECTED."""
    sid = our_sender(ctx, keys)
    with ctx.db.write() as s:
        service.apply_reading(
            s, sid, PhoneNumberInfo("RESTRICTED", None, None, None), actor="sync", now=clock.now()
        )
    assert (row(ctx, sid).status, row(ctx, sid).restricted_until) == ("RESTRICTED", None)
    clock.advance(timedelta(days=3))
    assert loops.tick(ctx) == 0
    with ctx.db.write() as s:
        service.apply_reading(
            s, sid, PhoneNumberInfo("CONNECTED", None, None, None), actor="sync", now=clock.now()
        )
    assert row(ctx, sid).status == "CONNECTED"


def test_violation_is_a_notice_not_a_status(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    sid = our_sender(ctx, keys)
    post(client, ctx, body("account-update-account-violation--pywa"))
    assert row(ctx, sid).status == "CONNECTED"
    with ctx.db.read() as s:
        types = list(s.scalars(select(OutboxEvent.type).where(OutboxEvent.entity_id == sid)))
    assert "sender.provider_notice" in types


def test_signals_for_other_accounts_match_nothing(ctx: AppContext, keys: KeyMaker) -> None:
    sid = our_sender(ctx, keys)
    data = quality_body("FLAGGED")
    data["entry"][0]["id"] = "999"
    assert deliver(ctx, data) == 0
    assert row(ctx, sid).status == "CONNECTED"
    other_number = quality_body("FLAGGED")
    other_number["entry"][0]["changes"][0]["value"]["display_phone_number"] = "15550000000"
    assert deliver(ctx, other_number) == 0
    assert row(ctx, sid).status == "CONNECTED"
