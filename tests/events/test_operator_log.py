"""The operator's log: one line per campaign, sender, template or contact status change, written
only once the change committed (never for a rollback), warnings for states that need someone;
an import's end with its counts. Recipients, rooms and messages stay out of it (thousands a
second; their history is in the database)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from relaybird.campaigns import service as campaigns
from relaybird.campaigns.transitions import RECIPIENT, RecipientState
from relaybird.context import AppContext
from relaybird.events.transitions import apply_transition, move_many
from relaybird.models import Recipient, Sender
from relaybird.senders.transitions import SENDER
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker, make_campaign, make_recipients, make_sender, make_workspace


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("relaybird")]


def test_a_committed_campaign_change_is_one_line(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relaybird")
    with ctx.db.write() as session:
        ws = make_workspace(session)
        campaign = make_campaign(session, ws, make_sender(session, ws))
    with ctx.db.write() as session:
        campaigns.start(session, ws, campaign, actor="admin:ana", at=ctx.clock.now())
        assert _lines(caplog) == []  # not before the commit
    assert (logging.INFO, f"campaign {campaign}: NOT_STARTED -> RUNNING (start by admin:ana)") in (
        _lines(caplog)
    )


def test_a_rolled_back_change_is_never_logged(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relaybird")
    with ctx.db.write() as session:
        ws = make_workspace(session)
        campaign = make_campaign(session, ws, make_sender(session, ws))
    with pytest.raises(RuntimeError), ctx.db.write() as session:
        campaigns.start(session, ws, campaign, actor="admin:ana", at=ctx.clock.now())
        raise RuntimeError("the commit never happens")
    assert _lines(caplog) == []


def test_a_sender_restriction_is_a_warning_and_recipients_stay_out(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relaybird")
    with ctx.db.write() as session:
        ws = make_workspace(session)
        sender = make_sender(session, ws)
        campaign = make_campaign(session, ws, sender, state="RUNNING")
        ids = make_recipients(session, ws, campaign, 5)
    with ctx.db.write() as session:
        apply_transition(
            session,
            SENDER,
            Sender,
            sender,
            event="limit_reached",
            actor="dispatcher",
            reason="1,000 unique recipients in 24 h",
            at=ctx.clock.now(),
        )
        move_many(
            session,
            RECIPIENT,
            Recipient,
            ids,
            source=RecipientState.INITIAL,
            event="claimed",
            target=RecipientState.IN_PROGRESS,
            actor="dispatcher",
            at=ctx.clock.now(),
        )
    lines = _lines(caplog)
    assert (
        logging.WARNING,
        f"sender {sender}: CONNECTED -> RESTRICTED (limit_reached by dispatcher: "
        "1,000 unique recipients in 24 h)",
    ) in lines
    assert not any(text.startswith("recipient") for _, text in lines)


def test_an_import_logs_its_counts(
    ctx: AppContext, client: TestClient, keys: KeyMaker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relaybird")
    headers = keys.headers()
    campaign = new_campaign(client, ctx, headers)["id"]
    answer = upload(client, headers, campaign, "phone\n+12125550101\n+12125550102\nnope\n")
    assert answer.status_code in (200, 201, 202), answer.text
    texts = [text for _, text in _lines(caplog)]
    assert any(
        t.startswith(f"campaign {campaign}: import ") and "3 rows, 2 accepted, 1 invalid" in t
        for t in texts
    ), texts
