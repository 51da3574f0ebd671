"""Webhook ingest benchmark (DESIGN.md §6: ≥ 5,000 status events/s acknowledged durably,
p99 ≤ 50 ms).

    python bench/webhooks.py [--per-body 1,50] [--levels 1,8,32,64] [--seconds 3] [--postgres URL]
                             [--applier-only EVENTS] [--profile DIR] [--repeat N]

1. Starts `relaybird api` (the real app under uvicorn, no background loops) in its own process on
   a fresh database (a SQLite file by default).
2. A separate client process posts signed status webhooks (``--per-body`` statuses per POST, as
   Meta batches them) at rising concurrency; every 200 means the body was committed. It reports
   events/s acknowledged and request latency p50/p99 per level.
   Baseline, same run and same server: the same POSTs wrongly signed (read, HMAC-checked,
   answered 401, nothing stored), i.e. the receiver without the durable write.
3. The applier then applies everything stored (statuses move real recipients SENT → DELIVERED);
   events/s, against a parse-only baseline over the same bodies and, on SQLite, a write floor:
   as many moves (DELIVERED → READ) written by the bare sqlite3 module with their history and
   outbox rows, in the applier's batch size, i.e. the applier with no Python around its writes.

``--applier-only EVENTS`` skips the HTTP part: EVENTS statuses are stored straight into the inbox
(bodies of the first ``--per-body`` size) and only the applier is measured. ``--profile DIR``
records py-spy flame graphs (DIR/applier.svg, and DIR/door.svg for the server during the signed
one-status-per-POST runs) while measuring; py-spy is in the dev extras.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SECRET = "bench-app-secret"
POOL = 400_000  # recipients with wamids the statuses refer to


# --- client (a separate process) -------------------------------------------------------------


def client_main(
    url: str, concurrency: int, seconds: float, per_body: int, start: int, sign: bool
) -> None:
    import aiohttp

    from relaybird.providers.whatsapp import signature

    counter = iter(range(start, 10**12))
    latencies: list[float] = []
    codes: dict[int, int] = {}
    nonce = uuid.uuid4().hex[:8]

    def body() -> bytes:
        return status_body(counter, per_body, nonce)

    async def worker(http: aiohttp.ClientSession, deadline: float) -> None:
        while time.perf_counter() < deadline:
            raw = body()
            sig = signature.sign(raw, SECRET if sign else "wrong-secret")
            headers = {"Content-Type": "application/json", signature.HEADER: sig}
            t0 = time.perf_counter()
            async with http.post(url, data=raw, headers=headers) as response:
                await response.read()
                latencies.append(time.perf_counter() - t0)
                codes[response.status] = codes.get(response.status, 0) + 1

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            # Warm the connections up outside the measurement.
            await asyncio.gather(
                *(
                    http.get(url.replace("/webhooks/whatsapp", "/healthz"))
                    for _ in range(concurrency)
                )
            )
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(http, t0 + seconds) for _ in range(concurrency)))
            return time.perf_counter() - t0

    elapsed = asyncio.run(main())
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "latencies": latencies,
                "codes": codes,
                "used": next(counter) - start,
            }
        )
    )


def status_body(counter: Any, per_body: int, nonce: str) -> bytes:
    """A signed-to-be body of ``per_body`` delivered statuses for pool wamids (as Meta sends)."""
    from relaybird.providers.whatsapp import wire

    statuses = [
        wire.status_object(
            f"wamid.B{next(counter) % POOL}", "delivered", "15550001111", 1_700_000_000
        )
        for _ in range(per_body)
    ]
    value = wire.messages_value("bench-pn", "15550000000", statuses=statuses)
    envelope = wire.envelope("bench-waba", "messages", value)
    envelope["entry"][0]["nonce"] = nonce  # every body distinct: nothing deduplicated
    return json.dumps(envelope).encode()


def run_client(
    url: str, concurrency: int, seconds: float, per_body: int, start: int, sign: bool
) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "client",
            url,
            str(concurrency),
            str(seconds),
            str(per_body),
            str(start),
            "1" if sign else "0",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    lat = sorted(result["latencies"])
    ok = result["codes"].get("200", 0) if sign else result["codes"].get("401", 0)
    result["requests_per_s"] = ok / result["elapsed"]
    result["events_per_s"] = ok * per_body / result["elapsed"]
    result["p50_ms"] = 1000 * lat[len(lat) // 2] if lat else float("nan")
    result["p99_ms"] = 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    result["ok"] = ok
    del result["latencies"]
    return result


# --- server and database ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(url: str) -> None:
    from sqlalchemy import insert
    from tests.factories import make_campaign, make_sender, make_workspace

    from relaybird.db import Database
    from relaybird.db import migrate as db_migrate
    from relaybird.kit.time import utcnow
    from relaybird.models import Recipient

    db_migrate.upgrade(url)
    db = Database(url)
    now = utcnow()
    with db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws, phone_number_id="bench-pn")
        campaign = make_campaign(session, ws, sender, state="RUNNING")
        for lo in range(0, POOL, 50_000):
            session.execute(
                insert(Recipient),
                [
                    {
                        "workspace_id": ws,
                        "campaign_id": campaign,
                        "row_number": i + 2,
                        "phone": f"+1555{i:07d}",
                        "params": [],
                        "state": "SENT",
                        "wamid": f"wamid.B{i}",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(lo, min(POOL, lo + 50_000))
                ],
            )
        from relaybird.campaigns.recipients import add_counts

        add_counts(session, {(campaign, "SENT"): POOL})
    db.dispose()


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RELAYBIRD_DATABASE_URL": url,
        "RELAYBIRD_WHATSAPP_APP_SECRET": SECRET,
        "RELAYBIRD_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "relaybird"), "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import urllib.request

    for _ in range(1200):  # a loaded machine can take a minute to start it
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                detail = proc.stderr.read().decode() if proc.stderr else "server died"
                raise SystemExit(detail) from None
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


@contextlib.contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """py-spy records ``pid`` into the flame graph ``out`` while the block runs (None: not)."""
    if out is None:
        yield
        return
    spy_args = ["record", "--pid", str(pid), "--output", str(out), "--rate", "250"]
    if out.suffix == ".txt":  # collapsed stacks, for reading with other tools
        spy_args += ["--format", "raw"]
    spy = subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), *spy_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # let it attach
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def store_directly(url: str, events: int, per_body: int) -> None:
    """``events`` statuses into the inbox as the door stores them, without the HTTP part."""
    import hashlib

    from relaybird.db import Database
    from relaybird.inbox import repository as repo
    from relaybird.kit.time import utcnow

    db = Database(url)
    counter = iter(range(10**12))
    nonce = uuid.uuid4().hex[:8]
    bodies = [status_body(counter, per_body, nonce) for _ in range(max(1, events // per_body))]
    for lo in range(0, len(bodies), 1000):
        with db.write() as session:
            repo.insert_ignore(
                session,
                [
                    repo.NewEvent("whatsapp", hashlib.sha256(b).hexdigest(), b, utcnow())
                    for b in bodies[lo : lo + 1000]
                ],
            )
    db.dispose()


# --- applier ---------------------------------------------------------------------------------


def measure_applier(url: str, profile: Path | None = None) -> tuple[float, float, int]:
    from relaybird.config import Settings
    from relaybird.context import AppContext
    from relaybird.inbox import applier
    from relaybird.models import InboxEvent
    from relaybird.providers.whatsapp.parse import parse_body
    from relaybird.wiring import registered_handlers

    ctx = AppContext.from_settings(Settings(database_url=url))
    with ctx.db.read() as session:
        from sqlalchemy import select

        bodies = [bytes(b) for b in session.scalars(select(InboxEvent.body).limit(20_000))]

    def parse_pass() -> tuple[int, float]:
        t0 = time.perf_counter()
        return sum(len(parse_body(b)) for b in bodies), time.perf_counter() - t0

    # The baseline is parsed once before and once after the applier and both passes are summed,
    # so a burst of load from other processes skews both figures alike.
    first = parse_pass()

    registry = registered_handlers()
    events = 0
    with profiled(os.getpid(), profile):
        t0 = time.perf_counter()
        while (step := applier.apply_batch(ctx, registry, limit=applier.BATCH_ROWS)).rows:
            events += step.events
        elapsed = time.perf_counter() - t0
    second = parse_pass()
    parse_rate = (first[0] + second[0]) / (first[1] + second[1])
    ctx.db.dispose()
    return events / elapsed, parse_rate, events


def measure_write_floor(url: str, events: int) -> float:
    """What the applier's writes cost SQLite alone: ``events`` moves (DELIVERED → READ of the
    recipients the applier just moved, so the same table, indexes and row sizes) written by the
    sqlite3 module with prepared rows, in batches of 2,000 like an applier step, each batch its
    history and outbox rows. The applier cannot be faster than this on this machine; the ratio
    says how much of its time is Python around the writes."""
    import json as _json
    import sqlite3

    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    ids = [
        (rid, ws)
        for rid, ws in conn.execute(
            "SELECT id, workspace_id FROM recipients WHERE state = 'DELIVERED' LIMIT ?", (events,)
        )
    ]
    stamp = "2026-12-01 00:00:00.000000"
    t0 = time.perf_counter()
    for lo in range(0, len(ids), 2000):
        batch = ids[lo : lo + 2000]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "UPDATE recipients SET state = 'READ', read_at = ?, updated_at = ?"
            " WHERE id = ? AND state = 'DELIVERED'",
            [(stamp, stamp, rid) for rid, _ in batch],
        )
        conn.executemany(
            "INSERT INTO transitions (workspace_id, entity, entity_id, from_state, to_state,"
            " event, actor, reason, error_code, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    ws,
                    "recipient",
                    rid,
                    "DELIVERED",
                    "READ",
                    "status_read",
                    "webhook",
                    None,
                    None,
                    stamp,
                )
                for rid, ws in batch
            ],
        )
        conn.executemany(
            "INSERT INTO outbox_events (workspace_id, type, entity, entity_id, payload,"
            " created_at) VALUES (?,?,?,?,?,?)",
            [
                (
                    ws,
                    "recipient.state_changed",
                    "recipient",
                    rid,
                    _json.dumps(
                        {
                            "type": "recipient.state_changed",
                            "occurred_at": stamp,
                            "data": {"id": rid, "from": "DELIVERED", "to": "READ"},
                        }
                    ),
                    stamp,
                )
                for rid, ws in batch
            ],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return len(ids) / elapsed if elapsed else 0.0


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--per-body", default="1,50", help="statuses per POST (comma list)")
    parser.add_argument("--levels", default="1,8,32,64", help="client concurrency (comma list)")
    parser.add_argument("--seconds", type=float, default=3.0, help="per level")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="alternate baseline and signed runs this many times per shape; print medians",
    )
    parser.add_argument(
        "--postgres",
        default=None,
        help="an admin PostgreSQL URL: benchmark on a fresh database there",
    )
    parser.add_argument(
        "--applier-only",
        type=int,
        default=0,
        metavar="EVENTS",
        help="skip the HTTP part: store EVENTS statuses directly, measure the applier",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="record py-spy flame graphs into DIR (applier.svg, door.svg)",
    )
    parser.add_argument(
        "--profile-format",
        choices=("svg", "txt"),
        default="svg",
        help="flame graphs (svg) or collapsed stacks (txt)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)

    tmp = tempfile.mkdtemp(prefix="relaybird-bench-")
    pg_name = None
    if args.postgres:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from relaybird.db.engine import normalise_url

        admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
        pg_name = f"relaybird_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        url = (
            make_url(normalise_url(args.postgres))
            .set(database=pg_name)
            .render_as_string(hide_password=False)
        )
    else:
        url = f"sqlite:///{tmp}/bench.db"
    print(f"database: {url.split('@')[-1]}  (preparing {POOL:,} recipients)")
    prepare_database(url)
    if args.applier_only:
        store_directly(url, args.applier_only, int(args.per_body.split(",")[0]))
    else:
        run_door(url, args)
    applier_svg = args.profile / f"applier.{args.profile_format}" if args.profile else None
    rate, parse_rate, events = measure_applier(url, applier_svg)
    print(
        f"\nAPPLIER  {events:,} stored status events applied (SENT → DELIVERED on real recipients,"
        f" where the wamid pool allows)   load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"  applier: {rate:,.0f} events/s   parse-only baseline: {parse_rate:,.0f} events/s"
        f"   ratio {rate / parse_rate:.2f}"
    )
    if pg_name is None:
        floor = measure_write_floor(url, events)
        print(
            f"  write floor: {floor:,.0f} moves/s (raw sqlite3, no Python logic: per 2,000"
            f" moves one executemany UPDATE of the state by id, one INSERT of history rows, one"
            f" of outbox rows, one commit)   applier / floor {rate / floor:.2f}"
        )
    if pg_name is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def run_door(url: str, args: argparse.Namespace) -> None:
    port = free_port()
    server = start_server(url, port)
    hook = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    start = 0
    rows: list[tuple[Any, ...]] = []
    try:
        shapes = [
            (per_body, level)
            for per_body in [int(x) for x in args.per_body.split(",")]
            for level in [int(x) for x in args.levels.split(",")]
        ]
        for per_body, level in shapes * args.repeat:
            base = run_client(hook, level, args.seconds, per_body, 10**9, sign=False)
            door_svg = None
            if args.profile and per_body == 1 and level == 8:
                door_svg = args.profile / f"door.{args.profile_format}"
            with profiled(server.pid, door_svg):
                real = run_client(hook, level, args.seconds, per_body, start, sign=True)
            start += real["used"]
            ratio = real["requests_per_s"] / base["requests_per_s"] if base["ok"] else 0
            rows.append(
                (
                    per_body,
                    level,
                    real["events_per_s"],
                    real["requests_per_s"],
                    real["p50_ms"],
                    real["p99_ms"],
                    base["requests_per_s"],
                    base["p99_ms"],
                    ratio,
                    sum(real["codes"].values()) - real["ok"],
                )
            )
    finally:
        server.terminate()
        server.wait(10)

    print(
        "\nINGEST  (200 = committed; baseline = same POSTs wrongly signed → 401, nothing stored)"
        f"   load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'per POST':>8} {'conc':>5} {'events/s':>10} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f" | {'base req/s':>10} {'base p99':>8} {'ratio':>6} {'errors':>6}"
    )
    for r in rows:
        print(
            f"{r[0]:>8} {r[1]:>5} {r[2]:>10,.0f} {r[3]:>8,.0f} {r[4]:>7.1f} {r[5]:>7.1f}"
            f" | {r[6]:>10,.0f} {r[7]:>8.1f} {r[8]:>6.2f} {r[9]:>6}"
        )
    if args.repeat > 1:
        print(f"medians of {args.repeat} alternations (each signed run right after its baseline):")
        for per_body, level in dict.fromkeys((r[0], r[1]) for r in rows):
            runs = [r for r in rows if (r[0], r[1]) == (per_body, level)]
            m = [statistics.median(r[i] for r in runs) for i in range(2, 9)]
            print(
                f"{per_body:>8} {level:>5} {m[0]:>10,.0f} {m[1]:>8,.0f} {m[2]:>7.1f} {m[3]:>7.1f}"
                f" | {m[4]:>10,.0f} {m[5]:>8.1f} {m[6]:>6.2f}"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        a = sys.argv[2:]
        client_main(a[0], int(a[1]), float(a[2]), int(a[3]), int(a[4]), a[5] == "1")
    else:
        main()
