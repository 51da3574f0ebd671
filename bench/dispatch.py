"""Dispatch benchmark: a campaign of N recipients (default 100,000) end to end, beside a bare
aiohttp client posting the same number of sends to the same simulator in the same run.

Three processes, as in production: `relaybird simulator` (plays Meta, signed webhooks back),
`relaybird serve` (SQLite, API + dispatcher + webhook inbox/applier), and this driver. Prints
recipients/s until every recipient was sent (all persisted), recipients/s until every status
webhook was applied too, the bare client's sends/s, and the ratio (goal ≥ 0.8, and ≥ 1,000/s).

    .venv/bin/python bench/dispatch.py [--recipients 100000] [--runs 1]
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
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from relaybird.db import Database
from relaybird.db import migrate as db_migrate
from relaybird.models import InboxEvent

KEY = "rbk_bench_admin_key_0123456789abcdef"
SECRET = "bench-app-secret"
PENDING = ("INITIAL", "IN_PROGRESS", "RETRY_SCHEDULED")
BIN = Path(sys.executable).parent / "relaybird"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60) -> None:
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


def engine_run(workdir: Path, n: int, tag: str) -> tuple[float, float]:
    db_path = workdir / f"{tag}.db"
    url = f"sqlite:///{db_path}"
    db_migrate.upgrade(url)
    sim_port, api_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    sim_url = f"http://127.0.0.1:{sim_port}"
    procs: list[subprocess.Popen[bytes]] = []
    log = (workdir / f"{tag}.log").open("ab")
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
                    "--webhook-url",
                    f"{api}/webhooks/whatsapp",
                    "--throughput",
                    "1000000",
                    "--batch-max",
                    "100",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        env = {
            **os.environ,
            "RELAYBIRD_DATABASE_URL": url,
            "RELAYBIRD_GRAPH_API_URL": sim_url,
            "RELAYBIRD_WHATSAPP_APP_SECRET": SECRET,
            "RELAYBIRD_BOOTSTRAP_ADMIN_KEY": KEY,
            "RELAYBIRD_LOG_LEVEL": "WARNING",
        }
        procs.append(
            subprocess.Popen(
                [str(BIN), "serve", "--port", str(api_port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        wait_http(f"{sim_url}/_sim/config")
        wait_http(f"{api}/healthz")
        bare = asyncio.run(bare_client(sim_url, n))
        print(f"  [{tag}] bare aiohttp client: {n / bare:,.0f} sends/s", flush=True)
        # Webhooks on only once the bare client's statuses are out: they are not ours.
        while call("GET", f"{sim_url}/_sim/webhooks")["pending"]:
            time.sleep(0.2)
        call("POST", f"{sim_url}/_sim/config", {"webhook_url": f"{api}/webhooks/whatsapp"})
        sender = _sender(url)
        call(
            "POST",
            f"{sim_url}/_sim/numbers",
            {
                "phone_number_id": "bench-1",
                "access_token": "bench-token",
                "tier": "TIER_UNLIMITED",
                "throughput_mps": 1000000,
            },
        )
        cid = call(
            "POST",
            f"{api}/api/v1/campaigns",
            {
                "name": "bench",
                "sender_id": sender,
                "template": {"name": "t", "language": "en", "body_params": ["name"]},
            },
        )["id"]
        rows = "phone,name\n" + "\n".join(f"+1212{2000000 + i:07d},n{i}" for i in range(n))
        boundary = "benchboundary"
        raw = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="b.csv"\r\n\r\n'
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
        started = time.perf_counter()
        call("POST", f"{api}/api/v1/campaigns/{cid}/start")
        t_sent = None
        watcher = Database(url)
        while True:
            counts = call("GET", f"{api}/api/v1/campaigns/{cid}")["counts"]
            now = time.perf_counter()
            if t_sent is None and not any(counts.get(s) for s in PENDING):
                t_sent = now - started
                print(f"  [{tag}] all sent: {n / t_sent:,.0f} recipients/s", flush=True)
            if t_sent is not None:
                sim = call("GET", f"{sim_url}/_sim/webhooks")
                with watcher.read() as s:
                    open_rows = s.scalar(
                        select(func.count())
                        .select_from(InboxEvent)
                        .where(InboxEvent.status.in_(["PENDING", "RETRY"]))
                    )
                if sim["pending"] == 0 and open_rows == 0:
                    t_all = now - started
                    break
            if now - started > 1800:
                raise RuntimeError(f"not done after 30 min: {counts}")
            time.sleep(0.2)
        watcher.dispose()
        print(f"  [{tag}] final counts: { {k: v for k, v in counts.items() if v} }")
        return bare, t_sent, t_all  # type: ignore[return-value]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def _sender(url: str) -> int:
    from relaybird.auth import service as auth
    from relaybird.models import Sender

    db = Database(url)
    with db.write() as s:
        ws = auth.ensure_workspace(s, "default")
        sender = Sender(
            workspace_id=ws.id,
            name="bench",
            phone_number_id="bench-1",
            display_phone_number="+1 555 0199",
            access_token="bench-token",
            status="CONNECTED",
            messaging_limit="TIER_UNLIMITED",
            throughput_mps=1_000_000,
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
    args = parser.parse_args()
    n = args.recipients
    bares, sents, alls = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            bare, t_sent, t_all = engine_run(Path(tmp), n, f"run{run}")  # type: ignore[misc]
            bares.append(n / bare)
            sents.append(n / t_sent)
            alls.append(n / t_all)
            print(
                f"  run {run + 1}: bare {n / bare:,.0f}/s · relaybird sent {n / t_sent:,.0f}/s"
                f" · all webhooks applied {n / t_all:,.0f}/s"
            )
    bare_m, sent_m, all_m = (statistics.median(x) for x in (bares, sents, alls))
    print(f"recipients:                        {n:,} (medians of {args.runs} run(s))")
    print(f"bare aiohttp client (no storage):  {bare_m:9,.0f} sends/s")
    print(f"relaybird, all SENT (persisted):   {sent_m:9,.0f} recipients/s   goal ≥ 1,000")
    print(f"relaybird, all webhooks applied:   {all_m:9,.0f} recipients/s")
    print(f"ratio relaybird/bare:              {sent_m / bare_m:9.2f}   goal ≥ 0.8")


if __name__ == "__main__":
    main()
