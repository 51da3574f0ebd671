"""A CLI command starts without the web stack: every `relaybird …` (and every test that runs
one) imported FastAPI and all the routes before doing anything; the CLI reads the same
services and schemas the routes do, never the routes."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_does_not_import_the_web_stack() -> None:
    probe = (
        "import sys, relaybird.cli.main; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', "
        "'uvicorn') or m.endswith('.routes') or '.routes_' in m))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
