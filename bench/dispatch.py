"""Dispatch benchmark: a campaign of N recipients (default 100,000) end to end, beside a bare
aiohttp client posting the same number of sends to the same simulator in the same run.

Three processes, as in production: `relaybird simulator` (plays Meta, signed webhooks back),
`relaybird serve` (SQLite, API + dispatcher + webhook inbox/applier), and this driver. Prints
recipients/s until every recipient was sent (all persisted), recipients/s until every status
webhook was applied too, the bare client's sends/s, and the ratio (goal ≥ 0.8, and ≥ 1,000/s).

The cost model (docs/deploy.md, Sizing): for each shape it also prints the CPU time each process
spent per recipient, from the start of the campaigns until every webhook was applied, read from
the OS (/proc/<pid>/stat, children included): `serve` or `api` and each `worker`, the PostgreSQL
server processes serving the bench database (backends and autovacuum, found in
pg_stat_activity) and the server's shared background processes (WAL writer, checkpointer,
background writer: shared with anything else on that server), the simulator; and, for the bare
client's run, the client's and the simulator's CPU per send.

    .venv/bin/python bench/dispatch.py [--recipients 100000] [--runs 1] [--senders 1]
    .venv/bin/python bench/dispatch.py --postgres --workers 1,2 --senders 4

With --postgres the same run also measures PostgreSQL with one `relaybird api` and 1 (then 2)
`relaybird worker` processes, each shape against its own bare-client baseline, and prints one
table. One sender is driven by one worker at a time, so use --senders ≥ 2 to let workers share.

With --transient-errors P every shape also runs with P of the sends failing with 131000 ("something
went wrong": the recipient is retried, the sender must not slow down), and the table adds its
rate as a share of the clean run's in the same run (goal ≥ 0.9). --mps sets the numbers'
throughput (the provider's messages/s), e.g. the issue's shape:

    .venv/bin/python bench/dispatch.py --recipients 2000 --mps 1000 --transient-errors 0.05 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from relaybird.db import Database
from relaybird.db import migrate as db_migrate
from relaybird.db.engine import normalise_url
from relaybird.models import InboxEvent

KEY = "rbk_bench_admin_key_0123456789abcdef"
SECRET = "bench-app-secret"
PENDING = ("INITIAL", "IN_PROGRESS", "RETRY_SCHEDULED")
BIN = Path(sys.executable).parent / "relaybird"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def call(method: str, url: str, body: Any = None, raw: bytes | None = None, ctype: str = "") -> Any:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": ctype or "application/json"}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=600) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> tuple[float, int] | None:
    """(user + system CPU seconds, parent pid) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[1])


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (e.g. an import's process pool)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            got = _proc_cpu(int(entry))
            if got is not None:
                parents.setdefault(got[1], []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


@dataclass
class CpuMeter:
    """CPU seconds per role (a role: one or more processes) over a window, read from /proc.

    Sample often: a process first seen after ``start`` counts from 0 (it was born in the
    window), and one that ends keeps its last sampled figure (what it spent after that is lost,
    at most one sampling period)."""

    roles: dict[str, list[int]] = field(default_factory=dict)  # fixed processes (+ children)
    base: dict[tuple[str, int], float] = field(default_factory=dict)
    last: dict[tuple[str, int], float] = field(default_factory=dict)
    started: bool = False

    def start(self, postgres: list[tuple[str, int]] | None = None) -> None:
        self.sample(postgres)
        self.base = dict(self.last)
        self.started = True

    def sample(self, postgres: list[tuple[str, int]] | None = None) -> None:
        seen: list[tuple[str, int]] = list(postgres or [])
        for role, pids in self.roles.items():
            for pid in pids:
                seen += [(role, p) for p in _process_tree(pid)]
        for key in seen:
            got = _proc_cpu(key[1])
            if got is None:
                continue
            if key not in self.last and self.started:
                self.base.setdefault(key, 0.0)  # born in the window
            self.last[key] = got[0]

    def seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, value in self.last.items():
            out[key[0]] = out.get(key[0], 0.0) + value - self.base.get(key, value)
        return out


def postgres_processes(conn: Any, database: str) -> list[tuple[str, int]]:
    """The server processes of ``database`` (backends, autovacuum) and the shared ones."""
    rows = conn.execute(
        text(
            "SELECT pid, datname, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        )
    ).all()
    out: list[tuple[str, int]] = []
    for pid, datname, backend_type in rows:
        if datname == database:
            out.append(("postgres (bench db)", int(pid)))
        elif datname is None and backend_type in SHARED_BACKENDS:
            out.append(("postgres (shared bg)", int(pid)))
    return out


SHARED_BACKENDS = ("walwriter", "checkpointer", "background writer", "autovacuum launcher")


async def bare_client(sim_url: str, n: int, concurrency: int = 64) -> float:
    """The baseline: sends with no persistence at all, as fast as the simulator answers."""
    url = f"{sim_url}/v23.0/9990001/messages"
    headers = {"Authorization": "Bearer bare-token"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), headers=headers
    ) as http:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                body = {
                    "messaging_product": "whatsapp",
                    "to": f"1646{2000000 + i:07d}",
                    "type": "template",
                    "template": {"name": "t", "language": {"code": "en"}},
                }
                async with http.post(url, json=body) as response:
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each process (SIGINT to py-spy, first: it then writes its flame graph), then a
    kill for any still running 20 s later."""
    for p in reversed(procs):
        p.send_signal(signal.SIGINT if "py-spy" in str(p.args) else signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


def server_env(url: str, sim_url: str) -> dict[str, str]:
    """The environment of a relaybird server process on ``url`` sending to the simulator."""
    return {
        **os.environ,
        "RELAYBIRD_DATABASE_URL": url,
        "RELAYBIRD_GRAPH_API_URL": sim_url,
        "RELAYBIRD_WHATSAPP_APP_SECRET": SECRET,
        "RELAYBIRD_BOOTSTRAP_ADMIN_KEY": KEY,
        "RELAYBIRD_LOG_LEVEL": "WARNING",
    }


@dataclass(frozen=True)
class Shape:
    """One way of running relaybird: the embedded SQLite `serve`, or PostgreSQL with one `api`
    process and ``workers`` `worker` processes."""

    tag: str
    postgres: bool = False
    workers: int = 0
    errors: float = 0.0  # share of sends failing with 131000 (retried by recipient)
    clean: str | None = None  # the tag of the same shape without errors


@dataclass
class Result:
    bare: float  # seconds the bare client took
    t_sent: float
    t_all: float
    cpu: dict[str, float]  # role → CPU seconds from start until all applied
    bare_cpu: dict[str, float]  # role → CPU seconds during the bare client's run


def engine_run(
    workdir: Path,
    n: int,
    shape: Shape,
    senders: int,
    admin_url: str,
    mps: int = 1_000_000,
    profile: Path | None = None,
    profile_raw: bool = False,
    count_statements: Path | None = None,
) -> Result:
    tag = shape.tag
    sqlite_url = f"sqlite:///{workdir / f'{tag}-{uuid.uuid4().hex[:8]}.db'}"  # one per run
    url = create_database(admin_url) if shape.postgres else sqlite_url
    db_migrate.upgrade(url)
    sim_port, api_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    sim_url = f"http://127.0.0.1:{sim_port}"
    procs: list[subprocess.Popen[bytes]] = []
    log = (workdir / f"{tag}.log").open("ab")
    meter = CpuMeter()
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(BIN),
                    "simulator",
                    "--port",
                    str(sim_port),
                    "--app-secret",
                    SECRET,
                    "--throughput",
                    "1000000",
                    "--batch-max",
                    "100",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        meter.roles["simulator"] = [procs[0].pid]
        env = server_env(url, sim_url)
        commands = [[str(BIN), "api" if shape.postgres else "serve", "--port", str(api_port)]]
        commands += [[str(BIN), "worker"]] * shape.workers
        for k, command in enumerate(commands):
            role = command[1]
            if count_statements is not None:  # bench/sqlcount.py: statements per process
                count_statements.mkdir(parents=True, exist_ok=True)
                out = count_statements / f"{tag}-{role}-{k}-{uuid.uuid4().hex[:6]}.json"
                command = [sys.executable, str(Path(__file__).with_name("sqlcount.py")), str(out)]
                command += commands[k][1:]
            procs.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
            meter.roles.setdefault(role, []).append(procs[-1].pid)
        wait_http(f"{sim_url}/_sim/config")
        wait_http(f"{api}/healthz")
        bare_meter = CpuMeter({"simulator": [procs[0].pid]})
        bare_meter.start()
        client_cpu = time.process_time()
        bare = asyncio.run(bare_client(sim_url, n))
        bare_meter.sample()
        bare_cpu = bare_meter.seconds() | {"bare client": time.process_time() - client_cpu}
        print(f"  [{tag}] bare aiohttp client: {n / bare:,.0f} sends/s", flush=True)
        # No webhook URL during the bare run (its statuses are dropped: they are not ours);
        # relaybird's webhooks go on now.
        while call("GET", f"{sim_url}/_sim/webhooks")["pending"]:
            time.sleep(0.2)
        config: dict[str, Any] = {"webhook_url": f"{api}/webhooks/whatsapp"}
        if shape.errors:
            config["error_rates"] = {"131000": shape.errors}
        call("POST", f"{sim_url}/_sim/config", config)
        # Several sender numbers, one campaign each: one sender is driven by one worker at a
        # time (its lease), so a second worker can only help with a second sender.
        campaigns = []
        share = n // senders
        for k in range(senders):
            part = share if k < senders - 1 else n - share * (senders - 1)
            campaigns.append(_campaign(api, sim_url, url, k, part, mps))
        # One connection of the driver's own, to the bench database: it watches the inbox and
        # (PostgreSQL) lists the server processes serving that database.
        watcher = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        with watcher.connect() as conn:
            database = make_url(normalise_url(url)).database or ""

            def server() -> list[tuple[str, int]] | None:
                return postgres_processes(conn, database) if shape.postgres else None

            meter.start(server())
            if profile is not None:
                procs += spy(profile, tag, meter.roles, log, raw=profile_raw)
            started = time.perf_counter()
            for cid in campaigns:
                call("POST", f"{api}/api/v1/campaigns/{cid}/start")
            t_sent = None
            open_rows_q = (
                select(func.count())
                .select_from(InboxEvent)
                .where(InboxEvent.status.in_(["PENDING", "RETRY"]))
            )
            while True:
                totals: dict[str, int] = {}
                for cid in campaigns:
                    counts = call("GET", f"{api}/api/v1/campaigns/{cid}")["counts"]
                    for state, count in counts.items():
                        totals[state] = totals.get(state, 0) + int(count or 0)
                meter.sample(server())
                now = time.perf_counter()
                if t_sent is None and not any(totals.get(s) for s in PENDING):
                    t_sent = now - started
                    print(f"  [{tag}] all sent: {n / t_sent:,.0f} recipients/s", flush=True)
                if t_sent is not None:
                    sim = call("GET", f"{sim_url}/_sim/webhooks")
                    open_rows = conn.execute(open_rows_q).scalar()
                    if sim["pending"] == 0 and open_rows == 0:
                        t_all = now - started
                        break
                if now - started > 1800:
                    raise RuntimeError(f"not done after 30 min: {totals}")
                time.sleep(0.2)
            failed = conn.execute(
                text(
                    "SELECT error_title, count(*) FROM recipients WHERE state IN"
                    " ('ERROR', 'SENDING_FAILED') GROUP BY error_title ORDER BY 2 DESC LIMIT 5"
                )
            ).all()
            if failed:
                print(f"  [{tag}] failed sends: {[tuple(r) for r in failed]}", flush=True)
        watcher.dispose()
        print(f"  [{tag}] final counts: { {k: v for k, v in totals.items() if v} }")
        return Result(bare, t_sent, t_all, meter.seconds(), bare_cpu)
    finally:
        stop(procs)
        log.close()
        if shape.postgres:
            drop_database(admin_url, url)


def spy(
    folder: Path, tag: str, roles: dict[str, list[int]], log: Any, raw: bool = False
) -> list[subprocess.Popen[bytes]]:
    """py-spy flame graphs of relaybird's own processes (not the simulator) while the campaign
    runs: ``folder/<shape>-<process>[-k].svg`` (``raw``: collapsed stacks, ``.txt``)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for role, pids in roles.items():
        if role == "simulator":
            continue
        for k, pid in enumerate(pids):
            name = f"{tag}-{role}" + (f"-{k + 1}" if len(pids) > 1 else "") + ".svg"
            command = [str(BIN.parent / "py-spy"), "record", "--nonblocking", "--subprocesses"]
            if raw:
                command += ["--format", "raw"]
                name = name.replace(".svg", ".txt")
            command += ["--rate", "200", "-o", str(folder / name), "--pid", str(pid)]
            out.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
    return out


def _campaign(api: str, sim_url: str, url: str, k: int, n: int, mps: int) -> int:
    """Sender number ``k`` (unlimited tier, ``mps`` messages/s) with a campaign of ``n``
    imported recipients."""
    pnid, token = f"bench-{k}", f"bench-token-{k}"
    sender = _sender(url, pnid, token, mps)
    call(
        "POST",
        f"{sim_url}/_sim/numbers",
        {
            "phone_number_id": pnid,
            "access_token": token,
            "tier": "TIER_UNLIMITED",
            "throughput_mps": mps,
        },
    )
    cid = int(
        call(
            "POST",
            f"{api}/api/v1/campaigns",
            {
                "name": f"bench {k}",
                "sender_id": sender,
                "template": {"name": "t", "language": "en", "body_params": ["name"]},
            },
        )["id"]
    )
    base = 2_000_000 + k * 1_000_000
    rows = "phone,name\n" + "\n".join(f"+1212{base + i:07d},n{i}" for i in range(n))
    boundary = "benchboundary"
    raw = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.csv"\r\n\r\n'
        ).encode()
        + rows.encode()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    summary = call(
        "POST",
        f"{api}/api/v1/campaigns/{cid}/recipients?wait=600",
        raw=raw,
        ctype=f"multipart/form-data; boundary={boundary}",
    )
    assert summary["accepted"] == n, summary
    return cid


def create_database(admin_url: str) -> str:
    """A fresh database on the PostgreSQL server of ``admin_url``; returns its URL."""
    name = f"relaybird_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return (
        make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    )


