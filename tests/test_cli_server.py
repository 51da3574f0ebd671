"""`relaybird migrate` / `serve` as a user runs them: real processes on real ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

BIN = Path(sys.executable).parent / "relaybird"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + 90  # a bound for a loaded machine, not a timing check
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read().decode() if proc.stdout else "exited")
        try:
            return dict(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json())
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


def _serve(url: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "RELAYBIRD_DATABASE_URL": url}
    proc = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return proc, port


def test_serve_on_a_fresh_sqlite_file_migrates_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    proc, port = _serve(url, tmp_path)
    try:
        assert _wait_healthy(port, proc)["database"] == "sqlite"
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/api/v1/keys" in spec["paths"]
    finally:
        _stop(proc)


@pytest.mark.postgres
def test_migrate_then_serve_on_postgres(pg_url: str, tmp_path: Path) -> None:
    admin = create_engine(pg_url.rsplit("/", 1)[0] + "/test", isolation_level="AUTOCOMMIT")
    name = f"relaybird_cli_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    env = {**os.environ, "RELAYBIRD_DATABASE_URL": url}
    try:
        refused, port = _serve(url, tmp_path)
        assert refused.wait(timeout=30) == 1
        assert refused.stdout is not None and b"relaybird migrate" in refused.stdout.read()
        _stop(refused)
        done = subprocess.run(
            [str(BIN), "migrate"], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "latest schema" in done.stdout
        proc, port = _serve(url, tmp_path)
        try:
            assert _wait_healthy(port, proc)["database"] == "postgresql"
        finally:
            _stop(proc)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
