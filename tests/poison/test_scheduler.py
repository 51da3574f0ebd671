"""Issue 11 item 3, the scheduler: a row a job cannot handle (a sender whose stored quality
rating no release knows) is set aside with its reason and skipped for a while; the rows behind
it are handled in the same run. Before, the job failed at that row on every run."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from relaybird.context import AppContext
from relaybird.models import Sender
from relaybird.wiring import registered_jobs
from tests.factories import make_sender, make_workspace


def _job(name: str):  # type: ignore[no-untyped-def]
    [job] = [j for j in registered_jobs() if j.name == name]
    return job


def test_a_sender_that_cannot_be_settled_is_set_aside_and_the_next_is_released(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        restricted = {
            "status": "RESTRICTED",
            "status_before": "CONNECTED",
            "restricted_by": "LIMIT",  # our own window, now empty: released at once
        }
        bad = make_sender(session, ws, quality_rating="BOGUS", **restricted)
        good = make_sender(session, ws, **restricted)
    job = _job("senders.lifecycle")

    with caplog.at_level(logging.ERROR):
        assert job.run(ctx) == 1
    with ctx.db.read() as session:
        assert session.get(Sender, good).status == "CONNECTED"  # type: ignore[union-attr]
        # Only its status column: the whole row no longer loads (its quality is no QualityRating).
        assert session.scalar(select(Sender.status).where(Sender.id == bad)) == "RESTRICTED"
    reason = ctx.set_aside("senders.lifecycle", logging.getLogger()).reason(bad)
    assert reason is not None and "ValueError" in reason and "BOGUS" in reason
    assert [r for r in caplog.records if "set aside" in r.getMessage()]

    # The next run does not retry it at once (no tight loop), and fails nothing.
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert job.run(ctx) == 0
    assert not [r for r in caplog.records if "set aside" in r.getMessage()]
