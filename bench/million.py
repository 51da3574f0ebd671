"""A 1M-recipient campaign while it runs: the serve process stays light.

Starts `relaybird simulator` and `relaybird serve` (SQLite) as in production, imports N
recipients (default 1,000,000, the import bench's file: ~1 % invalid, ~0.5 % duplicates) through
the API, starts the campaign and measures, while it sends:

- the time from the start call to the first recipient SENT (goal < 1 s), polled every 10 ms;
- the serve process's peak resident memory (VmHWM, from /proc) after start-up, after the import
  and after the campaign ran ``--run-seconds``, and its RSS sampled while it runs (flat);
- how long the pages a user opens take (medians of ``--samples`` requests, goal ≤ 50 ms each):
  the API campaign read, the dashboard's campaign page (HTML), and the recipients list
  (keyset pages: the first, one from the middle of the list, by state, by phone prefix, both),
  beside the bare cost of the server answering /healthz in the same run.

    .venv/bin/python bench/million.py [--recipients 1000000] [--mps 1000] [--run-seconds 20]
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import importlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dispatch import BIN, KEY, SECRET, _sender, call, free_port, server_env, stop, wait_http

from relaybird.db import migrate as db_migrate
from relaybird.kit.pagination import encode_cursor

GOAL_MS = 50.0


def proc_status(pid: int, field: str) -> int:
    """A memory figure of /proc/<pid>/status (VmRSS, VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


class RssSampler:
    """The serve process's RSS every 0.2 s while the campaign runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(proc_status(self.pid, "VmRSS"))
            time.sleep(0.2)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def dashboard_opener(base: str) -> urllib.request.OpenerDirector:
    """A cookie-holding client logged in to the dashboard with the admin key."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/ui/login").read().decode()
    match = re.search(r'name="csrf" value="([^"]*)"', page)
    assert match, "no csrf field on the login page"
    form = urllib.parse.urlencode({"csrf": html.unescape(match.group(1)), "api_key": KEY})
    opener.open(f"{base}/ui/login", data=form.encode()).read()
    return opener


def timed(fetch: Any, samples: int) -> tuple[float, float]:
    """Median and 90th percentile, in ms, of ``samples`` calls (after one warm-up)."""
    fetch()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def upload(api: str, cid: int, path: Path) -> dict[str, Any]:
    boundary = "benchboundary"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="m.csv"\r\n\r\n'
    ).encode()
    raw += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    result: dict[str, Any] = call(
        "POST",
        f"{api}/api/v1/campaigns/{cid}/recipients?wait=600",
        raw=raw,
        ctype=f"multipart/form-data; boundary={boundary}",
    )
    return result


