"""Issue 11 item 3, the applier: a validly signed body with a value we cannot take (a 20-digit
timestamp) becomes a dead letter with its reason, shown by the API and `relaybird inbox
dead-letters`; the bodies behind it are applied, and the loop goes on."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from relaybird.inbox import applier, repository
from relaybird.inbox import service as inbox
from relaybird.models import Recipient
from relaybird.wiring import registered_handlers
from tests.factories import KeyMaker, make_campaign, make_recipients, make_sender
from tests.inbox.helpers import inbox_rows, status, statuses_body

PNID = "400100"


def _store(ctx: AppContext, body: bytes) -> None:
    with ctx.db.write() as session:
        repository.insert_ignore(
            session,
            [inbox.new_event("whatsapp", body, hashlib.sha256(body).hexdigest(), ctx.clock.now())],
        )


def _poisoned(wamid: str) -> bytes:
    entry = status(wamid, "delivered", callback="r:999")
    entry["timestamp"] = "99999999999999999999"
    return statuses_body([entry], phone_number_id=PNID)


def test_an_unappliable_body_is_a_dead_letter_and_the_next_one_is_applied(
    ctx: AppContext, client: TestClient, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = keys.workspace_id()
    with ctx.db.write() as session:
        sender = make_sender(session, ws, phone_number_id=PNID)
        campaign = make_campaign(session, ws, sender, state="RUNNING")
        [rid] = make_recipients(session, ws, campaign, 1, state="SENT")
        session.execute(update(Recipient).where(Recipient.id == rid).values(wamid="wamid.GOOD"))
    _store(ctx, _poisoned("wamid.BAD"))
    _store(ctx, statuses_body([status("wamid.GOOD", "delivered")], phone_number_id=PNID))

    step = applier.apply_batch(ctx, registered_handlers())
    assert (step.rows, step.failed, step.applied) == (2, 1, 1)
    bad, good = inbox_rows(ctx)
    assert bad.status == "FAILED" and bad.last_error
    assert "OverflowError" in bad.last_error or "ValueError" in bad.last_error
    assert good.status == "APPLIED"
    with ctx.db.read() as session:
        assert session.get(Recipient, rid).state == "DELIVERED"  # type: ignore[union-attr]
    # Set aside for good: the next pass has nothing to do (no tight retry).
    assert applier.apply_batch(ctx, registered_handlers()).rows == 0

    # Visible in the API, to the workspace whose number it concerns (not to another one) ...
    shown = client.get("/api/v1/inbox/dead-letters", headers=keys.headers("admin")).json()
    assert [(d["id"], d["reason"]) for d in shown["items"]] == [(bad.id, bad.last_error)]
    other = keys.headers("admin", workspace="other")
    assert client.get("/api/v1/inbox/dead-letters", headers=other).json()["items"] == []
    # ... and to the operator.
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    listed = CliRunner().invoke(app, ["inbox", "dead-letters"])
    assert listed.exit_code == 0, listed.output
    assert str(bad.id) in listed.output and "Error" in listed.output


def test_dead_letters_page_through(ctx: AppContext, client: TestClient, keys: KeyMaker) -> None:
    ws = keys.workspace_id()
    with ctx.db.write() as session:
        make_sender(session, ws, phone_number_id=PNID)
    for n in range(5):
        _store(ctx, _poisoned(f"wamid.{n}"))
    _store(ctx, json.dumps({"entry": "not a list"}).encode())  # not attributable: CLI only
    applier.apply_batch(ctx, registered_handlers())
    admin = keys.headers("admin")
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/inbox/dead-letters", params=params, headers=admin).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)
