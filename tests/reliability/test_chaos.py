"""The reduced chaos run in `make test`: PostgreSQL, 2 api + 2 worker processes, the simulator's
fault storms, SIGKILLs every few seconds; the invariants of tests/reliability/chaos.py must hold.
The full run is `python -m tests.reliability.chaos --recipients 20000`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.reliability.chaos import run


@pytest.mark.postgres
@pytest.mark.slow
def test_reduced_chaos_run_keeps_every_invariant(pg_url: str, tmp_path: Path) -> None:
    figures = run(
        PG_URL,
        tmp_path,
        recipients=300,
        kill_every=3.0,
        min_kills=2,
        storm_for=10.0,
        timeout=240.0,
        verbose=False,
    )
    print(figures.line())
    assert figures.kills >= 2, figures.line()
    assert figures.duplicates == 0
    assert figures.limited_sender_unique <= 250
