"""Send windows through the doors: create and PATCH (a bad window is a 422 that changes
nothing), the upload's `timezone` column, the claim by open zones, the waiting state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from relaybird.campaigns import service
from relaybird.context import AppContext
from relaybird.dispatcher.claim import claim
from relaybird.kit.time import ManualClock
from relaybird.kit.zones import CAMPAIGN_ZONE, zone_id
from relaybird.models import Campaign, Recipient
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker

WINDOW = {
    "start": "09:00",
    "end": "20:00",
    "days": ["MON", "TUE", "WED", "THU", "FRI", "SAT"],
    "time_zone": "Europe/Prague",
}


def test_create_with_a_window_and_read_it_back(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    body = new_campaign(client, ctx, keys.headers(), send_window=WINDOW)
    assert body["send_window"] == {
        **WINDOW,
        "overnight": False,
        "description": "09:00–20:00 MON,TUE,WED,THU,FRI,SAT, recipient's local time",
    }
    got = client.get(f"/api/v1/campaigns/{body['id']}", headers=keys.headers()).json()
    assert got["send_window"]["time_zone"] == "Europe/Prague"
    assert got["next_window_at"] is None


BAD: list[tuple[dict[str, Any], str]] = [
    ({**WINDOW, "end": "08:00"}, "overnight"),
    ({**WINDOW, "end": "09:00"}, "empty"),
    ({**WINDOW, "days": []}, "at least one day"),
    ({**WINDOW, "time_zone": "Mars/Olympus"}, "IANA"),
    ({**WINDOW, "start": "9am"}, "HH:MM"),
    ({**WINDOW, "start": "99:99"}, "time of day"),
    ({**WINDOW, "days": ["MON"] * 8}, "at most 7"),
    ({**WINDOW, "extra": 1}, "Extra inputs"),
    ({**WINDOW, "time_zone": "x" * 65}, "at most 64"),
    ({"start": "09:00", "end": "20:00"}, "time_zone"),
    ("09:00-20:00", "valid dictionary"),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("window", "says"), BAD)
def test_a_bad_window_is_a_422_that_creates_nothing(
    client: TestClient, ctx: AppContext, keys: KeyMaker, window: Any, says: str
) -> None:
    h = keys.headers()
    before = client.get("/api/v1/campaigns", headers=h).json()["items"]
    good = new_campaign(client, ctx, h)
    r = client.post(
        "/api/v1/campaigns",
        json={
            "name": "x",
            "sender_id": good["sender_id"],
            "template": {"name": "spring", "language": "en_US"},
            "send_window": window,
        },
        headers=h,
    )
    assert r.status_code == 422, r.text
    assert says in r.text
    after = client.get("/api/v1/campaigns", headers=h).json()["items"]
    assert len(after) == len(before) + 1  # only the good one
    # PATCH: the same refusal, the campaign unchanged.
    r = client.patch(f"/api/v1/campaigns/{good['id']}", json={"send_window": window}, headers=h)
    assert r.status_code == 422, r.text
    assert client.get(f"/api/v1/campaigns/{good['id']}", headers=h).json()["send_window"] is None


def test_patch_sets_and_clears_and_is_refused_once_finished(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    r = client.patch(f"/api/v1/campaigns/{cid}", json={"send_window": WINDOW}, headers=h)
    assert r.status_code == 200 and r.json()["send_window"]["start"] == "09:00"
    assert client.patch(f"/api/v1/campaigns/{cid}", json={}, headers=h).json()["send_window"]
    r = client.patch(f"/api/v1/campaigns/{cid}", json={"send_window": None}, headers=h)
    assert r.status_code == 200 and r.json()["send_window"] is None
    viewer = keys.headers("viewer")
    assert client.patch(f"/api/v1/campaigns/{cid}", json={}, headers=viewer).status_code == 403
    assert client.patch("/api/v1/campaigns/999999", json={}, headers=h).status_code == 404
    assert client.post(f"/api/v1/campaigns/{cid}/end", headers=h).status_code == 200
    r = client.patch(f"/api/v1/campaigns/{cid}", json={"send_window": WINDOW}, headers=h)
    assert r.status_code == 409
    with ctx.db.read() as s:
        assert s.get(Campaign, cid).send_window is None  # type: ignore[union-attr]


def test_upload_resolves_zones_and_the_timezone_column_overrides(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h, send_window=WINDOW)["id"]
    rows = (
        "phone,timezone\n"
        "+12125550001,\n"  # New York, by its number
        "+12125550002,Asia/Tokyo\n"  # the column wins
        "+79123456789,\n"  # a Russian mobile: several zones, the window's
        "+420601123456,europe/prague\n"  # any case
        "+12125550003,Mars/Olympus\n"  # unknown: invalid, never guessed
    )
    r = upload(client, h, cid, rows)
    assert r.status_code == 200, r.text
    assert r.json()["errors"] == [
        {"row": 6, "reason": "unknown time zone 'Mars/Olympus' (an IANA name, e.g. Europe/Prague)"}
    ]
    with ctx.db.read() as s:
        zones = dict(
            s.execute(
                select(Recipient.row_number, Recipient.zone_id).where(
                    Recipient.campaign_id == cid, Recipient.state == "INITIAL"
                )
            ).all()
        )
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        stored = campaign.zone_ids
    expected = {
        2: zone_id("America/New_York"),
        3: zone_id("Asia/Tokyo"),
        4: CAMPAIGN_ZONE,
        5: zone_id("Europe/Prague"),
    }
    assert zones == expected
    assert stored == sorted(set(expected.values()))  # type: ignore[type-var]


def _claim(ctx: AppContext, sender_id: int) -> Any:
    with ctx.db.write() as s:
        return claim(s, sender_id, clock=ctx.clock.now, limit=100, lease=timedelta(seconds=60))


def test_claim_takes_only_open_zones_and_a_closed_campaign_waits(
    client: TestClient, ctx: AppContext, keys: KeyMaker, clock: ManualClock
) -> None:
    """Monday 2026-01-05 09:00 UTC: 10:00 in Prague (open), 04:00 in New York (closed)."""
    h = keys.headers()
    created = new_campaign(client, ctx, h, send_window=WINDOW)
    cid, sender = created["id"], created["sender_id"]
    upload(client, h, cid, "phone\n+420601123456\n+420601123457\n+12125550001\n")
    assert client.post(f"/api/v1/campaigns/{cid}/start", headers=h).status_code == 200
    got = _claim(ctx, sender)
    assert sorted(i.phone for i in got.items) == ["+420601123456", "+420601123457"]
    assert not got.windows_closed
    with ctx.db.write() as s:  # as if sent
        s.execute(
            Recipient.__table__.update()  # type: ignore[attr-defined]
            .where(Recipient.campaign_id == cid, Recipient.state == "IN_PROGRESS")
            .values(state="SENT")
        )
    got = _claim(ctx, sender)
    assert got.items == [] and got.windows_closed and got.campaign_ids == [cid]
    body = client.get(f"/api/v1/campaigns/{cid}", headers=h).json()
    assert body["state"] == "RUNNING"
    assert body["waiting_reason"].startswith("waiting for send window")
    assert body["next_window_at"] == "2026-01-05T14:00:00Z"
    with ctx.db.write() as s:  # the finishing job: not done while someone waits
        assert not service.complete_if_done(s, cid, at=clock.now())
    clock.set(clock.now().replace(hour=14, minute=0))
    got = _claim(ctx, sender)
    assert [i.phone for i in got.items] == ["+12125550001"]
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["waiting_reason"] is None


def test_paused_campaign_with_a_window_is_not_waiting(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h, send_window={**WINDOW, "days": ["SUN"]})["id"]
    upload(client, h, cid, "phone\n+420601123456\n")
    client.post(f"/api/v1/campaigns/{cid}/start", headers=h)
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["waiting_reason"]
    client.post(f"/api/v1/campaigns/{cid}/pause", headers=h)
    body = client.get(f"/api/v1/campaigns/{cid}", headers=h).json()
    assert body["state"] == "PAUSED" and body["next_window_at"] is None


def test_a_retry_keeps_the_window_and_each_recipients_zone(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    from relaybird.campaigns.recipients import add_counts

    h = keys.headers()
    cid = new_campaign(client, ctx, h, send_window=WINDOW)["id"]
    upload(client, h, cid, "phone,timezone\n+12125550001,Asia/Tokyo\n+420601123456,\n")
    with ctx.db.write() as s:
        s.execute(
            Recipient.__table__.update()  # type: ignore[attr-defined]
            .where(Recipient.campaign_id == cid)
            .values(state="ERROR")
        )
        add_counts(s, {(cid, "INITIAL"): -2, (cid, "ERROR"): 2})
        s.execute(Campaign.__table__.update().where(Campaign.id == cid).values(state="COMPLETED"))  # type: ignore[attr-defined]
    r = client.post(f"/api/v1/campaigns/{cid}/retry", headers=h)
    assert r.status_code == 201, r.text
    child = r.json()
    assert child["send_window"]["time_zone"] == "Europe/Prague"
    with ctx.db.read() as s:
        zones = sorted(
            s.scalars(select(Recipient.zone_id).where(Recipient.campaign_id == child["id"]))
        )
        stored = s.get(Campaign, child["id"]).zone_ids  # type: ignore[union-attr]
    assert zones == sorted([zone_id("Asia/Tokyo"), zone_id("Europe/Prague")])  # type: ignore[type-var]
    assert stored == zones
