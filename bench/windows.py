"""Send-window benchmark: the dispatcher's claim path over a campaign of N recipients (default
1,000,000) spread over 50 time zones, with a send window and without, in the same run.

The database work of every send, in-process, without the network: `dispatcher.claim.claim`
(the limit's lock, the running campaigns, the due recipients by index, the 24 h window
accounting, the move to IN_PROGRESS), `repository.mark_started` (the start mark) and
`dispatcher.record.record` (each send accepted → SENT, counters, completion check): the three
short transactions the runner makes, batches of 500, on SQLite, from a fresh copy of the same
database for every run. Shapes:

- `none`: no window (the baseline);
- `all-open`: a window open in all 50 zones now (09:00–21:00 while every zone is inside it is
  impossible, so 00:00–24:00 every day): the cost of claiming by `zone_id IN (...)` itself;
- `half-open`: 09:00–21:00 every day at a moment when about half the zones are inside it: the
  claim skips the closed zones' rows through the index (only open zones' rows are claimed; the
  rate counts those).

The rows come in blocks of one zone, ordered by UTC offset (a list sorted by country): at the
benchmark's moment the first blocks are closed, so a claim that filtered rows instead of seeking
the open zones in the index would read past them. Every shape claims until nothing is due or
`--claim` recipients were sent (default: all). Prints
each run's sends/s, the medians of `--runs` (default 3) runs, and each window shape's median as a
share of the baseline's (goal ≥ 0.9). A full send through the simulator at a million recipients
takes longer than this shared machine allows per run; this is the path the window changes.

    .venv/bin/python bench/windows.py [--rows 1000000] [--claim N] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from relaybird.config import Settings
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # a Wednesday
BATCH = 500
SHAPES: dict[str, dict[str, Any] | None] = {
    "none": None,
    "all-open": {"start": "00:00", "end": "24:00", "time_zone": "UTC"},
    "half-open": {"start": "09:00", "end": "21:00", "time_zone": "UTC"},
}


def fifty_zones() -> list[int]:
    """50 zones spread over the world's UTC offsets at ``NOW`` (one per offset first)."""
    from zoneinfo import ZoneInfo

    from relaybird.kit.zone_names import NAMES
    from relaybird.kit.zones import zone_id

    by_offset: dict[timedelta, list[str]] = {}
    for name in NAMES:
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/")):
            continue
        offset = NOW.astimezone(ZoneInfo(name)).utcoffset()
        assert offset is not None
        by_offset.setdefault(offset, []).append(name)
    chosen: list[str] = []
    depth = 0
    while len(chosen) < 50:
        for offset in sorted(by_offset):
            names = by_offset[offset]
            if depth < len(names) and len(chosen) < 50:
                chosen.append(names[depth])
        depth += 1
    return [zone_id(n) or 0 for n in chosen]


