"""A small count of the long fuzz run (tests/reliability/fuzz_api.py): schemathesis against a real
`relaybird api` process (and the simulator) on loopback, no 5xx. The full run is
`python -m tests.reliability.fuzz_api --cases 20000`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.fuzz_api import run


@pytest.mark.slow
def test_a_short_fuzz_run_against_relaybird_api_gets_no_5xx(tmp_path: Path) -> None:
    result = run(140, tmp_path)
    assert result.cases >= 140, result.summary()
    assert result.alive, result.summary()
    assert result.failures == [], "\n".join(result.failures[:20])
