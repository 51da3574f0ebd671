"""Campaign analytics: the rates' definitions, failures by code, the per-hour series (UTC and a
zone), the counters that feed it, and its doors (API, CSV)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from typer.testing import CliRunner

from relaybird.campaigns import activity
from relaybird.campaigns.analytics import campaign_analytics, hourly
from relaybird.campaigns.rates import Totals
from relaybird.campaigns.recipients import move_recipient, move_recipients
from relaybird.campaigns.transitions import RECIPIENT, RecipientEvent, RecipientState
from relaybird.cli.main import app
from relaybird.consent import service as consent
from relaybird.consent.schemas import Source
from relaybird.context import AppContext
from relaybird.models import Campaign, Recipient
from tests.factories import (
    KeyMaker,
    activity_and_counts,
    make_campaign,
    make_recipients,
    make_sender,
    make_workspace,
)

R = RecipientState
E = RecipientEvent
T0 = datetime(2026, 3, 28, 9, 5, tzinfo=UTC)  # a Saturday: Europe's clocks change on Sunday


def test_no_event_half_reaches_a_milestone() -> None:
    """activity.stamps decides by the event's targets: every target of an event is either in a
    milestone's states or not, so the stamp never depends on the row."""
    for event in RECIPIENT.events:
        targets = {m.target for m in RECIPIENT.rows if m.event == event}
        for milestone in activity.MILESTONES:
            assert len({t in milestone.states for t in targets}) == 1, (event, milestone.name)


def test_rates_are_defined_once() -> None:
    counts = {
        "SENT": 10,
        "DELIVERED": 50,
        "READ": 30,
        "DELIVERY_FAILED": 10,
        "SENDING_FAILED": 5,
        "ERROR": 3,
        "INVALID_RECORD": 2,
        "REMOVED": 4,
        "INITIAL": 6,
    }
    t = Totals.of(counts, replied=8, opted_out=2)
    assert (t.recipients, t.sent, t.delivered, t.read, t.failed) == (120, 100, 80, 30, 20)
    assert t.delivery_rate == 0.8
    assert t.read_rate == 0.375
    assert t.reply_rate == 0.1
    assert t.opt_out_rate == 0.025
    assert t.failure_rate == round(20 / 120, 4)
    empty = Totals.of({"INITIAL": 5}, replied=0)
    assert empty.delivery_rate is None and empty.read_rate is None and empty.reply_rate is None


def _b(h: int, m: int, day: int = 28) -> datetime:
    return datetime(2026, 3, day, h, m, tzinfo=UTC)


def test_hours_in_utc_are_contiguous_with_zeros() -> None:
    series = hourly([(_b(9, 0), 3, 1, 0), (_b(9, 45), 1, 2, 1), (_b(12, 15), 0, 0, 4)], UTC)
    assert [(h.start.hour, h.sent, h.delivered, h.read) for h in series.hours] == [
        (9, 4, 3, 1),
        (10, 0, 0, 0),
        (11, 0, 0, 0),
        (12, 0, 0, 4),
    ]
    assert not series.truncated


def test_hours_in_a_half_hour_zone_start_at_half_past_utc() -> None:
    # India is UTC+05:30: its 14:00-15:00 is 08:30-09:30 UTC.
    buckets = [(_b(8, 15), 1, 0, 0), (_b(8, 30), 2, 0, 0), (_b(9, 15), 4, 0, 0)]
    series = hourly(buckets, ZoneInfo("Asia/Kolkata"))
    assert [(h.start.isoformat(), h.sent) for h in series.hours] == [
        ("2026-03-28T13:00:00+05:30", 1),
        ("2026-03-28T14:00:00+05:30", 6),
    ]


def test_a_day_with_a_clock_change_has_23_hours() -> None:
    # Europe/Prague springs forward on 2026-03-29 at 02:00 (01:00 UTC): local 02:00 never is.
    prague = ZoneInfo("Europe/Prague")
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # local midnight
    buckets = [(start + timedelta(hours=i), 1, 0, 0) for i in range(23)]
    series = hourly(buckets, prague)
    labels = [h.start.strftime("%H%z") for h in series.hours]
    assert len(series.hours) == 23
    assert labels[:4] == ["00+0100", "01+0100", "03+0200", "04+0200"]
    assert sum(h.sent for h in series.hours) == 23


