"""Analytics benchmark: `GET /api/v1/campaigns/{id}/analytics` on a campaign of N recipients
(default 1,000,000), beside the same answer computed from the recipient rows (COUNT(*) per
state, GROUP BY hour over each timestamp: what the endpoint would cost without its counters),
in the same run and database. Fresh SQLite file, or RELAYBIRD_BENCH_DATABASE_URL (a PostgreSQL
database it may fill: give an empty one).

The campaign: sends spread over 48 hours; 2 % INVALID_RECORD, 2 % SENDING_FAILED 131026, 1 %
ERROR, 3 % DELIVERY_FAILED 131049, 5 % SENT, 45 % DELIVERED, 42 % READ; 1 % of its numbers
suppressed (half by a STOP after the send). Rows and counters are written in bulk (the counters
equal to the rows, checked before timing); then each figure is the median of --runs calls, with
the load average beside it. Also times moving 20,000 recipients IN_PROGRESS -> SENT in batches
of 500 (the dispatcher's record step) with the counters, against the same without them.

    .venv/bin/python bench/analytics.py [--recipients 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seed import add_campaign, add_sender
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SPREAD = timedelta(hours=48)
CHUNK = 50_000
# (share of 100, state, error code)
MIX = (
    (2, "INVALID_RECORD", None),
    (2, "SENDING_FAILED", 131026),
    (1, "ERROR", None),
    (3, "DELIVERY_FAILED", 131049),
    (5, "SENT", None),
    (45, "DELIVERED", None),
    (42, "READ", None),
)
SLOT = [(state, code) for share, state, code in MIX for _ in range(share)]


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def build(url: str, n: int) -> tuple[Any, int, int, str]:
    from relaybird.auth import service as auth
    from relaybird.auth.roles import Role
    from relaybird.campaigns import activity
    from relaybird.campaigns.transitions import DELIVERED_OR_LATER, SENT_OR_LATER
    from relaybird.config import Settings
    from relaybird.context import AppContext
    from relaybird.db import migrate
    from relaybird.db.bulk import insert_rows
    from relaybird.models import (
        CampaignActivity,
        CampaignCount,
        Recipient,
        Suppression,
    )

    migrate.upgrade(url)
    ctx = AppContext.from_settings(Settings(database_url=url))
    with ctx.db.write() as s:
        ws = auth.ensure_workspace(s, "bench-analytics")
        key = auth.create_key(s, workspace_id=ws.id, role=Role.VIEWER, name="b", at=START).secret
        sender = add_sender(s, ws.id, "bench-analytics")
        campaign = add_campaign(
            s,
            ws.id,
            sender.id,
            body_params=[],
            state="COMPLETED",
            started_at=START,
            total=n,
            reply_count=n // 50,
        )
        ws_id, cid = ws.id, campaign.id
    states: Counter[str] = Counter()
    buckets: Counter[tuple[datetime, str]] = Counter()
    columns = (
        "workspace_id",
        "campaign_id",
        "row_number",
        "phone",
        "params",
        "state",
        "attempts",
        "error_code",
        "error_title",
        "sent_at",
        "delivered_at",
        "read_at",
        "created_at",
        "updated_at",
    )
    step = SPREAD / n
    suppressed: list[tuple[Any, ...]] = []
    for first in range(0, n, CHUNK):
        rows = []
        for i in range(first, min(n, first + CHUNK)):
            state, code = SLOT[(i * 37) % 100]
            sent = START + step * i
            accepted = state in SENT_OR_LATER or state == "SENDING_FAILED"
            sent_at = sent if accepted else None
            delivered_at = sent + timedelta(minutes=1) if state in DELIVERED_OR_LATER else None
            read_at = sent + timedelta(minutes=30) if state == "READ" else None
            phone = f"+1{2000000000 + i}"
            rows.append(
                (
                    ws_id,
                    cid,
                    i + 2,
                    phone,
                    "[]",
                    state,
                    1,
                    code,
                    None,
                    sent_at,
                    delivered_at,
                    read_at,
                    START,
                    sent,
                )
            )
            states[state] += 1
            for name, stamp, among in (
                ("sent", sent_at, SENT_OR_LATER),
                ("delivered", delivered_at, DELIVERED_OR_LATER),
                ("read", read_at, {"READ"}),
            ):
                if stamp is not None and state in among:
                    buckets[(activity.bucket(stamp), name)] += 1
            if i % 100 == 7:
                stop = i % 200 == 7
                suppressed.append(
                    (
                        ws_id,
                        phone,
                        "keyword" if stop else "manual",
                        None,
                        "bench",
                        sent + timedelta(hours=2) if stop else START,
                    )
                )
        with ctx.db.write() as s:
            insert_rows(s, Recipient.__table__, columns, rows)  # type: ignore[arg-type]
    with ctx.db.write() as s:
        s.add_all(CampaignCount(campaign_id=cid, state=k, count=v) for k, v in states.items())
        per: dict[datetime, dict[str, int]] = {}
        for (at, name), v in buckets.items():
            per.setdefault(at, {})[name] = v
        s.add_all(CampaignActivity(campaign_id=cid, bucket=at, **v) for at, v in per.items())
        insert_rows(
            s,
            Suppression.__table__,  # type: ignore[arg-type]
            ("workspace_id", "phone", "source", "reason", "created_by", "created_at"),
            suppressed,
        )
    return ctx, ws_id, cid, key


def baseline(session: Any, ws_id: int, cid: int) -> dict[str, Any]:
    """The same figures from the rows: COUNT(*) per state, per hour of each timestamp, the
    failures by code and the opt-outs (the last two are what the endpoint itself runs)."""
    from relaybird.campaigns import activity
    from relaybird.models import Recipient

    dialect = session.get_bind().dialect.name
    out: dict[str, Any] = {}
    out["states"] = dict(
        session.execute(
            select(Recipient.state, func.count())
            .where(Recipient.campaign_id == cid)
            .group_by(Recipient.state)
        ).all()
    )
    for m in activity.MILESTONES:
        column = getattr(Recipient, m.stamp)
        hour = (
            func.date_trunc("hour", column)
            if dialect == "postgresql"
            else func.substr(column, 1, 13)
        )
        out[m.name] = session.execute(
            select(hour, func.count())
            .where(
                Recipient.campaign_id == cid,
                Recipient.state.in_([s.value for s in m.states]),
                column.is_not(None),
            )
            .group_by(hour)
        ).all()
    out["failures"] = activity.failures(session, cid, limit=100)
    out["opted_out"] = activity.opted_out(session, ws_id, cid, START)
    return out


def timed(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def write_overhead(ctx: Any, ws_id: int, runs: int) -> tuple[float, float]:
    """Median time to move 20,000 recipients IN_PROGRESS -> SENT in batches of 500, with the
    activity counters and without them (stamps and upserts switched off)."""
    from relaybird.campaigns import activity
    from relaybird.campaigns.recipients import move_recipients
    from relaybird.campaigns.transitions import RecipientEvent, RecipientState
    from relaybird.db.bulk import insert_rows
    from relaybird.models import CampaignCount, Recipient

    def one(counters: bool) -> float:
        with ctx.db.write() as s:
            campaign = add_campaign(s, ws_id, 1, body_params=[], state="RUNNING", name="w")
            cid = campaign.id
            insert_rows(
                s,
                Recipient.__table__,  # type: ignore[arg-type]
                (
                    "workspace_id",
                    "campaign_id",
                    "row_number",
                    "phone",
                    "params",
                    "state",
                    "attempts",
                    "created_at",
                    "updated_at",
                ),
                [
                    (ws_id, cid, i, f"+1{3000000000 + i}", "[]", "IN_PROGRESS", 1, START, START)
                    for i in range(20_000)
                ],
            )
            s.add(CampaignCount(campaign_id=cid, state="IN_PROGRESS", count=20_000))
            ids = list(s.scalars(select(Recipient.id).where(Recipient.campaign_id == cid)))
        saved = activity.stamps, activity.add
        if not counters:
            activity.stamps = lambda *a, **k: {}  # type: ignore[assignment]
            activity.add = lambda *a, **k: None  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            for k in range(0, len(ids), 500):
                with ctx.db.write() as s:
                    move_recipients(
                        s,
                        ids[k : k + 500],
                        source=RecipientState.IN_PROGRESS,
                        event=RecipientEvent.ACCEPTED,
                        target=RecipientState.SENT,
                        actor="bench",
                        at=START + timedelta(minutes=k // 500),
                    )
            return time.perf_counter() - started
        finally:
            activity.stamps, activity.add = saved

    with_c, without = [], []
    for _ in range(runs):  # interleaved, so the load and the file's growth hit both alike
        with_c.append(one(True))
        without.append(one(False))
    return statistics.median(with_c), statistics.median(without)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from fastapi.testclient import TestClient
    from tests.factories import activity_and_counts, counters_and_counts

    from relaybird.app.factory import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("RELAYBIRD_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/analytics.db"
        started = time.perf_counter()
        ctx, ws_id, cid, key = build(url, args.recipients)
        print(
            f"{url.split(':')[0]}: {args.recipients:,} recipients built in "
            f"{time.perf_counter() - started:.0f} s (load {_load()})"
        )
        with ctx.db.read() as s:
            counters, counted = counters_and_counts(s, cid)
            per_quarter, stamped = activity_and_counts(s, cid)
        assert counters == counted, (counters, counted)
        assert per_quarter == stamped, "activity counters differ from the rows"
        client = TestClient(create_app(ctx))
        headers = {"Authorization": f"Bearer {key}"}
        path = f"/api/v1/campaigns/{cid}/analytics"

        def endpoint() -> None:
            answer = client.get(path, headers=headers, params={"time_zone": "Europe/Prague"})
            assert answer.status_code == 200, answer.text

        endpoint()  # warm
        body = client.get(path, headers=headers).json()

        def rows() -> None:
            with ctx.db.read() as s:
                baseline(s, ws_id, cid)

        rows()  # warm
        end_med, end_runs = timed(endpoint, args.runs)
        print(
            f"GET analytics (UTC + Europe/Prague): median {end_med * 1000:.1f} ms; runs "
            f"{', '.join(f'{t * 1000:.0f}' for t in end_runs)} ms (load {_load()})"
        )
        base_med, base_runs = timed(rows, args.runs)
        print(
            f"baseline from the rows (COUNT(*) per state and per hour): median "
            f"{base_med * 1000:.0f} ms; runs {', '.join(f'{t * 1000:.0f}' for t in base_runs)}"
            f" ms (load {_load()})"
        )
        print(f"ratio baseline / endpoint: {base_med / end_med:.1f}x")
        t = body["totals"]
        print(
            f"answer: sent {t['sent']:,}, delivered {t['delivered']:,}, read {t['read']:,}, "
            f"failed {t['failed']:,}, opted out {t['opted_out']:,}; "
            f"{len(body['series'][0]['hours'])} hours; rates {body['rates']}"
        )
        with_c, without = write_overhead(ctx, ws_id, max(3, args.runs // 2))
        print(
            f"moving 20,000 recipients IN_PROGRESS -> SENT in batches of 500: median "
            f"{with_c:.2f} s with the activity counters, {without:.2f} s without "
            f"(+{(with_c / without - 1) * 100:.0f} %) (load {_load()})"
        )
        client.close()
        ctx.db.dispose()


if __name__ == "__main__":
    main()