def build(path: Path, rows: int, zones: list[int]) -> None:
    from relaybird.auth import service as auth
    from relaybird.campaigns.recipients import import_recipients
    from relaybird.db import migrate
    from relaybird.models import Campaign, Sender

    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    ctx = AppContext.from_settings(Settings(database_url=url))
    with ctx.db.write() as s:
        ws = auth.ensure_workspace(s, "bench")
        sender = Sender(
            workspace_id=ws.id,
            name="b",
            phone_number_id="b",
            display_phone_number="1",
            access_token="t",
            status="CONNECTED",
            messaging_limit="TIER_UNLIMITED",
        )
        s.add(sender)
        s.flush()
        campaign = Campaign(
            workspace_id=ws.id,
            sender_id=sender.id,
            name="bench",
            template_name="t",
            template_language="en",
            body_params=["first_name"],
            state="RUNNING",
            total=rows,
            started_at=NOW,
        )
        s.add(campaign)
        s.flush()
        ws_id, cid = ws.id, campaign.id
    for first in range(0, rows, 20_000):
        with ctx.db.write() as s:
            import_recipients(
                s,
                cid,
                [
                    {
                        "workspace_id": ws_id,
                        "campaign_id": cid,
                        "row_number": i + 2,
                        "phone": f"+1{2000000000 + i}",
                        "raw_phone": None,
                        # In blocks, ordered by UTC offset, as a list sorted by country
                        # is: the closed zones' rows come first in the index order.
                        "zone_id": zones[i * len(zones) // rows],
                        "params": [f"n{i}"],
                        "state": "INITIAL",
                        "attempts": 0,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in range(first, min(rows, first + 20_000))
                ],
            )
    ctx.db.engine.dispose()


def run(template: Path, workdir: Path, shape: str, limit: int) -> tuple[float, int]:
    """One run on a fresh copy: (sends/s, recipients sent)."""
    from relaybird.config import DeliveryPolicy
    from relaybird.dispatcher import repository
    from relaybird.dispatcher.claim import claim
    from relaybird.dispatcher.outcomes import Outcome, SendPolicy
    from relaybird.dispatcher.record import record
    from relaybird.dispatcher.retry import RetryPolicy
    from relaybird.models import Campaign
    from relaybird.providers.port import SendResult

    path = workdir / f"run-{shape}.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    ctx = AppContext.from_settings(Settings(database_url=url), clock=ManualClock(NOW))
    window = SHAPES[shape]
    with ctx.db.write() as s:
        campaign = s.get(Campaign, 1)
        assert campaign is not None
        campaign.send_window = None if window is None else {**window, "days": list(DAYS)}
    policy = SendPolicy(RetryPolicy(4, timedelta(seconds=2)), DeliveryPolicy.AT_MOST_ONCE)
    sent = 0
    started = time.perf_counter()
    while sent < limit:
        with ctx.db.write() as s:
            got = claim(
                s,
                1,
                clock=ctx.clock.now,
                limit=min(BATCH, limit - sent),
                lease=timedelta(seconds=60),
            )
        if not got.items:
            break
        ids = [i.id for i in got.items]
        with ctx.db.write() as s:
            repository.mark_started(s, ids, ctx.clock.now())
        outcomes = [Outcome(i, SendResult(message_id=f"wamid.{i.id}")) for i in got.items]
        with ctx.db.write() as s:
            record(s, outcomes, now=ctx.clock.now(), policy=policy)
        sent += len(ids)
    elapsed = time.perf_counter() - started
    ctx.db.engine.dispose()
    path.unlink()
    return sent / elapsed, sent


DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--claim", type=int, default=0, help="stop after N sends (0: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    limit = args.claim or args.rows
    shapes = [s for s in args.shapes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="rb-windows-") as tmp:
        workdir = Path(tmp)
        template = workdir / "template.db"
        zones = fifty_zones()
        t0 = time.perf_counter()
        build(template, args.rows, zones)
        size = os.path.getsize(template) / 1e6
        print(
            f"{args.rows:,} recipients over {len(set(zones))} zones built in "
            f"{time.perf_counter() - t0:.1f} s ({size:.0f} MB); load {_load()}",
            flush=True,
        )
        rates: dict[str, list[float]] = {s: [] for s in shapes}
        counts: dict[str, int] = {}
        for k in range(args.runs):
            for shape in shapes:  # interleaved, so the machine's load hits every shape alike
                rate, sent = run(template, workdir, shape, limit)
                rates[shape].append(rate)
                counts[shape] = sent
                print(
                    f"  run {k + 1} {shape:>9}: {sent:,} sent, {rate:,.0f} sends/s "
                    f"(load {_load()})",
                    flush=True,
                )
    base = statistics.median(rates["none"]) if "none" in rates else None
    print(f"\nmedians of {args.runs} runs (claim + start mark + record, batches of {BATCH}):")
    for shape in shapes:
        median = statistics.median(rates[shape])
        ratio = f"  ratio {median / base:.3f} of none" if base and shape != "none" else ""
        print(f"  {shape:>9}: {median:,.0f} sends/s over {counts[shape]:,} sent{ratio}")
    print(f"load average {_load()}")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