def drop_database(admin_url: str, url: str) -> None:
    engine = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def _sender(url: str, pnid: str, token: str, mps: int) -> int:
    from relaybird.auth import service as auth
    from relaybird.models import Sender

    db = Database(url)
    with db.write() as s:
        ws = auth.ensure_workspace(s, "default")
        sender = Sender(
            workspace_id=ws.id,
            name=pnid,
            phone_number_id=pnid,
            display_phone_number="+1 555 0199",
            access_token=token,
            status="CONNECTED",
            messaging_limit="TIER_UNLIMITED",
            throughput_mps=mps,
        )
        s.add(sender)
        s.flush()
        sender_id = sender.id
    db.dispose()
    return sender_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--senders", type=int, default=1, help="sender numbers (one campaign each) to share n over"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also run on PostgreSQL (1 api + each --workers count), beside SQLite, in this run",
    )
    parser.add_argument(
        "--workers",
        default="1,2",
        help="worker process counts for --postgres, e.g. 1,2 (or 1|2)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "RELAYBIRD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a server where the benchmark may create and drop its own database",
    )
    parser.add_argument(
        "--mps", type=int, default=1_000_000, help="each number's throughput (messages/s)"
    )
    parser.add_argument(
        "--transient-errors",
        type=float,
        default=0.0,
        help="also run every shape with this share of sends failing with 131000, e.g. 0.05",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write py-spy flame graphs of serve/api/worker into this folder (py-spy installed)",
    )
    parser.add_argument(
        "--profile-format",
        choices=("svg", "txt"),
        default="svg",
        help="with --profile: flame graphs (svg) or collapsed stacks (txt)",
    )
    parser.add_argument(
        "--count-statements",
        type=Path,
        help="run relaybird under bench/sqlcount.py: SQL statements per process into this folder",
    )
    args = parser.parse_args()
    n = args.recipients
    shapes = [Shape("sqlite-serve")]
    if args.postgres:
        for w in (int(x) for x in args.workers.replace("|", ",").split(",") if x.strip()):
            shapes.append(Shape(f"postgres-1api-{w}worker", True, w))
    if args.transient_errors:
        pct = f"{args.transient_errors:.0%}"
        shapes += [
            Shape(f"{sh.tag}+{pct}-131000", sh.postgres, sh.workers, args.transient_errors, sh.tag)
            for sh in shapes
        ]
    results: dict[str, dict[str, list[float]]] = {
        sh.tag: {"bare": [], "sent": [], "all": []} for sh in shapes
    }
    cpu: dict[str, dict[str, list[float]]] = {sh.tag: {} for sh in shapes}  # ms per recipient
    bare_cpu: dict[str, dict[str, list[float]]] = {sh.tag: {} for sh in shapes}  # ms per send
    cores: dict[str, dict[str, list[float]]] = {sh.tag: {} for sh in shapes}  # CPU s / wall s
    loads: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for shape in shapes:
                loads.append(Path("/proc/loadavg").read_text().split()[0])
                got = engine_run(
                    Path(tmp),
                    n,
                    shape,
                    args.senders,
                    args.postgres_url,
                    args.mps,
                    args.profile,
                    args.profile_format == "txt",
                    args.count_statements,
                )
                r = results[shape.tag]
                r["bare"].append(n / got.bare)
                r["sent"].append(n / got.t_sent)
                r["all"].append(n / got.t_all)
                for role, seconds in got.cpu.items():
                    cpu[shape.tag].setdefault(role, []).append(1000 * seconds / n)
                    cores[shape.tag].setdefault(role, []).append(seconds / got.t_all)
                for role, seconds in got.bare_cpu.items():
                    bare_cpu[shape.tag].setdefault(role, []).append(1000 * seconds / n)
                print(
                    f"  run {run + 1} {shape.tag}: bare {n / got.bare:,.0f}/s · relaybird sent"
                    f" {n / got.t_sent:,.0f}/s · all webhooks applied {n / got.t_all:,.0f}/s"
                    f" · load {loads[-1]}",
                    flush=True,
                )
    print(
        f"\nrecipients: {n:,} over {args.senders} sender(s); medians of {args.runs} run(s);"
        f" load average (1 min) at each run's start: {', '.join(loads)};"
        " goal ≥ 1,000 recipients/s and ratio ≥ 0.8"
    )
    print(
        f"{'shape':<28} {'bare sends/s':>13} {'SENT rec/s':>11} {'applied rec/s':>14} {'ratio':>6}"
    )
    for shape in shapes:
        r = results[shape.tag]
        bare_m, sent_m, all_m = (statistics.median(r[k]) for k in ("bare", "sent", "all"))
        versus = ""
        if shape.clean is not None:
            clean_m = statistics.median(results[shape.clean]["sent"])
            versus = f"  {sent_m / clean_m:.2f} of the clean run's SENT rate (goal ≥ 0.9)"
        print(
            f"{shape.tag:<28} {bare_m:>13,.0f} {sent_m:>11,.0f} {all_m:>14,.0f}"
            f" {sent_m / bare_m:>6.2f}{versus}"
        )
    print(
        "\nCPU per recipient, from the start until every webhook was applied (ms; medians), and"
        " the cores each role kept busy meanwhile"
    )
    print(f"{'shape':<28} {'process':<22} {'CPU ms/recipient':>17} {'cores busy':>11}")
    for shape in shapes:
        total = 0.0
        for role, values in sorted(cpu[shape.tag].items()):
            ms = statistics.median(values)
            total += ms
            busy = statistics.median(cores[shape.tag][role])
            print(f"{shape.tag:<28} {role:<22} {ms:>17.3f} {busy:>11.2f}")
        print(f"{shape.tag:<28} {'all of the above':<22} {total:>17.3f}")
        for role, values in sorted(bare_cpu[shape.tag].items()):
            print(f"{shape.tag:<28} {role + ' (bare run)':<22} {statistics.median(values):>17.3f}")


if __name__ == "__main__":
    main()
