"""Every real webhook body of tests/data/whatsapp-webhooks through the real HTTP endpoint, signed,
then applied: each is stored once and turns into the right typed events."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from relaybird.inbox import applier
from relaybird.providers.whatsapp import events as ev
from relaybird.providers.whatsapp.parse import parse_body
from relaybird.wiring import registered_handlers
from tests.data import WEBHOOK_FIXTURES
from tests.fixtures.live_server import LiveServer
from tests.inbox.helpers import inbox_rows, signed

FILES = sorted(WEBHOOK_FIXTURES.glob("*.json"))


def _status(
    state: str, code: int | None = None, callback: str | None = None
) -> Callable[..., None]:
    def check(events: list[Any]) -> None:
        [e] = events
        assert isinstance(e, ev.MessageStatus)
        assert e.status == state and e.wamid and e.timestamp is not None
        assert e.error_code == code
        assert e.callback_data == callback

    return check


def _account(event: str, **fields: Any) -> Callable[..., None]:
    def check(events: list[Any]) -> None:
        [e] = events
        assert isinstance(e, ev.AccountUpdate) and e.event == event and e.waba_id
        for name, value in fields.items():
            assert getattr(e, name) == value, name

    return check


def _inbound(kind: str, text: str | None = None, context: bool = False) -> Callable[..., None]:
    def check(events: list[Any]) -> None:
        inbound = [e for e in events if isinstance(e, ev.InboundMessage)]
        [e] = inbound
        assert e.type == kind and e.sender and e.wamid
        if text is not None:
            assert e.text == text
        assert (e.context_wamid is not None) == context

    return check


def _one(cls: type, **fields: Any) -> Callable[..., None]:
    def check(events: list[Any]) -> None:
        [e] = events
        assert isinstance(e, cls)
        for name, value in fields.items():
            assert getattr(e, name) == value, name

    return check


def _value_errors(events: list[Any]) -> None:
    assert [type(e) for e in events] == [ev.InboundMessage, ev.ValueErrors]
    assert events[1].errors[0].code == 131000


EXPECTED: dict[str, Callable[[list[Any]], None]] = {
    "account-update-account-deleted--pywa.json": _account("ACCOUNT_DELETED"),
    "account-update-account-offboarded--pywa.json": _account("ACCOUNT_OFFBOARDED"),
    "account-update-account-reconnected--pywa.json": _account("ACCOUNT_RECONNECTED"),
    "account-update-account-restriction--pywa.json": _account(
        "ACCOUNT_RESTRICTION",
        restriction_types=(
            "RESTRICTED_BIZ_INITIATED_MESSAGING",
            "RESTRICTED_ADD_PHONE_NUMBER_ACTION",
        ),
    ),
    "account-update-account-restriction--whaloc.json": _account(
        "ACCOUNT_RESTRICTION", restriction_types=("RESTRICTED_BIZ_INITIATED_MESSAGING",)
    ),
    "account-update-account-violation--pywa.json": _account(
        "ACCOUNT_VIOLATION", violation_type="ADULT"
    ),
    "account-update-auth-intl-eligibility--pywa.json": _account(
        "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE"
    ),
    "account-update-disabled-update--pywa.json": _account("DISABLED_UPDATE", ban_state="REINSTATE"),
    "account-update-partner-added--pywa.json": _account("PARTNER_ADDED"),
    "account-update-partner-removed--pywa.json": _account("PARTNER_REMOVED"),
    "account-update-primary-location--pywa.json": _account(
        "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE"
    ),
    "account-update-verified-account--whaloc.json": _account(
        "VERIFIED_ACCOUNT", phone_number="15550783881"
    ),
    "account-update-volume-pricing-tier--pywa.json": _account("VOLUME_BASED_PRICING_TIER_UPDATE"),
    "business-capability-update--whaloc.json": _one(
        ev.BusinessCapabilityUpdate,
        max_daily_conversation_per_phone=1000,
        max_phone_numbers_per_business=25,
    ),
    "inbound-system-identity-change--pywa.json": _inbound("system"),
    "inbound-system-user-changed-number--pywa.json": _inbound(
        "system", "User A changed from 972987654321 to 972912345678"
    ),
    "inbound-text--pywa.json": _inbound("text"),
    "inbound-text--whaloc.json": _inbound("text"),
    "inbound-text-reply-context--pywa.json": _inbound("text", context=True),
    "inbound-unsupported-131051--pywa.json": _inbound("unsupported"),
    "inbound-with-value-errors-131000--pywa.json": _value_errors,
    "phone-number-quality-throughput-upgrade--whaloc.json": _one(
        ev.PhoneNumberQualityUpdate, event="THROUGHPUT_UPGRADE", current_limit="TIER_UNLIMITED"
    ),
    "status-delivered--pywa.json": _status("delivered"),
    "status-failed-130472--pywa.json": _status("failed", 130472),
    "status-failed-131049--whaloc.json": _status("failed", 131049),
    "status-played--pywa.json": _status("played"),
    "status-read--pywa.json": _status("read"),
    "status-sent--pywa.json": _status("sent"),
    "status-sent-cbp-service--softlivery.json": _status("sent"),
    "status-sent-pmp-marketing--whaloc.json": _status("sent"),
    "status-sent-with-biz-opaque-callback-data--pywa.json": _status("sent", callback="some data"),
    "template-category-update--pywa.json": _one(
        ev.TemplateCategoryUpdate, new_category="MARKETING"
    ),
    "template-quality-yellow--pywa.json": _one(
        ev.TemplateQualityUpdate, previous_quality="GREEN", new_quality="YELLOW"
    ),
    "template-status-approved--pywa.json": _one(ev.TemplateStatusUpdate, event="APPROVED"),
    "template-status-rejected--pywa.json": _one(
        ev.TemplateStatusUpdate, event="REJECTED", reason="INVALID_FORMAT"
    ),
    "user-preferences-resume--pywa.json": _one(ev.UserPreferences, value="resume"),
    "user-preferences-signup--pywa.json": _one(ev.UserPreferences, value="signup"),
}


def test_the_folder_holds_the_37_bodies_and_each_has_an_expectation() -> None:
    assert len(FILES) == 37
    assert {f.name for f in FILES} == set(EXPECTED)


def _post(url: str, raw: bytes) -> int:
    request = urllib.request.Request(url, data=raw, method="POST", headers=signed(raw))
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_every_fixture_through_the_signed_http_endpoint(live_server: LiveServer) -> None:
    ctx = live_server.ctx
    for path in FILES:
        assert _post(live_server.whatsapp_webhook_url, path.read_bytes()) == 200, path.name
    rows = inbox_rows(ctx)
    assert len(rows) == len(FILES)
    by_body = {row.body: row for row in rows}
    for path in FILES:
        stored = by_body[path.read_bytes()]  # byte for byte
        events = parse_body(stored.body)
        EXPECTED[path.name](events)
        assert not any(isinstance(e, ev.Unknown) for e in events), path.name
    # Applying them all: statuses for messages we never sent are retried later, the rest apply.
    step = applier.apply_batch(ctx, registered_handlers(), limit=100)
    assert step.rows == 37 and step.unknown == 0 and step.failed == 0
    statuses = {p.name for p in FILES if p.name.startswith("status-")}
    assert step.retried == len(statuses)
    assert step.applied == 37 - step.retried


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_each_fixture_parses_without_unknowns(path: Path) -> None:
    events = parse_body(path.read_bytes())
    EXPECTED[path.name](events)
