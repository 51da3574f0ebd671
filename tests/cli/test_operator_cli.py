"""The operator's tasks from the shell, each with a table and `--json` (the API's JSON):
keys, users, contacts, rooms, campaigns, e-mails, event subscriptions. Both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from relaybird.cli.main import app
from relaybird.context import AppContext
from tests.factories import make_campaign, make_recipients, make_sender, make_workspace

runner = CliRunner()


@pytest.fixture
def env(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("RELAYBIRD_DATABASE_URL", ctx.settings.database_url)
    with ctx.db.write() as session:
        make_workspace(session)
    return ctx


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def js(*args: str) -> Any:
    return json.loads(cli(*args, "--json"))


def test_keys_list_and_revoke(env: AppContext) -> None:
    created = js("keys", "create", "--role", "viewer", "--name", "grafana")
    assert created["key"].startswith(created["prefix"])
    listed = js("keys", "list")
    assert [(k["name"], k["revoked_at"]) for k in listed] == [("grafana", None)]
    assert "grafana" in cli("keys", "list") and created["key"] not in cli("keys", "list")
    cli("keys", "revoke", str(created["id"]))
    assert js("keys", "list")[0]["revoked_at"] is not None
    again = runner.invoke(app, ["keys", "revoke", "999"])
    assert again.exit_code == 1 and again.stderr.strip() == "error: API key 999 not found"


def test_users_contacts_rooms_and_messages(env: AppContext) -> None:
    user = js("users", "create", "--name", "Grace", "--email", "g@x.test")
    assert [u["email"] for u in js("users", "list")] == ["g@x.test"]
    js("users", "set-number", str(user["id"]), "SMS_DIRECT", "+14155550100")
    assert js("users", "show", str(user["id"]))["virtual_numbers"] == {"SMS_DIRECT": "+14155550100"}
    js("users", "block", str(user["id"]), "+14155550199", "--reason", "SPAM")
    assert [b["phone"] for b in js("users", "blocked", str(user["id"]))] == ["+14155550199"]
    js("users", "unblock-number", str(user["id"]), "+14155550199")
    assert js("users", "blocked", str(user["id"])) == []
    # Call forwarding to the user's own phone: set, a bad phone refused (nothing changed), off.
    out = js("users", "forward-calls", str(user["id"]), "+1 415 555 0142")
    assert (out["forward_phone"], out["forward_calls"]) == ("+14155550142", True)
    bad = runner.invoke(app, ["users", "forward-calls", str(user["id"]), "12"])
    assert bad.exit_code == 1 and "not a valid phone number" in bad.stderr
    assert js("users", "show", str(user["id"]))["forward_phone"] == "+14155550142"
    out = js("users", "forward-calls", str(user["id"]), "--off")
    assert (out["forward_phone"], out["forward_calls"]) == ("+14155550142", False)
    out = js("users", "clear-forwarding", str(user["id"]))
    assert (out["forward_phone"], out["forward_calls"]) == (None, False)

    args = ["--network", "SMS_DIRECT", "--owner", "g@x.test", "--first-name", "Ada"]
    contact = js("contacts", "create", *args, "--last-name", "L", "--phone", "+14155550123")
    assert contact["status"] == "CONFIRMED"
    assert js("contacts", "edit", str(contact["id"]), "--company", "Engines")["company"] == (
        "Engines"
    )
    assert next(h["event"] for h in js("contacts", "history", str(contact["id"]))) == "created"

    room = js("rooms", "create", "--name", "Deal", "--network", "SMS_DIRECT", "--owner", "1")
    assert room["status"] == "ACTIVE"
    room = js("rooms", "add-contact", str(room["id"]), str(contact["id"]))
    assert [c["id"] for c in room["contacts"]] == [contact["id"]]
    sent = js("rooms", "send", str(room["id"]), "--text", "hello")
    assert [(m["text"], m["status"]) for m in sent] == [("hello", "PENDING")]
    kinds = [m["kind"] for m in js("rooms", "messages", str(room["id"]))]
    assert kinds == ["WELCOME", "TEXT"]
    assert "Deal" in cli("rooms", "list")

    cli("contacts", "delete", str(contact["id"]))
    assert js("contacts", "list") == []
    assert js("rooms", "show", str(room["id"]))["status"] == "DEACTIVATED"


def test_campaigns_listed_with_recipients(env: AppContext) -> None:
    with env.db.write() as session:
        ws = make_workspace(session)
        cid = make_campaign(session, ws, make_sender(session, ws))
        make_recipients(session, ws, cid, 3)
    [listed] = js("campaign", "list")
    assert (listed["id"], listed["state"], listed["counts"]["INITIAL"]) == (cid, "NOT_STARTED", 3)
    recipients = js("campaign", "recipients", str(cid))
    assert [r["state"] for r in recipients] == ["INITIAL"] * 3
    removed = js("campaign", "remove-recipient", str(cid), str(recipients[0]["id"]))
    assert removed["state"] == "REMOVED"
    one = js("campaign", "recipient", str(cid), str(recipients[0]["id"]))
    assert [h["event"] for h in one["history"]][-1] == "removed"
    assert js("campaign", "show", str(cid))["counts"]["REMOVED"] == 1


def test_event_subscriptions_and_emails(env: AppContext) -> None:
    sub = js("events", "subscribe", "https://example.com/hook", "--type", "campaign.*")
    assert sub["secret"].startswith("whsec_")
    assert js("events", "show", str(sub["id"]))["event_types"] == ["campaign.*"]
    cli("events", "delete", str(sub["id"]))
    assert js("events", "list") == []
    assert js("emails", "list") == []
