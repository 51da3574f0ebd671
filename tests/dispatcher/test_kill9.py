"""kill -9 of the serving process mid-campaign, then a restart: every recipient ends done, and
the simulator (Meta) received nobody twice.

`relaybird serve` runs as a real subprocess on SQLite (the embedded default); the simulator runs
here and sends its signed status webhooks to it (retrying while it is down, as Meta does).
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from relaybird.campaigns import repository as campaigns_repo
from relaybird.cli.apiclient import ApiClient
from relaybird.db import Database
from tests.factories import make_sender, make_workspace
from tests.fixtures.simulator import SIM_APP_SECRET, SimHandle, start_simulator

KEY = "rbk_test_kill9_admin_key_0123456789"
PENDING = ("INITIAL", "IN_PROGRESS", "RETRY_SCHEDULED")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, sim_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RELAYBIRD_DATABASE_URL": url,
        "RELAYBIRD_GRAPH_API_URL": sim_url,
        "RELAYBIRD_WHATSAPP_APP_SECRET": SIM_APP_SECRET,
        "RELAYBIRD_BOOTSTRAP_ADMIN_KEY": KEY,
        "RELAYBIRD_LEASE": "3s",
        "RELAYBIRD_SEND_TIMEOUT": "1s",
        "RELAYBIRD_RETRY_BASE": "200ms",
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "relaybird.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text()[-2000:]) from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("relaybird serve did not come up")


def _counts(api: ApiClient, cid: int) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/api/v1/campaigns/{cid}")
    return body


@pytest.mark.slow
def test_kill_9_mid_campaign_then_restart(sqlite_url: str, tmp_path: Path) -> None:
    sim_thread = start_simulator(
        delivered_p=1.0,
        read_p=1.0,
        sent_delay=0.05,
        delivered_delay=0.1,
        read_delay=0.2,
        webhook_retries=40,
        batch_max=20,
    )
    sim = SimHandle(sim_thread)
    db = Database(sqlite_url)
    try:
        with db.write() as session:
            sender = make_sender(
                session,
                make_workspace(session),
                phone_number_id="4004",
                access_token="tok-4004",
                throughput_mps=150,
                messaging_limit="TIER_100K",
            )
        sim.add_number("4004", "tok-4004", tier="TIER_100K", throughput_mps=150)
        port = _free_port()
        sim.configure(webhook_url=f"http://127.0.0.1:{port}/webhooks/whatsapp")
        log = tmp_path / "serve.log"
        proc = _serve(sqlite_url, sim.url, port, log)
        api = ApiClient(f"http://127.0.0.1:{port}", KEY)
        cid = api.post(
            "/api/v1/campaigns",
            {"name": "k", "sender_id": sender, "template": {"name": "t", "language": "en"}},
        )["id"]
        rows = "\n".join(["phone"] + [f"+1212555{i:04d}" for i in range(1200)])
        assert (
            api.upload(f"/api/v1/campaigns/{cid}/recipients", "l.csv", rows.encode())["accepted"]
            == 1200
        )
        api.post(f"/api/v1/campaigns/{cid}/start")

        # Let it get well under way, then kill -9 at an arbitrary instruction.
        deadline = time.monotonic() + 60
        while len(sim.sent()) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        with db.read() as session:
            at_kill = campaigns_repo.count_by_state_slow(session, cid)
        assert at_kill.get("INITIAL", 0) > 0, at_kill  # really mid-campaign

        proc = _serve(sqlite_url, sim.url, port, log)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                body = _counts(api, cid)
                if body["state"] == "COMPLETED":
                    break
                time.sleep(0.2)
            assert body["state"] == "COMPLETED", body
            sim.wait_webhooks_idle(60)
            # Let the applier take the last webhooks in.
            time.sleep(1.0)
            body = _counts(api, cid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)

        counts = {k: v for k, v in body["counts"].items() if v}
        assert not any(counts.get(s) for s in PENDING), counts
        assert sum(counts.values()) == 1200
        per_phone = collections.Counter(s["to"] for s in sim.sent())
        assert per_phone and max(per_phone.values()) == 1, "someone got the message twice"
        with db.read() as session:
            assert campaigns_repo.count_by_state_slow(session, cid) == counts
            reached = {
                p.lstrip("+")
                for (p,) in session.execute(
                    campaigns_repo.select_phones_in(cid, ("SENT", "DELIVERED", "READ"))
                )
            }
            unknown = {
                p.lstrip("+")
                for (p,) in session.execute(campaigns_repo.select_phones_in(cid, ("ERROR",)))
            }
        # Everyone we record as reached, Meta really got; what Meta got and we lost track of in
        # the crash is ERROR "outcome unknown" unless its webhook told us better.
        assert reached <= set(per_phone)
        # Issue 12 item 15: only sends that had started can be "outcome unknown"; what was
        # claimed ahead (up to two claim batches, 74 here) but never started went back and was
        # sent after the restart. The starter hands a marked group to the workers only once they
        # hold the previous one, so at most three groups (150 msg/s: 15 a group) were started
        # and not yet on the wire at the kill: one marked, one queued, one the workers held.
        requested = {r["to"] for r in sim.requests()}
        never_reached = unknown - requested
        assert len(never_reached) <= 3 * 15, (len(never_reached), len(unknown))
    finally:
        db.dispose()
        sim_thread.stop()
