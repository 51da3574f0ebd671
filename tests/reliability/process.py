"""A real `relaybird api` process on loopback, for the probe and the long fuzz run.

Every outbound URL (Graph API, Twilio, LINE, WeChat) points at a closed loopback port and SMTP is
unset, and `relaybird api` runs no background loop (no event delivery, no mail): nothing it is
made to do can reach a non-loopback address. ``check_loopback_only`` refuses to start otherwise.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx

BIN = Path(sys.executable).parent / "relaybird"
ADMIN_KEY = "rbk_reliability_probe_admin_key_0001"
METRICS_TOKEN = "reliability-metrics-token"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, every call is refused at once
OUTBOUND = (
    "RELAYBIRD_GRAPH_API_URL",
    "RELAYBIRD_TWILIO_API_URL",
    "RELAYBIRD_LINE_API_URL",
    "RELAYBIRD_LINE_ACCESS_URL",
    "RELAYBIRD_WECHAT_API_URL",
    "RELAYBIRD_WECHAT_MP_URL",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_loopback_only(env: dict[str, str]) -> None:
    for name in OUTBOUND:
        host = urlsplit(env[name]).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"{name}={env[name]} is not loopback: refusing to run")
    if env.get("RELAYBIRD_SMTP_URL"):
        raise SystemExit("RELAYBIRD_SMTP_URL is set: refusing to run (it would mail out)")


@dataclass
class ApiProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def status_kib(self, field: str) -> int:
        """A figure of /proc/<pid>/status in KiB: VmRSS (now) or VmHWM (peak so far)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_simulator(workdir: Path) -> ApiProcess:
    """`relaybird simulator` on loopback, playing Meta, Twilio, LINE and WeChat; it posts no
    webhook anywhere (no --webhook-url)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAYBIRD_")}
    log = workdir / "simulator.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN), "simulator", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    sim = ApiProcess(proc, port, log)
    _wait(sim, "/_sim/sent")
    return sim


def provider_urls(base: str) -> dict[str, str]:
    """Every outbound URL setting pointed at ``base`` (a loopback simulator, or a closed port)."""
    return {
        "RELAYBIRD_GRAPH_API_URL": base,
        "RELAYBIRD_TWILIO_API_URL": f"{base}/twilio",
        "RELAYBIRD_LINE_API_URL": f"{base}/line",
        "RELAYBIRD_LINE_ACCESS_URL": f"{base}/line",
        "RELAYBIRD_WECHAT_API_URL": f"{base}/wechat",
        "RELAYBIRD_WECHAT_MP_URL": f"{base}/wechat",
    }


def _wait(process: ApiProcess, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not process.alive():
            raise AssertionError(f"process exited:\n{process.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{process.url}{path}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.stop()
    raise AssertionError(f"process did not become ready:\n{process.log.read_text()[-3000:]}")


def start_api(workdir: Path, **overrides: str) -> ApiProcess:
    """`relaybird api` on a fresh SQLite file in ``workdir``, healthy, with a known admin key."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RELAYBIRD_")},
        "RELAYBIRD_DATABASE_URL": f"sqlite:///{workdir / 'probe.db'}",
        "RELAYBIRD_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "RELAYBIRD_WHATSAPP_APP_SECRET": "probe-app-secret",
        "RELAYBIRD_WHATSAPP_VERIFY_TOKEN": "probe-verify-token",
        "RELAYBIRD_DIRECT_WEBHOOK_SECRET": "probe-direct-secret",
        "RELAYBIRD_SESSION_SECRET": "probe-session-secret",
        "RELAYBIRD_METRICS_TOKEN": METRICS_TOKEN,
        "RELAYBIRD_SECRET_KEY": "cHJvYmUta2V5LXByb2JlLWtleS1wcm9iZS1rZXktcHI=",
        "RELAYBIRD_LOG_LEVEL": "WARNING",
        **provider_urls(CLOSED),
        **overrides,
    }
    check_loopback_only(env)
    log = workdir / "api.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN), "api", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api = ApiProcess(proc, port, log)
    _wait(api, "/healthz")
    return api