def test_the_series_is_bounded() -> None:
    series = hourly([(_b(0, 0), 1, 0, 0), (_b(0, 0, day=29) + timedelta(days=40), 1, 0, 0)], UTC)
    assert len(series.hours) == 744
    assert series.truncated


@settings(deadline=None)  # no timing in tests: a loaded machine may take its time per example
@given(
    st.lists(
        st.tuples(st.integers(0, 24 * 4 * 10), st.integers(0, 5), st.integers(0, 5)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["UTC", "Asia/Kolkata", "Asia/Kathmandu", "Europe/Prague", "America/St_Johns"]),
)
def test_folding_into_hours_loses_nothing(raw: list[tuple[int, int, int]], zone: str) -> None:
    base = datetime(2026, 3, 25, 0, 0, tzinfo=UTC)
    quarters = sorted({q for q, _, _ in raw})
    by_q = {q: (s, d) for q, s, d in raw}
    buckets = [(base + timedelta(minutes=15 * q), by_q[q][0], by_q[q][1], 0) for q in quarters]
    series = hourly(buckets, ZoneInfo(zone))
    assert sum(h.sent for h in series.hours) == sum(b[1] for b in buckets)
    assert sum(h.delivered for h in series.hours) == sum(b[2] for b in buckets)
    for h in series.hours:
        assert h.start.minute == 0 and h.start.second == 0  # a local hour's start
    for a, b in zip(series.hours, series.hours[1:], strict=False):
        # Aware datetimes of one zone subtract as wall times: compare the instants.
        assert b.start.astimezone(UTC) - a.start.astimezone(UTC) == timedelta(hours=1)
    # Each bucket lands in the hour that contains it.
    for at, s, _, _ in buckets:
        if s:
            hour = next(
                h
                for h in series.hours
                if h.start <= at < h.start.astimezone(UTC) + timedelta(hours=1)
            )
            assert hour.sent >= s


def _campaign(ctx: AppContext, n: int) -> tuple[int, int, list[int]]:
    with ctx.db.write() as s:
        ws = make_workspace(s)
        sender = make_sender(s, ws)
        cid = make_campaign(s, ws, sender, state="RUNNING", started_at=T0 - timedelta(hours=1))
        ids = make_recipients(s, ws, cid, n, at=T0 - timedelta(hours=1))
    return ws, cid, ids


def _move(
    ctx: AppContext, ids: list[int], source: R, event: E, target: R, at: datetime, **kw: object
) -> None:
    with ctx.db.write() as s:
        moved = move_recipients(
            s, ids, source=source, event=event, target=target, actor="t", at=at, **kw
        )  # type: ignore[arg-type]
        assert len(moved) == len(ids)


def _scripted(ctx: AppContext) -> tuple[int, int, list[int]]:
    """12 recipients through a campaign's day (UTC): 0-7 accepted 09:05, 8-9 at 09:20; 10 fails
    at the send with 131026; 11 stays INITIAL. 0-5 delivered 09:50; 0-2 read 10:10, 3 at 11:40;
    6 DELIVERY_FAILED 131049 at 10:00; 7 gets 131026 as a webhook at 10:05 (SENT ->
    SENDING_FAILED: no longer a send); 8 read at 10:20 without a delivered webhook; 9 stays SENT.
    At 12:00 recipient 1 texts STOP and 4 stops marketing in WhatsApp (opt-outs), the unsent 11
    texts STOP (never sent: not counted), an operator suppresses 5 by hand (not the person's
    doing). Two recipients replied."""
    ws, cid, ids = _campaign(ctx, 12)
    undeliverable = {"error_code": 131026, "error_title": "Message undeliverable."}
    _move(ctx, ids[:11], R.INITIAL, E.CLAIMED, R.IN_PROGRESS, T0)
    _move(ctx, ids[:8], R.IN_PROGRESS, E.ACCEPTED, R.SENT, T0)
    _move(ctx, ids[8:10], R.IN_PROGRESS, E.ACCEPTED, R.SENT, _b(9, 20))
    _move(
        ctx,
        ids[10:11],
        R.IN_PROGRESS,
        E.NO_WHATSAPP_ACCOUNT,
        R.SENDING_FAILED,
        _b(9, 20),
        error_code=131026,
        values=undeliverable,
    )
    _move(ctx, ids[:6], R.SENT, E.STATUS_DELIVERED, R.DELIVERED, _b(9, 50))
    _move(ctx, ids[:3], R.DELIVERED, E.STATUS_READ, R.READ, _b(10, 10))
    _move(ctx, ids[3:4], R.DELIVERED, E.STATUS_READ, R.READ, _b(11, 40))
    _move(
        ctx,
        ids[6:7],
        R.SENT,
        E.STATUS_FAILED,
        R.DELIVERY_FAILED,
        _b(10, 0),
        error_code=131049,
        values={"error_code": 131049},
    )
    with ctx.db.write() as s:  # the single-row path (a webhook racing the dispatcher)
        move_recipient(
            s, ids[7], event=E.NO_WHATSAPP_ACCOUNT, actor="t", at=_b(10, 5), values=undeliverable
        )
        move_recipient(s, ids[8], event=E.STATUS_READ, actor="t", at=_b(10, 20))
        phones: dict[int, str | None] = {
            int(rid): phone
            for rid, phone in s.execute(
                select(Recipient.id, Recipient.phone).where(Recipient.campaign_id == cid)
            )
        }
        for i, source in (
            (1, Source.KEYWORD),
            (4, Source.USER_PREFERENCES),
            (11, Source.KEYWORD),
            (5, Source.MANUAL),
        ):
            phone = phones[ids[i]]
            assert phone is not None
            consent.suppress(s, ws, phone, source, reason=None, actor="t", now=_b(12, 0))
        s.execute(update(Campaign).where(Campaign.id == cid).values(reply_count=2))
    return ws, cid, ids


def test_a_campaigns_day_in_numbers(ctx: AppContext) -> None:
    ws, cid, _ = _scripted(ctx)
    with ctx.db.read() as s:
        out = campaign_analytics(s, ws, cid, zone=ZoneInfo("Asia/Kolkata"))
        per_quarter, stamped = activity_and_counts(s, cid)
    assert per_quarter == stamped
    t = out.totals
    assert (t.recipients, t.sent, t.delivered, t.read, t.replied, t.opted_out, t.failed) == (
        12,
        9,
        7,
        5,
        2,
        2,
        3,
    )
    r = out.rates
    assert (r.delivery_rate, r.read_rate, r.reply_rate, r.opt_out_rate, r.failure_rate) == (
        0.7778,
        0.7143,
        0.2857,
        0.2857,
        0.25,
    )
    assert [(f.state.value, f.error_code, f.title, f.count) for f in out.failures] == [
        ("SENDING_FAILED", 131026, "Message undeliverable.", 2),
        ("DELIVERY_FAILED", 131049, "Meta chose not to deliver (per-user marketing limit)", 1),
    ]
    utc, india = out.series
    assert utc.time_zone == "UTC" and india.time_zone == "Asia/Kolkata"
    assert [(h.hour.hour, h.sent, h.delivered, h.read) for h in utc.hours] == [
        (9, 9, 6, 0),
        (10, 0, 1, 4),
        (11, 0, 0, 1),
    ]
    assert [(h.hour.isoformat(), h.sent, h.delivered, h.read) for h in india.hours] == [
        ("2026-03-28T14:00:00+05:30", 9, 0, 0),
        ("2026-03-28T15:00:00+05:30", 0, 7, 4),
        ("2026-03-28T16:00:00+05:30", 0, 0, 0),
        ("2026-03-28T17:00:00+05:30", 0, 0, 1),
    ]


def test_an_opt_out_needs_a_send_before_it(ctx: AppContext) -> None:
    ws, cid, ids = _scripted(ctx)
    with ctx.db.write() as s:
        phone = s.scalar(select(Recipient.phone).where(Recipient.id == ids[9]))  # sent 09:20
        assert phone is not None
        # STOP at 09:10, between the campaign's start and this recipient's send: not counted.
        consent.suppress(s, ws, phone, Source.KEYWORD, reason=None, actor="t", now=_b(9, 10))
    with ctx.db.read() as s:
        assert campaign_analytics(s, ws, cid).totals.opted_out == 2
        never = make_campaign(s, ws, make_sender(s, ws))  # never started: nothing sent
        assert activity.opted_out(s, ws, never, None) == 0


def test_the_stamps_are_the_first_time_each_milestone_was_reached(ctx: AppContext) -> None:
    _, cid, ids = _scripted(ctx)
    with ctx.db.read() as s:
        rows = {
            r.id: r for r in s.scalars(select(Recipient).where(Recipient.campaign_id == cid)).all()
        }
    assert rows[ids[0]].sent_at == T0
    assert rows[ids[0]].delivered_at == _b(9, 50)
    assert rows[ids[0]].read_at == _b(10, 10)
    assert rows[ids[8]].delivered_at == _b(10, 20) == rows[ids[8]].read_at  # read implies it
    assert rows[ids[7]].sent_at == T0 and rows[ids[7]].state == R.SENDING_FAILED  # kept
    assert rows[ids[10]].sent_at is None
    assert rows[ids[11]].sent_at is None


def _api_campaign(ctx: AppContext, keys: KeyMaker) -> tuple[int, dict[str, str]]:
    headers = keys.headers()
    _, cid, _ = _scripted(ctx)
    return cid, headers


def test_the_api_answers_the_analytics(client: TestClient, ctx: AppContext, keys: KeyMaker) -> None:
    cid, headers = _api_campaign(ctx, keys)
    got = client.get(f"/api/v1/campaigns/{cid}/analytics", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["totals"]["sent"] == 9 and body["rates"]["delivery_rate"] == 0.7778
    assert [s["time_zone"] for s in body["series"]] == ["UTC"]
    assert body["series"][0]["hours"][0] == {
        "hour": "2026-03-28T09:00:00Z",
        "sent": 9,
        "delivered": 6,
        "read": 0,
    }
    zoned = client.get(
        f"/api/v1/campaigns/{cid}/analytics",
        params={"time_zone": "Asia/Kolkata"},
        headers=keys.headers("viewer"),
    ).json()
    assert zoned["series"][1]["hours"][0]["hour"] == "2026-03-28T14:00:00+05:30"
    bad = client.get(
        f"/api/v1/campaigns/{cid}/analytics", params={"time_zone": "Mars/Olympus"}, headers=headers
    )
    assert bad.status_code == 422 and "unknown time zone" in bad.text
    other = keys.headers(workspace="other")
    assert client.get(f"/api/v1/campaigns/{cid}/analytics", headers=other).status_code == 404
    assert client.get(f"/api/v1/campaigns/{cid}/analytics").status_code == 401


def test_the_hourly_csv_and_the_export_carry_the_times(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    cid, headers = _api_campaign(ctx, keys)
    got = client.get(
        f"/api/v1/campaigns/{cid}/analytics.csv",
        params={"time_zone": "Asia/Kolkata"},
        headers=headers,
    )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["hour", "sent", "delivered", "read"]
    assert rows[1:3] == [
        ["2026-03-28T14:00:00+05:30", "9", "0", "0"],
        ["2026-03-28T15:00:00+05:30", "0", "7", "4"],
    ]
    export = client.get(f"/api/v1/campaigns/{cid}/export.csv", headers=headers)
    lines = list(csv.DictReader(io.StringIO(export.text)))
    first = lines[0]
    assert (first["sent_at"], first["delivered_at"], first["read_at"]) == (
        "2026-03-28T09:05:00Z",
        "2026-03-28T09:50:00Z",
        "2026-03-28T10:10:00Z",
    )
    assert lines[11]["sent_at"] == "" and lines[10]["error_code"] == "131026"


def test_the_campaigns_window_zone_is_the_default(ctx: AppContext) -> None:
    ws, cid, _ = _scripted(ctx)
    window = {"start": "09:00", "end": "20:00", "days": ["MON", "SAT"], "time_zone": "Asia/Kolkata"}
    with ctx.db.write() as s:
        s.execute(update(Campaign).where(Campaign.id == cid).values(send_window=window))
    with ctx.db.read() as s:
        default = campaign_analytics(s, ws, cid)
        asked = campaign_analytics(s, ws, cid, zone=ZoneInfo("Europe/Prague"))
    assert [x.time_zone for x in default.series] == ["UTC", "Asia/Kolkata"]
    assert [x.time_zone for x in asked.series] == ["UTC", "Europe/Prague"]


def test_an_empty_campaign_has_no_rates_yet(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    headers = keys.headers()
    _, cid, _ = _campaign(ctx, 3)
    body = client.get(f"/api/v1/campaigns/{cid}/analytics", headers=headers).json()
    assert body["rates"] == {
        "delivery_rate": None,
        "read_rate": None,
        "reply_rate": None,
        "opt_out_rate": None,
        "failure_rate": 0.0,
    }
    assert body["series"] == [{"time_zone": "UTC", "hours": [], "truncated": False}]
    assert body["failures"] == []


@pytest.mark.parametrize("seed", [11, 12])
def test_activity_counters_survive_random_batches(ctx: AppContext, seed: int) -> None:
    """Random batch moves at random quarter hours: the counters equal COUNT(*) per bucket."""
    import random

    rng = random.Random(seed)
    _, cid, ids = _campaign(ctx, 60)
    movable = [m for m in RECIPIENT.rows if m.source is not None]
    for step in range(60):
        move = rng.choice(movable)
        at = T0 + timedelta(minutes=7 * step)
        with ctx.db.write() as s:
            move_recipients(
                s,
                rng.sample(ids, 12),
                source=move.source,  # type: ignore[arg-type]
                event=move.event,  # type: ignore[arg-type]
                target=move.target,
                actor="t",
                at=at,
            )
    with ctx.db.read() as s:
        per_quarter, stamped = activity_and_counts(s, cid)
    assert per_quarter == stamped


def test_the_cli_shows_tables_and_json(
    sqlite_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", sqlite_ctx.settings.database_url)
    _, cid, _ = _scripted(sqlite_ctx)
    runner = CliRunner()
    r = runner.invoke(app, ["campaign", "analytics", str(cid)], env={"COLUMNS": "160"})
    assert r.exit_code == 0, r.output
    assert "77.8%" in r.output  # delivery rate, 7 of 9
    assert "131026" in r.output and "Message undeliverable." in r.output
    assert "2026-03-28 09:00 +0000" in r.output
    r = runner.invoke(
        app, ["campaign", "analytics", str(cid), "--json", "--time-zone", "Asia/Kolkata"]
    )
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["totals"]["opted_out"] == 2
    assert body["series"][1]["hours"][0]["hour"] == "2026-03-28T14:00:00+05:30"
    r = runner.invoke(app, ["campaign", "analytics", str(cid), "--time-zone", "Nowhere/Land"])
    assert r.exit_code == 1 and "unknown time zone" in r.output
    r = runner.invoke(app, ["campaign", "analytics", "999"])
    assert r.exit_code == 1 and "not found" in r.output


def test_the_failed_rows_index_covers_exactly_the_failed_states() -> None:
    from relaybird.campaigns.transitions import FAILED_STATES
    from relaybird.models.campaign import FAILED_WHERE

    assert FAILED_WHERE == "({})".format(" OR ".join(f"state = '{s}'" for s in FAILED_STATES))


def test_the_failures_query_reads_the_failed_rows_index(ctx: AppContext) -> None:
    """The analytics' failures by code must be answered from ix_recipients_failed on both
    databases: the query says the index's predicate as the same literal text (a planner proves a
    partial index usable only from its own predicate)."""
    from sqlalchemy import func, text

    from relaybird.models.campaign import FAILED_WHERE

    stmt = (
        select(Recipient.state, Recipient.error_code, func.count())
        .where(Recipient.campaign_id == 1, text(FAILED_WHERE))
        .group_by(Recipient.state, Recipient.error_code)
    )
    with ctx.db.read() as session:
        connection = session.connection()
        sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(r[-1]) for r in rows)
        else:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(str(r[0]) for r in connection.exec_driver_sql("EXPLAIN " + sql))
    assert "ix_recipients_failed" in plan, plan
