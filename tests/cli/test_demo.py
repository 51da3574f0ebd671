"""`relaybird demo` with its output going to a file or a pipe (not a terminal): hints that work
when pasted (never wrapped, the API with its Bearer header, a filter that has rows, this
relaybird's own path), nothing advertised after --exit, and its folder removed either way."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "relaybird"
pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    # Not a terminal, no width from the environment: Rich would wrap at 80 columns.
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def _folder(output: str) -> Path:
    found = re.search(r"database (/\S+)/relaybird\.db", output)
    assert found, output
    return Path(found.group(1))


def _as_in_a_terminal() -> None:
    # Ctrl-C as in a terminal: a suite started in the background (`cmd &` in a script) runs
    # with SIGINT ignored, which its children inherit, and a Python started so never turns
    # SIGINT into KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` and wait for the demo to clean up; kill it if it does not within 2 min."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_hints_work_when_pasted_and_ctrl_c_removes_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "demo.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [str(BIN), "demo", "--recipients", "300", "--port", "0"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=_env(),
            cwd=tmp_path,
            preexec_fn=_as_in_a_terminal,
        )
        try:
            for _ in range(1200):
                if "serving until Ctrl-C" in out.read_text() or proc.poll() is not None:
                    break
                threading.Event().wait(0.25)
            text = out.read_text()
            assert "serving until Ctrl-C" in text, text
            lines = text.splitlines()
            curls = [line for line in lines if "curl " in line]
            assert len(curls) == 4
            for line in curls:  # one line each: header, URL, nothing cut
                assert re.search(r"curl -H 'Authorization: Bearer rbk_demo_\S+' ", line), line
                assert re.search(r"http://127\.0\.0\.1:\d+/api/v1/campaigns/\d+", line), line
            key = re.search(r"Bearer (rbk_demo_[^']+)'", curls[0]).group(1)  # type: ignore[union-attr]
            url = re.search(r"'(http://[^']+recipients\?state=\w+)'", text).group(1)  # type: ignore[union-attr]
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert json.loads(response.read())["items"], "the advertised filter has no rows"
            dashboard = re.search(r"(http://\S+/ui/campaigns/\d+\?state=\w+)", text)
            assert dashboard, text
            shell = [line for line in lines if f"{BIN} status" in line]
            assert len(shell) == 1 and "RELAYBIRD_DATABASE_URL=sqlite:///" in shell[0], text
            folder = _folder(text)
            assert folder.exists()
        finally:
            _stop(proc, signal.SIGINT)
    assert not folder.exists()


def test_exit_advertises_no_stopped_server_and_leaves_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN), "demo", "--exit", "--recipients", "100", "--port", "0"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "COMPLETED" in done.stdout
    # The Direct networks' scenes, against the simulator playing Twilio, LINE and WeChat.
    for line in (
        "INCOMPLETE, room",
        "DELIVERED (Twilio status callback)",
        "CONFIRMED (LINE user linked)",
        "invitation accepted, OpenID linked (subscribe event)",
        "SENT (customer-service message",
    ):
        assert line in done.stdout, done.stdout
    after_table = done.stdout.split("COMPLETED", 1)[1]
    assert "http://" not in after_table and "curl" not in after_table
    assert "RELAYBIRD_DATABASE_URL" not in after_table
    assert f"{BIN} demo` without --exit" in done.stdout
    assert not _folder(done.stdout).exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["kill", "hangup"])
def test_kill_or_a_closed_terminal_stops_it_and_removes_the_folder(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "demo.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [str(BIN), "demo", "--recipients", "50", "--no-networks", "--port", "0"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=_env(),
            cwd=tmp_path,
        )
        try:
            for _ in range(1200):  # mid-run: the folder exists and the campaign is under way
                if "recipients" in out.read_text() or proc.poll() is not None:
                    break
                threading.Event().wait(0.1)
            folder = _folder(out.read_text())
            assert folder.exists()
        finally:
            _stop(proc, sig)
    assert not folder.exists(), out.read_text()
