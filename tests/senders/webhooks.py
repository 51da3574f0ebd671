"""Delivering provider webhook bodies (real ones from tests/data) to the sender signals:
``post`` goes through the real endpoint (signed like Meta, stored, then applied by the inbox
applier); ``deliver`` hands the parsed changes to the signals directly and returns how many of
our senders each concerned."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.inbox import applier
from relaybird.providers.whatsapp import signature
from relaybird.senders import signals
from relaybird.wiring import registered_handlers
from tests.conftest import make_settings

SECRET = make_settings("sqlite://").whatsapp_app_secret.get_secret_value()


def post(client: TestClient, ctx: AppContext, data: dict[str, Any]) -> None:
    """Sign and POST the body to /webhooks/whatsapp, then apply the inbox until it is empty."""
    raw = json.dumps(data).encode()
    headers = {"Content-Type": "application/json", signature.HEADER: signature.sign(raw, SECRET)}
    response = client.post("/webhooks/whatsapp", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    while applier.apply_batch(ctx, registered_handlers()).rows:
        pass


FIXTURES = Path(__file__).parents[1] / "data" / "whatsapp-webhooks"
WABA = "102290129340398"


def body(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def deliver(ctx: AppContext, data: dict[str, Any]) -> int:
    """Apply every change of a webhook body the way the inbox applier hands them over."""
    matched = 0
    now = ctx.clock.now()
    with ctx.db.write() as s:
        for entry in data["entry"]:
            for change in entry["changes"]:
                v, field = change["value"], change["field"]
                if field == "phone_number_quality_update":
                    matched += signals.quality_update(
                        s,
                        waba_id=entry["id"],
                        display_phone_number=v.get("display_phone_number"),
                        event=v["event"],
                        current_limit=v.get("current_limit"),
                        max_daily_conversations_per_business=v.get(
                            "max_daily_conversations_per_business"
                        ),
                        now=now,
                    )
                elif field == "account_update":
                    infos = v.get("restriction_info") or []
                    expires = [int(i["expiration"]) for i in infos if "expiration" in i]
                    matched += signals.account_update(
                        s,
                        waba_id=entry["id"],
                        event=v["event"],
                        phone_number=v.get("phone_number"),
                        ban_state=(v.get("ban_info") or {}).get("waba_ban_state"),
                        restriction_types=[i["restriction_type"] for i in infos],
                        restriction_expires=(
                            datetime.fromtimestamp(max(expires), UTC) if expires else None
                        ),
                        violation_type=(v.get("violation_info") or {}).get("violation_type"),
                        now=now,
                    )
                elif field == "business_capability_update":
                    matched += signals.capability_update(
                        s,
                        waba_id=entry["id"],
                        max_daily_conversations_per_business=v.get(
                            "max_daily_conversations_per_business"
                        ),
                        max_daily_conversation_per_phone=v.get("max_daily_conversation_per_phone"),
                        now=now,
                    )
    return matched


def quality_body(event: str, current_limit: str | None = None) -> dict[str, Any]:
    data = copy.deepcopy(body("phone-number-quality-throughput-upgrade--whaloc"))
    value = data["entry"][0]["changes"][0]["value"]
    value["event"] = event
    if current_limit is None:
        value.pop("current_limit")
    else:
        value["current_limit"] = current_limit
    return data
