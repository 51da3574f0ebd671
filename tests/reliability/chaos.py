"""The chaos run (issue 8): a campaign on PostgreSQL driven by 2 `relaybird api` and 2
`relaybird worker` processes against the simulator set to 5xx bursts, 130429 storms, duplicate and
reordered webhooks, while one process is killed with SIGKILL every few seconds and restarted.

    python -m tests.reliability.chaos --recipients 20000 --kill-every 3

At the end it checks the invariants and prints its figures:
- every recipient is done sending (none INITIAL / IN_PROGRESS / RETRY_SCHEDULED);
- nobody was sent twice (the simulator's record of accepted sends);
- the per-state counters equal COUNT(*), and so do the activity counters (sent / delivered /
  read per quarter hour); every recipient's history is one valid chain;
- a second, small sender at TIER_250 never sent to more than 250 unique recipients;
- no event lost: one outbox event per history row.
`tests/reliability/test_chaos.py` runs a reduced version in `make test`.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from relaybird.db import Database
from relaybird.db import migrate as db_migrate
from relaybird.db.engine import normalise_url
from relaybird.lifecycles import LIFECYCLES
from relaybird.models import OutboxEvent, Recipient, Transition
from tests.factories import activity_and_counts, counters_and_counts

LIFECYCLES_BY_ENTITY = {m.entity: m.event_type for m in LIFECYCLES.values()}

KEY = "rbk_chaos_admin_key_0123456789abcdef"
SECRET = "chaos-app-secret"
PENDING = ("INITIAL", "IN_PROGRESS", "RETRY_SCHEDULED")
BIN = [sys.executable, "-m", "relaybird.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    health: str | None = None
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.starts += 1
        if self.health:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(self.health, timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} died:\n{self.log.read_text()[-3000:]}")
                time.sleep(0.1)
            raise RuntimeError(f"{self.name} did not become healthy")

    def kill9(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()


@dataclass
class Figures:
    recipients: int = 0
    sends_accepted: int = 0
    send_requests: int = 0
    duplicates: int = 0
    kills: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)
    limited_sender_unique: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"chaos: {self.recipients} recipients in {self.seconds:.0f} s, "
            f"{self.sends_accepted} sends accepted of {self.send_requests} requests, "
            f"kills={self.kills}, duplicates={self.duplicates}, "
            f"TIER_250 sender reached {self.limited_sender_unique} unique, states={self.states}, "
            f"errors={self.errors}"
        )


def create_database(admin_url: str) -> str:
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"relaybird_chaos_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = (
        make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    )
    db_migrate.upgrade(url)
    return url


def drop_database(admin_url: str, url: str) -> None:
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def run(
    pg_admin_url: str,
    workdir: Path,
    *,
    recipients: int = 20_000,
    kill_every: float = 3.0,
    min_kills: int = 0,
    timeout: float = 900.0,
    seed: int = 7,
    storm_for: float = 30.0,
    verbose: bool = True,
) -> Figures:
    rnd = random.Random(seed)
    url = create_database(pg_admin_url)
    figures = Figures(recipients=recipients)
    procs: list[Proc] = []
    clients: list[httpx.Client] = []
    try:
        sim_port, api_ports = free_port(), [free_port(), free_port()]
        sim_url = f"http://127.0.0.1:{sim_port}"
        env = {
            **os.environ,
            "RELAYBIRD_DATABASE_URL": url,
            "RELAYBIRD_GRAPH_API_URL": sim_url,
            "RELAYBIRD_WHATSAPP_APP_SECRET": SECRET,
            "RELAYBIRD_BOOTSTRAP_ADMIN_KEY": KEY,
            "RELAYBIRD_LEASE": "10s",
            "RELAYBIRD_SEND_TIMEOUT": "4s",
            "RELAYBIRD_RETRY_BASE": "200ms",
            "RELAYBIRD_MAX_ATTEMPTS": "10",
            "RELAYBIRD_SESSION_SECRET": "chaos",
        }
        sim = Proc(
            "simulator",
            [
                *BIN,
                "simulator",
                "--port",
                str(sim_port),
                "--app-secret",
                SECRET,
                "--seed",
                str(seed),
                "--webhook-url",
                f"http://127.0.0.1:{api_ports[0]}/webhooks/whatsapp",
                "--throughput",
                "400",
                "--batch-max",
                "20",
                "--clock-factor",
                "0",
            ],
            env,
            workdir / "simulator.log",
            health=f"{sim_url}/_sim/config",
        )
        sim.start()
        procs.append(sim)
        httpx.post(
            f"{sim_url}/_sim/config",
            json={
                "error_rates": {"131000": 0.02, "130429": 0.02},
                "duplicate_p": 0.15,
                "reorder_p": 0.15,
                "webhook_retries": 200,
                "delivered_p": 0.98,
                "read_p": 0.5,
            },
        ).raise_for_status()
        apis = [
            Proc(
                f"api{i}",
                [*BIN, "api", "--port", str(p)],
                env,
                workdir / f"api{i}.log",
                health=f"http://127.0.0.1:{p}/healthz",
            )
            for i, p in enumerate(api_ports, 1)
        ]
        workers = [
            Proc(f"worker{i}", [*BIN, "worker"], env, workdir / f"worker{i}.log") for i in (1, 2)
        ]
        for p in [*apis, *workers]:
            p.start()
            procs.append(p)

        api = httpx.Client(
            base_url=f"http://127.0.0.1:{api_ports[1]}",
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=120,
        )
        clients.append(api)
        big = _sender(api, sim_url, "5001", "TIER_100K")
        small = _sender(api, sim_url, "5002", "TIER_250")
        big_cid = _campaign(
            api,
            big,
            [
                f"+1303555{i:04d}" if i < 10_000 else f"+1404555{i - 10_000:04d}"
                for i in range(recipients)
            ],
        )
        small_cid = _campaign(api, small, [f"+1505555{i:04d}" for i in range(400)])
        t0 = time.monotonic()
        api.post(f"/api/v1/campaigns/{big_cid}/start").raise_for_status()
        api.post(f"/api/v1/campaigns/{small_cid}/start").raise_for_status()

        db = Database(url, pool_size=2)
        next_kill = time.monotonic() + kill_every
        next_burst = time.monotonic() + 2
        storms_over = False
        while time.monotonic() - t0 < timeout:
            pending = _pending(db, big_cid)
            # A run that finished before its kills (a fast machine, a quiet one) goes on killing
            # through the settling webhooks: the invariants must hold across at least that many.
            if pending == 0 and figures.kills >= min_kills:
                break
            now = time.monotonic()
            # 5xx bursts and 130429 storms for the first ``storm_for`` seconds, on top of the
            # random error rates that last the whole run (a storm that never ends is an outage).
            if not storms_over and now - t0 >= storm_for:
                # The simulator's faults are counted, not timed: what the backing-off
                # dispatcher has not met yet would outlast the storm. The storm ends now.
                httpx.delete(f"{sim_url}/_sim/faults")
                storms_over = True
            if now >= next_burst and now - t0 < storm_for:
                code = rnd.choice([131000, 130429])
                httpx.post(
                    f"{sim_url}/_sim/faults",
                    json={"kind": "error", "code": code, "count": rnd.randint(20, 80)},
                )
                next_burst = now + rnd.uniform(2, 5)
            if now >= next_kill:
                victim = rnd.choice([*apis, *workers])
                victim.kill9()
                figures.kills += 1
                if verbose:
                    print(
                        f"  t={now - t0:5.1f}s kill -9 {victim.name}; {pending} pending", flush=True
                    )
                victim.start()
                next_kill = time.monotonic() + kill_every
            time.sleep(0.2)
        figures.seconds = time.monotonic() - t0
        httpx.delete(f"{sim_url}/_sim/faults")
        _settle(sim_url, db, big_cid)
        figures = _check(db, sim_url, big_cid, small_cid, figures)
        db.dispose()
        return figures
    finally:
        for c in clients:
            c.close()
        for p in reversed(procs):
            p.stop()
        drop_database(pg_admin_url, url)


def _sender(api: httpx.Client, sim_url: str, pnid: str, tier: str) -> int:
    httpx.post(
        f"{sim_url}/_sim/numbers",
        json={
            "phone_number_id": pnid,
            "access_token": f"tok-{pnid}",
            "tier": tier,
            "throughput_mps": 400,
        },
    ).raise_for_status()
    r = api.post(
        "/api/v1/senders",
        json={
            "name": f"chaos {pnid}",
            "phone_number_id": pnid,
            "display_phone_number": f"+1555000{pnid}",
            "access_token": f"tok-{pnid}",
        },
    )
    r.raise_for_status()
    sid = int(r.json()["id"])
    api.post(f"/api/v1/senders/{sid}/sync").raise_for_status()
    return sid


def _campaign(api: httpx.Client, sender: int, phones: list[str]) -> int:
    r = api.post(
        "/api/v1/campaigns",
        json={
            "name": "chaos",
            "sender_id": sender,
            "template": {"name": "hello", "language": "en"},
        },
    )
    r.raise_for_status()
    cid = int(r.json()["id"])
    body = "\n".join(["phone", *phones]).encode()
    up = api.post(
        f"/api/v1/campaigns/{cid}/recipients",
        params={"wait": 300},
        files={"file": ("list.csv", body, "text/csv")},
    )
    assert up.status_code == 200 and up.json().get("accepted") == len(phones), up.text
    return cid


def _pending(db: Database, cid: int) -> int:
    with db.read() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Recipient)
                .where(Recipient.campaign_id == cid, Recipient.state.in_(PENDING))
            )
            or 0
        )


def _settle(sim_url: str, db: Database, cid: int, quiet: float = 3.0, limit: float = 120.0) -> None:
    """Wait until the simulator has no webhook left to send and our states stop moving."""
    deadline = time.monotonic() + limit
    last, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        hooks = httpx.get(f"{sim_url}/_sim/webhooks").json()
        with db.read() as s:
            snapshot = (
                hooks.get("pending"),
                s.scalar(select(func.count()).select_from(Transition)),
            )
        if snapshot != last:
            last, stable_since = snapshot, time.monotonic()
        elif time.monotonic() - stable_since >= quiet:
            return
        time.sleep(0.5)


def _check(db: Database, sim_url: str, big: int, small: int, figures: Figures) -> Figures:
    sent = httpx.get(f"{sim_url}/_sim/sent").json()["items"]
    requests = httpx.get(f"{sim_url}/_sim/requests").json()["count"]
    per_phone = collections.Counter(s["to"] for s in sent)
    figures.sends_accepted = len(sent)
    figures.send_requests = int(requests)
    figures.duplicates = sum(n - 1 for n in per_phone.values() if n > 1)
    small_phones = {p for p in per_phone if p.startswith("1505555")}
    figures.limited_sender_unique = len(small_phones)
    with db.read() as s:
        states = dict(
            s.execute(
                select(Recipient.state, func.count())
                .where(Recipient.campaign_id == big)
                .group_by(Recipient.state)
            ).all()
        )
        figures.states = {k: int(v) for k, v in states.items()}
        problems: list[str] = []
        if any(states.get(p) for p in PENDING):
            problems.append(f"recipients not done: {states}")
        if sum(states.values()) != figures.recipients:
            problems.append(f"total {sum(states.values())} != {figures.recipients}")
        for cid in (big, small):
            counters, counted = counters_and_counts(s, cid)
            if counted != counters:
                problems.append(f"campaign {cid}: counters {counters} != COUNT(*) {counted}")
            per_quarter, stamped = activity_and_counts(s, cid)
            if per_quarter != stamped:
                problems.append(
                    f"campaign {cid}: activity counters {per_quarter} != COUNT(*) {stamped}"
                )
        chains = collections.defaultdict(list)
        for eid, frm, to in s.execute(
            select(Transition.entity_id, Transition.from_state, Transition.to_state)
            .where(Transition.entity == "recipient")
            .order_by(Transition.id)
        ):
            chains[eid].append((frm, to))
        broken = [
            rid
            for rid, chain in chains.items()
            if any(a[1] != b[0] for a, b in itertools.pairwise(chain))
        ]
        if broken:
            problems.append(
                f"{len(broken)} recipients with a broken history chain, e.g. {broken[:3]}"
            )
        # Every history row has its state-change event (written in the same transaction).
        hist = dict(
            s.execute(select(Transition.entity, func.count()).group_by(Transition.entity)).all()
        )
        for entity, n_hist in hist.items():
            event_type = LIFECYCLES_BY_ENTITY[entity]
            n_out = (
                s.scalar(
                    select(func.count())
                    .select_from(OutboxEvent)
                    .where(OutboxEvent.type == event_type)
                )
                or 0
            )
            if n_hist != n_out:
                problems.append(f"{entity}: history rows {n_hist} != {event_type} events {n_out}")
        figures.errors = {
            str(k): int(v)
            for k, v in s.execute(
                select(Recipient.error_title, func.count())
                .where(Recipient.campaign_id == big, Recipient.state == "ERROR")
                .group_by(Recipient.error_title)
            ).all()
        }
    if figures.duplicates:
        problems.append(f"{figures.duplicates} duplicate sends")
    if figures.limited_sender_unique > 250:
        problems.append(f"TIER_250 sender reached {figures.limited_sender_unique} recipients")
    if problems:
        raise AssertionError(
            "chaos invariants broken:\n" + "\n".join(problems) + "\n" + figures.line()
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "RELAYBIRD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    workdir = Path("bench/out/chaos")
    workdir.mkdir(parents=True, exist_ok=True)
    figures = run(
        args.postgres,
        workdir,
        recipients=args.recipients,
        kill_every=args.kill_every,
        timeout=args.timeout,
        seed=args.seed,
    )
    print(figures.line())
    print(json.dumps(figures.__dict__))


if __name__ == "__main__":
    main()
