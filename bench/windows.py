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
`--claim` recipients were sent (default: all). Prints each run's sends/s by the wall clock and
by this process's CPU time (SQLite runs in it: the CPU figure is what a loaded machine disturbs
least), the CPU milliseconds of one claim transaction (where the window acts), the medians of
`--runs` (default 3) runs, and each window shape's medians as a share of the baseline's (goal
≥ 0.9). A full send through the simulator at a million recipients
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

from seed import add_campaign, add_sender

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

    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    ctx = AppContext.from_settings(Settings(database_url=url))
    with ctx.db.write() as s:
        ws = auth.ensure_workspace(s, "bench")
        sender = add_sender(s, ws.id, "b", messaging_limit="TIER_UNLIMITED")
        campaign = add_campaign(
            s,
            ws.id,
            sender.id,
            body_params=["first_name"],
            state="RUNNING",
            total=rows,
            started_at=NOW,
        )
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


class Timing:
    """Wall-clock and CPU (this process: SQLite runs in it) seconds, of everything and of the
    claim transactions alone (the part the window changes)."""

    def __init__(self) -> None:
        self.wall = self.cpu = self.claim_wall = self.claim_cpu = 0.0
        self.sent = self.claims = 0


def run(template: Path, workdir: Path, shape: str, limit: int) -> Timing:
    """One run on a fresh copy."""
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
    t = Timing()
    started, started_cpu = time.perf_counter(), time.process_time()
    while sent < limit:
        c0, c0_cpu = time.perf_counter(), time.process_time()
        with ctx.db.write() as s:
            got = claim(
                s,
                1,
                clock=ctx.clock.now,
                limit=min(BATCH, limit - sent),
                lease=timedelta(seconds=60),
            )
        t.claim_wall += time.perf_counter() - c0
        t.claim_cpu += time.process_time() - c0_cpu
        t.claims += 1
        if not got.items:
            break
        ids = [i.id for i in got.items]
        with ctx.db.write() as s:
            repository.mark_started(s, ids, ctx.clock.now())
        outcomes = [Outcome(i, SendResult(message_id=f"wamid.{i.id}")) for i in got.items]
        with ctx.db.write() as s:
            record(s, outcomes, now=ctx.clock.now(), policy=policy)
        sent += len(ids)
    t.wall, t.cpu = time.perf_counter() - started, time.process_time() - started_cpu
    t.sent = sent
    ctx.db.engine.dispose()
    path.unlink()
    return t


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
        finding = find_due(template, shapes)
        runs: dict[str, list[Timing]] = {s: [] for s in shapes}
        for k in range(args.runs):
            # Interleaved, each round in a rotated order: a load that drifts during the run
            # (other work on the machine) hits every shape alike.
            order = shapes[k % len(shapes) :] + shapes[: k % len(shapes)]
            for shape in order:
                t = run(template, workdir, shape, limit)
                runs[shape].append(t)
                per = 1000 * t.claim_cpu / t.claims
                print(
                    f"  run {k + 1} {shape:>9}: {t.sent:,} sent, {t.sent / t.wall:,.0f} sends/s "
                    f"wall, {t.sent / t.cpu:,.0f}/s of CPU, claim {per:.1f} ms CPU per batch "
                    f"(load {_load()})",
                    flush=True,
                )
    print(
        f"\nmedians of {args.runs} runs (claim + start mark + record, batches of {BATCH}; "
        "ratio: shape / none):"
    )
    base = (
        {
            "wall": statistics.median(t.sent / t.wall for t in runs["none"]),
            "cpu": statistics.median(t.sent / t.cpu for t in runs["none"]),
            "claim": statistics.median(1000 * t.claim_cpu / t.claims for t in runs["none"]),
        }
        if "none" in runs
        else None
    )
    for shape in shapes:
        wall = statistics.median(t.sent / t.wall for t in runs[shape])
        cpu = statistics.median(t.sent / t.cpu for t in runs[shape])
        per = statistics.median(1000 * t.claim_cpu / t.claims for t in runs[shape])
        line = (
            f"  {shape:>9}: {wall:,.0f} sends/s wall, {cpu:,.0f} sends/s of CPU, claim "
            f"{per:.1f} ms CPU per batch, over {runs[shape][-1].sent:,} sent"
        )
        if base and shape != "none":
            line += (
                f"  ratios: wall {wall / base['wall']:.3f}, CPU {cpu / base['cpu']:.3f}, "
                f"claim CPU {per / base['claim']:.3f}"
            )
        print(line)
    print("finding a batch of 500 due recipients alone (which zones are open + the indexed query,")
    print("read-only, the full table; medians of 30, interleaved):")
    for shape in shapes:
        ms = statistics.median(finding[shape]) * 1000
        base_ms = statistics.median(finding["none"]) * 1000 if "none" in finding else None
        ratio = f"  {base_ms / ms:.3f} of none's rate" if base_ms and shape != "none" else ""
        print(f"  {shape:>9}: {ms:.2f} ms CPU{ratio}")
    print(f"load average {_load()}")


def find_due(template: Path, shapes: list[str]) -> dict[str, list[float]]:
    """CPU seconds of what a window changes in a claim: ``open_zones`` and the due query."""
    from relaybird.db import Database
    from relaybird.dispatcher import repository
    from relaybird.dispatcher.claim import open_zones
    from relaybird.models import Campaign

    db = Database(f"sqlite:///{template}")
    out: dict[str, list[float]] = {s: [] for s in shapes}
    with db.read() as s:
        campaign = s.get(Campaign, 1)
        assert campaign is not None
        for _ in range(30):
            for shape in shapes:
                window = SHAPES[shape]
                campaign.send_window = None if window is None else {**window, "days": DAYS}
                started = time.process_time()
                zones = open_zones(campaign, NOW)
                found = repository.due_recipients(s, 1, NOW, BATCH, None, zones)
                out[shape].append(time.process_time() - started)
                assert len(found) == BATCH
        s.rollback()
    db.engine.dispose()
    return out


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
