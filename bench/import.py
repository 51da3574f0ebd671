"""Import benchmark: a generated CSV of N rows (default 1,000,000) into a fresh SQLite database.

Prints rows/s and peak memory of the real importer (streamed read, E.164 validation, duplicate
check, chunked multi-row INSERTs, counters), beside a baseline measured in the same run: the bare
cost of reading the same file and validating every phone with no storage at all. Peak memory is
sampled for a file a tenth the size too, to show it stays flat in the row count. Then the
campaign summary the API serves at that size (per-state counters; goal ≤ 10 ms) beside the
COUNT(*) GROUP BY state it replaces.

    .venv/bin/python bench/import.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from seed import add_campaign, add_sender

from relaybird.campaigns.importer import check_header
from relaybird.campaigns.phones import check_chunk
from relaybird.campaigns.readers import Progress, read_rows
from relaybird.config import Settings
from relaybird.context import AppContext

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


WORKERS = 2
CORES = os.cpu_count() or 1


def generate(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    areas = ["212", "415", "646", "702", "305", "617"]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["phone", "first_name", "code"])
        for i in range(rows):
            r = rng.random()
            if r < 0.005:
                phone = ""
            elif r < 0.01:
                phone = "12345"
            elif r < 0.015 and i > 10:
                phone = f"+1{areas[0]}{2000000 + i - 5:07d}"  # a duplicate of an earlier row
            else:
                phone = f"+1{areas[i % len(areas)]}{2000000 + i:07d}"
            w.writerow([phone, f"name{i}", f"c{i % 97}"])


class PeakRss:
    """Samples the resident set size while running (ru_maxrss only ever grows per process)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self.base = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> float:
    """User + system CPU of this process (every thread) and its waited-for children (the
    validation workers): unlike the wall clock, barely moved by other load on the machine."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# tag → (CPU seconds of the process and its workers, CPU seconds of the importing thread)
CPU: dict[str, tuple[float, float]] = {}


def bare(path: Path) -> float:
    cpu0, thread0 = cpu_seconds(), time.thread_time()
    started = time.perf_counter()
    rows = read_rows(path, path.name, Progress())
    next(rows)
    chunk: list[tuple[int, list[str]]] = []
    for n, cells in enumerate(rows, start=2):
        chunk.append((n, cells))
        if len(chunk) == 5000:
            check_chunk(chunk, 0, (1, 2), ("first_name", "code"), "US")
            chunk = []
    check_chunk(chunk, 0, (1, 2), ("first_name", "code"), "US")
    elapsed = time.perf_counter() - started
    CPU["bare"] = (cpu_seconds() - cpu0, time.thread_time() - thread0)
    return elapsed


def real(path: Path, workdir: Path, tag: str) -> tuple[float, int, dict[str, int]]:
    from relaybird.auth import service as auth
    from relaybird.campaigns import repository
    from relaybird.campaigns.importer import run_import
    from relaybird.db import migrate

    url = f"sqlite:///{workdir / f'{tag}.db'}"
    migrate.upgrade(url)
    ctx = AppContext.from_settings(Settings(database_url=url, import_workers=WORKERS))
    with ctx.db.write() as s:
        ws = auth.ensure_workspace(s, "bench")
        sender = add_sender(s, ws.id, f"b-{tag}")
        campaign = add_campaign(
            s, ws.id, sender.id, body_params=["first_name", "code"], state="NOT_STARTED"
        )
        job = repository.add_import(
            s,
            workspace_id=ws.id,
            campaign_id=campaign.id,
            filename=path.name,
            state="RUNNING",
            errors=[],
            created_at=ctx.clock.now(),
        )
        cid, jid, ws_id = campaign.id, job.id, ws.id
    check_header(path, path.name, ["first_name", "code"])
    with PeakRss() as mem:
        cpu0, thread0 = cpu_seconds(), time.thread_time()
        started = time.perf_counter()
        run_import(ctx, jid, path, path.name)
        elapsed = time.perf_counter() - started
        CPU[tag] = (cpu_seconds() - cpu0, time.thread_time() - thread0)
    with ctx.db.read() as s:
        job = repository.import_by_id(s, jid)
        assert job is not None and job.state == "DONE", job and job.failure
        counts = repository.counts(s, [cid])[cid]
    SUMMARY[tag] = summary_times(ctx, ws_id, cid)
    ctx.db.dispose()
    return elapsed, mem.peak - mem.base, counts


# tag → (median ms of the campaign summary, median ms of the COUNT(*) GROUP BY baseline)
SUMMARY: dict[str, tuple[float, float]] = {}


def summary_times(ctx: AppContext, workspace_id: int, campaign_id: int) -> tuple[float, float]:
    """The campaign summary the API serves (per-state counters) beside what it would cost
    without them: COUNT(*) GROUP BY state over the campaign's recipients. Medians of 30."""
    from sqlalchemy import func, select

    from relaybird.campaigns import service
    from relaybird.models import Recipient

    def timed(fn: Any) -> float:
        times = []
        for _ in range(30):
            with ctx.db.read() as s:
                started = time.perf_counter()
                fn(s)
                times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    ours = timed(lambda s: service.summary(s, workspace_id, campaign_id))
    base = timed(
        lambda s: s.execute(
            select(Recipient.state, func.count())
            .where(Recipient.campaign_id == campaign_id)
            .group_by(Recipient.state)
        ).all()
    )
    return ours, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small, big = work / "small.csv", work / "big.csv"
        print(f"generating {args.rows:,} rows ...", flush=True)
        generate(small, args.rows // 10)
        generate(big, args.rows)
        print(f"file: {big.stat().st_size / 1e6:.1f} MB")
        _, mem_small, _ = real(small, work, "small")
        t_real, mem_real, counts = real(big, work, "big")
        t_bare = bare(big)
        print(f"rows imported:      {sum(counts.values()):,} ({counts})")
        print(
            f"relaybird import:   {t_real:6.2f} s   {args.rows / t_real:9,.0f} rows/s   goal ≤ 15 s"
        )
        print(f"bare read+validate: {t_bare:6.2f} s   {args.rows / t_bare:9,.0f} rows/s   (no DB)")
        print(f"ratio import/bare:  {t_bare / t_real:.2f}")
        (cpu_real, thread_real), (cpu_bare, _) = CPU["big"], CPU["bare"]
        # On an idle machine with `cores` cores the import takes at least its importing thread's
        # CPU time and its total CPU time spread over the cores: the figure other load hides.
        quiet = max(thread_real, cpu_real / CORES)
        print(
            f"CPU seconds:        import {cpu_real:.2f} (its importing thread {thread_real:.2f},"
            f" workers and the rest {cpu_real - thread_real:.2f}) · bare {cpu_bare:.2f}"
            f" · ratio {cpu_bare / cpu_real:.2f}"
        )
        print(
            f"idle-machine bound: {quiet:6.2f} s on {CORES} cores"
            " (max of the importing thread's CPU and all CPU / cores)"
        )
        print(
            f"peak memory growth: {mem_small / 1e6:6.1f} MB at {args.rows // 10:,} rows, "
            f"{mem_real / 1e6:6.1f} MB at {args.rows:,} rows"
        )
        ours, base = SUMMARY["big"]
        print(
            f"campaign summary at {sum(counts.values()):,} recipients: {ours:.2f} ms (median of 30;"
            f" goal ≤ 10 ms) · COUNT(*) GROUP BY state baseline {base:.0f} ms · {base / ours:,.0f}×"
        )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
