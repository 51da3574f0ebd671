"""Isolation: every /api/v1 operation, tried with another workspace's ids, answers 404 (never
2xx, never 409: existence must not leak) and changes nothing; every list a foreign key reads
shows none of the first workspace's rows.

Rows exist only in workspace ALPHA (two of each kind, so small ids all belong to it); BETA has
only its admin key. The operations come from /openapi.json, so endpoints added later are covered
without touching this file.
"""

from __future__ import annotations

import itertools
import os
import re
from datetime import timedelta
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from relaybird.errors import NotFound
from relaybird.kit.time import utcnow
from relaybird.models import (
    Base,
    BlockedNumber,
    Campaign,
    Contact,
    EventDelivery,
    EventSubscription,
    OutboxEvent,
    OutgoingEmail,
    Room,
    RoomContact,
    RoomMember,
    RoomMessage,
    Suppression,
    User,
    VirtualNumber,
)
from tests.factories import KeyMaker, make_campaign, make_recipients, make_sender, make_workspace

MARK = "ALPHAMARK"
PHONE = "+12125550187"  # a valid number: routes that parse it reach their lookup
IDS = (1, 2, 3)


def _populate(ctx: AppContext) -> None:
    now = utcnow()
    with ctx.db.write() as s:
        ws = make_workspace(s, "alpha")
        for n in range(3):
            sender = make_sender(s, ws, name=f"{MARK} sender {n}")
            campaign = make_campaign(s, ws, sender, name=f"{MARK} campaign {n}", state="PAUSED")
            make_recipients(s, ws, campaign, 2)
            user = User(workspace_id=ws, name=f"{MARK} user", email=f"u{n}@alpha.example")
            s.add(user)
            s.flush()
            s.add(
                VirtualNumber(
                    workspace_id=ws,
                    user_id=user.id,
                    network="SMS_DIRECT",
                    phone=f"+1555000{n}001",
                    created_at=now,
                )
            )
            if n == 0:
                s.add(
                    Suppression(
                        workspace_id=ws,
                        phone=PHONE,
                        source="manual",
                        reason=MARK,
                        created_by=MARK,
                        created_at=now,
                    )
                )
            s.add(
                BlockedNumber(
                    workspace_id=ws,
                    user_id=user.id,
                    phone=PHONE,
                    reason="SPAM",
                    comment=MARK,
                    created_at=now,
                )
            )
            contact = Contact(
                workspace_id=ws,
                network="SMS_DIRECT",
                owner_user_id=user.id,
                first_name=MARK,
                last_name="c",
                phone=f"+1555111{n}000",
                status="CONFIRMED",
            )
            s.add(contact)
            room = Room(
                workspace_id=ws,
                name=f"{MARK} room",
                network="SMS_DIRECT",
                owner_user_id=user.id,
                status="ACTIVE",
            )
            s.add(room)
            s.flush()
            s.add(RoomMember(room_id=room.id, user_id=user.id, added_at=now))
            s.add(RoomContact(room_id=room.id, contact_id=contact.id, added_at=now))
            s.add(
                RoomMessage(
                    workspace_id=ws,
                    room_id=room.id,
                    direction="OUT",
                    text=MARK,
                    status="SENT",
                    created_at=now,
                    updated_at=now,
                )
            )
            sub = EventSubscription(
                workspace_id=ws, url="http://127.0.0.1:9/hook", secret="whsec_x", created_at=now
            )
            s.add(sub)
            event = OutboxEvent(
                workspace_id=ws,
                type="campaign.state_changed",
                entity="campaign",
                entity_id=campaign,
                payload={"data": {"mark": MARK}},
                created_at=now,
            )
            s.add(event)
            s.flush()
            s.add(
                EventDelivery(
                    subscription_id=sub.id,
                    event_id=event.id,
                    status="FAILED",
                    next_attempt_at=now + timedelta(days=1),
                    created_at=now,
                )
            )
            s.add(
                OutgoingEmail(
                    workspace_id=ws,
                    to_address="a@alpha.example",
                    subject=MARK,
                    body=MARK,
                    kind="notification",
                    status="SENT",
                    created_at=now,
                )
            )