def run(workdir: Path, n: int, mps: int, run_seconds: float, samples: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    url = f"sqlite:///{workdir / 'million.db'}"
    db_migrate.upgrade(url)
    sim_port, api_port = free_port(), free_port()
    api, sim = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sim_port}"
    log = (workdir / "million.log").open("ab")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            subprocess.Popen(
                [str(BIN), "simulator", "--port", str(sim_port), "--app-secret", SECRET],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        serve = subprocess.Popen(
            [str(BIN), "serve", "--port", str(api_port)],
            env=server_env(url, sim),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(serve)
        wait_http(f"{sim}/_sim/config", timeout=300)
        wait_http(f"{api}/healthz", timeout=300)
        call("POST", f"{sim}/_sim/config", {"webhook_url": f"{api}/webhooks/whatsapp"})
        out["hwm_idle"] = proc_status(serve.pid, "VmHWM")
        pnid, token = "million-0", "million-token-0"
        sender = _sender(url, pnid, token, mps)
        call(
            "POST",
            f"{sim}/_sim/numbers",
            {
                "phone_number_id": pnid,
                "access_token": token,
                "tier": "TIER_UNLIMITED",
                "throughput_mps": mps,
            },
        )
        body = {
            "name": "million",
            "sender_id": sender,
            "template": {"name": "t", "language": "en", "body_params": ["first_name", "code"]},
        }
        cid = int(call("POST", f"{api}/api/v1/campaigns", body)["id"])
        csv_path = workdir / "million.csv"
        importlib.import_module("import").generate(csv_path, n)
        started = time.perf_counter()
        summary = upload(api, cid, csv_path)
        out["import_s"] = time.perf_counter() - started
        out["imported"] = summary
        out["hwm_imported"] = proc_status(serve.pid, "VmHWM")
        out["rss_imported"] = proc_status(serve.pid, "VmRSS")

        with RssSampler(serve.pid) as rss:
            started = time.perf_counter()
            call("POST", f"{api}/api/v1/campaigns/{cid}/start")
            out["start_call_ms"] = (time.perf_counter() - started) * 1000
            while True:
                counts = call("GET", f"{api}/api/v1/campaigns/{cid}")["counts"]
                if counts.get("SENT") or counts.get("DELIVERED") or counts.get("READ"):
                    out["first_send_s"] = time.perf_counter() - started
                    break
                if time.perf_counter() - started > 60:
                    raise RuntimeError(f"nothing sent 60 s after the start: {counts}")
                time.sleep(0.01)
            # Let it run, then measure the pages while it still sends.
            time.sleep(max(0.0, run_seconds - (time.perf_counter() - started)))
            out["latency"] = pages(api, cid, samples)
            out["sql"] = queries(url, cid, samples)
            out["sent_while_measured"] = call("GET", f"{api}/api/v1/campaigns/{cid}")["counts"]
        out["hwm_running"] = proc_status(serve.pid, "VmHWM")
        out["rss_samples"] = rss.samples
        return out
    finally:
        stop(procs)
        log.close()


def pages(api: str, cid: int, samples: int) -> dict[str, tuple[float, float]]:
    dash = dashboard_opener(api)
    base = f"{api}/api/v1/campaigns/{cid}"
    first = call("GET", f"{base}/recipients?limit=1")["items"][0]["id"]
    middle = encode_cursor(int(first) + 500_000)
    targets: dict[str, Any] = {
        "healthz (bare server)": lambda: urllib.request.urlopen(f"{api}/healthz").read(),
        "API campaign read": lambda: call("GET", base),
        "dashboard campaign page": lambda: dash.open(f"{api}/ui/campaigns/{cid}").read(),
        "dashboard page, SENT + prefix": lambda: dash.open(
            f"{api}/ui/campaigns/{cid}?state=SENT&phone=1415"
        ).read(),
    }
    lists = {
        "first page": "",
        "page from the middle": f"cursor={middle}",
        "state=INITIAL": "state=INITIAL",
        "state=SENT": "state=SENT",
        "state=INVALID_RECORD": "state=INVALID_RECORD",
        "state=INVALID_RECORD, middle": f"state=INVALID_RECORD&cursor={middle}",
        "prefix +1212 (1/6 of all)": "phone_prefix=%2B1212",
        "prefix +14152 (rare)": "phone_prefix=%2B14152",
        "prefix +1212 + SENT": "phone_prefix=%2B1212&state=SENT",
        "prefix +1646 + INVALID_RECORD": "phone_prefix=%2B1646&state=INVALID_RECORD",
    }
    for name, query in lists.items():
        link = f"{base}/recipients?limit=100&{query}"
        targets[f"recipients: {name}"] = lambda link=link: call("GET", link)
    return {name: timed(fetch, samples) for name, fetch in targets.items()}


def queries(url: str, cid: int, samples: int) -> dict[str, tuple[float, float]]:
    """The same reads in this process, straight on the database file (WAL: beside the running
    server): what each costs the database at this size, without HTTP and the server's load."""
    from relaybird.campaigns import service
    from relaybird.campaigns.transitions import RecipientState
    from relaybird.db import Database
    from relaybird.models import Campaign

    db = Database(url)
    with db.read() as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        workspace_id = int(campaign.workspace_id)
        first = service.recipients_page(s, workspace_id, cid, state=None, after_id=None, limit=1)
        middle = first[0][0].id + 500_000
    page = 100

    def read(fn: Any) -> Any:
        def run() -> None:
            with db.read() as s:
                fn(s)

        return run

    def listed(state: str | None, after: int | None = None) -> Any:
        chosen = RecipientState(state) if state else None
        return read(
            lambda s: service.recipients_page(
                s, workspace_id, cid, state=chosen, after_id=after, limit=page
            )
        )

    def searched(prefix: str, state: str | None = None) -> Any:
        chosen = RecipientState(state) if state else None
        return read(
            lambda s: service.search_recipients(
                s, workspace_id, cid, prefix, state=chosen, cursor=None, limit=page
            )
        )

    targets = {
        "campaign summary (the API read's counts)": read(
            lambda s: service.summary(s, workspace_id, cid)
        ),
        "recipients: first page": listed(None),
        "recipients: page from the middle": listed(None, middle),
        "recipients: state=INITIAL": listed("INITIAL"),
        "recipients: state=SENT": listed("SENT"),
        "recipients: state=INVALID_RECORD": listed("INVALID_RECORD"),
        "recipients: state=INVALID_RECORD, middle": listed("INVALID_RECORD", middle),
        "recipients: prefix +1212 (1/6 of all)": searched("1212"),
        "recipients: prefix +14152 (rare)": searched("14152"),
        "recipients: prefix +1212 + SENT": searched("1212", "SENT"),
        "recipients: prefix +1646 + INVALID_RECORD": searched("1646", "INVALID_RECORD"),
    }
    try:
        return {name: timed(fetch, samples) for name, fetch in targets.items()}
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--mps", type=int, default=1_000, help="the number's messages/s")
    parser.add_argument("--run-seconds", type=float, default=20.0)
    parser.add_argument("--samples", type=int, default=30, help="requests per page measured")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory() as tmp:
        r = run(Path(tmp), args.recipients, args.mps, args.run_seconds, args.samples)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    mb = 1e6
    print(f"recipients: {args.recipients:,} · load average {load_before} → {load_after}")
    imp = r["imported"]
    print(
        f"import through the API: {r['import_s']:.1f} s ({imp.get('accepted'):,} accepted,"
        f" {imp.get('invalid'):,} invalid)"
    )
    print(
        f"start call: {r['start_call_ms']:.0f} ms · first recipient SENT after"
        f" {r['first_send_s'] * 1000:.0f} ms (goal < 1,000 ms)"
    )
    samples = r["rss_samples"] or [0]
    print(
        f"serve peak RSS (VmHWM): {r['hwm_idle'] / mb:.0f} MB started ·"
        f" {r['hwm_imported'] / mb:.0f} MB after the import ·"
        f" {r['hwm_running'] / mb:.0f} MB after {args.run_seconds:.0f} s running;"
        f" RSS while running {min(samples) / mb:.0f}–{max(samples) / mb:.0f} MB"
        f" (first {samples[0] / mb:.0f}, last {samples[-1] / mb:.0f})"
    )
    print(f"counts while measured: {r['sent_while_measured']}")
    print(
        f"\n{'page (' + str(args.samples) + ' requests each)':<44} {'median ms':>10} {'p90 ms':>8}"
    )
    for name, (median, p90) in r["latency"].items():
        flag = "" if name.startswith("healthz") or median <= GOAL_MS else "  over the goal"
        print(f"{name:<44} {median:>10.1f} {p90:>8.1f}{flag}")
    print(f"\n{'the same reads in-process, on the database':<44} {'median ms':>10} {'p90 ms':>8}")
    for name, (median, p90) in r["sql"].items():
        flag = "" if median <= GOAL_MS else "  over the goal"
        print(f"{name:<44} {median:>10.2f} {p90:>8.2f}{flag}")


if __name__ == "__main__":
    main()
