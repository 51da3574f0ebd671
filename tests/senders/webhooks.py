"""Delivering provider webhook bodies (real ones from tests/data) to the sender signals:
``post`` goes through the real endpoint (signed like Meta, stored, then applied by the inbox
applier); ``deliver`` hands the parsed changes to the signals directly and returns how many of
our senders each concerned."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from relaybird.context import AppContext
from relaybird.inbox import applier
from relaybird.providers.whatsapp import signature
from relaybird.providers.whatsapp.events import (
    AccountUpdate,
    BusinessCapabilityUpdate,
    PhoneNumberQualityUpdate,
)
from relaybird.providers.whatsapp.parse import parse
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


SIGNALS: dict[type, Callable[[Session, Any, datetime], int]] = {
    PhoneNumberQualityUpdate: signals.quality_update,
    AccountUpdate: signals.account_update,
    BusinessCapabilityUpdate: signals.capability_update,
}


def deliver(ctx: AppContext, data: dict[str, Any]) -> int:
    """Apply every number signal of a webhook body as the inbox applier hands them over (parsed
    by the real parser); returns how many of our senders they concerned."""
    now = ctx.clock.now()
    with ctx.db.write() as s:
        return sum(SIGNALS[type(e)](s, e, now) for e in parse(data) if type(e) in SIGNALS)


def quality_body(event: str, current_limit: str | None = None) -> dict[str, Any]:
    data = copy.deepcopy(body("phone-number-quality-throughput-upgrade--whaloc"))
    value = data["entry"][0]["changes"][0]["value"]
    value["event"] = event
    if current_limit is None:
        value.pop("current_limit")
    else:
        value["current_limit"] = current_limit
    return data