def _snapshot(ctx: AppContext) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with ctx.db.read() as s:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name not in ("last_used_at",)]
            rows = s.execute(select(*cols)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


# Path parameters that are not ids take a valid value, so the id lookup is what answers.
PROBE_EXAMPLES = int(os.environ.get("RELAYBIRD_ISOLATION_EXAMPLES", "4"))
NOT_IDS = {"network": "SMS_DIRECT"}
# Operations whose body is validated before the lookup: a valid body, so the lookup answers.
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/api/v1/users/{user_id}/virtual-numbers/{network}"): {"phone": "+12125550123"},
    ("POST", "/api/v1/rooms/{room_id}/messages"): {"text": "hello"},
}


def _value(param: str, id_value: Any) -> Any:
    if "phone" in param:
        return PHONE
    return NOT_IDS.get(param, id_value)


def _probe(op: Any, params: list[str], headers: dict[str, str], leaks: list[str]) -> list[int]:
    """Call ``op`` with generated bodies and every combination of the other workspace's ids."""
    statuses: list[int] = []

    @settings(
        max_examples=PROBE_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy())
    def run(case: schemathesis.Case) -> None:
        for values in itertools.product(IDS, repeat=len(params)):
            case.path_parameters = {p: _value(p, v) for p, v in zip(params, values, strict=True)}
            if (op.method.upper(), op.path) in BODIES:
                case.body = BODIES[(op.method.upper(), op.path)]
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            label = f"{op.method.upper()} {op.path} {case.path_parameters}"
            if response.status_code < 300 or response.status_code == 409:
                leaks.append(f"{label}: {response.status_code} {response.text[:200]}")
            elif MARK in response.text:
                leaks.append(f"{label}: error body shows another workspace's data")

    run()
    return statuses


def check_isolation(app: FastAPI, ctx: AppContext) -> tuple[int, list[str], list[str], list[str]]:
    """(operations checked, leaks, operations whose lookup was never reached, changed tables)"""
    with TestClient(app) as client:
        _populate(ctx)
        alpha_keys = [KeyMaker(ctx).create("admin", "alpha") for _ in range(3)]
        assert alpha_keys
        beta = {"Authorization": f"Bearer {KeyMaker(ctx).create('admin', 'beta')}"}
        before = _snapshot(ctx)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        leaks: list[str] = []
        unreached: list[str] = []
        checked = 0
        for result in schema.get_all_operations():
            op = result.ok()
            if not op.path.startswith("/api/v1/"):
                continue
            params = re.findall(r"{(\w+)}", op.path)
            if not params:
                if op.method.upper() == "GET":
                    r = client.get(op.path, headers=beta)
                    if MARK in r.text:
                        leaks.append(f"GET {op.path} shows another workspace's rows")
                continue
            statuses = _probe(op, params, beta, leaks)
            checked += 1
            if 404 not in statuses:
                unreached.append(f"{op.method.upper()} {op.path}: {sorted(set(statuses))}")
        after = _snapshot(ctx)
    changed = [t for t in before if t != "api_keys" and before[t] != after[t]]
    return checked, leaks, unreached, changed


def test_another_workspaces_ids_are_not_found_and_nothing_changes(sqlite_ctx: AppContext) -> None:
    checked, leaks, unreached, changed = check_isolation(create_app(sqlite_ctx), sqlite_ctx)
    assert checked >= 5
    assert leaks == [], "\n".join(leaks[:20])
    assert unreached == [], "the lookup was never reached:\n" + "\n".join(unreached)
    assert changed == [], f"tables changed by another workspace's requests: {changed}"


def test_the_isolation_check_finds_a_planted_leak(sqlite_ctx: AppContext) -> None:
    app = create_app(sqlite_ctx)

    @app.post("/api/v1/planted/{campaign_id}/rename", summary="forgets the workspace on purpose")
    def planted(campaign_id: int) -> dict[str, str]:
        with sqlite_ctx.db.write() as s:
            campaign = s.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFound("no such campaign")
            campaign.name = "renamed"
            return {"name": campaign.name}

    _checked, leaks, _unreached, changed = check_isolation(app, sqlite_ctx)
    assert any("/planted/" in leak for leak in leaks)
    assert "campaigns" in changed
