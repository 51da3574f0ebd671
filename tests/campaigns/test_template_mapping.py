"""Issue 14, mapping slots to recipients: a campaign names a template of its sender's catalogue
(by id, or name + language) and maps each slot to an upload column or a constant; the mapping is
checked against the catalogue at creation (422 naming the slot), the upload's header against it
(a missing column names its slot), each row against Meta's limits (INVALID_RECORD naming the
slot), and the preview renders one recipient's message with the request that goes to Meta."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from relaybird.context import AppContext
from relaybird.simulator.template_seed import SEED
from relaybird.templates import service as templates
from tests.factories import KeyMaker, make_workspace, new_sender
from tests.templates.helpers import catalogue_item

WABA = "100000000000061"
SUMMER = {
    "header": {"image": {"link": "https://cdn.example.com/summer.jpg"}},
    "body": {"1": {"column": "first_name"}, "2": {"value": "25%"}},
    "buttons": [{"index": 0, "sub_type": "url", "column": "coupon"}],
}


def _synced_sender(ctx: AppContext) -> int:
    sender = new_sender(ctx, waba_id=WABA)
    with ctx.db.write() as session:
        ws = make_workspace(session, "default")
        items = [catalogue_item(dict(t)) for t in SEED]
        templates.apply_catalogue(session, ws, WABA, items, actor="sync", now=ctx.clock.now())
    return sender


def _template_id(client: TestClient, h: dict[str, str], sender: int, name: str) -> int:
    items = client.get(
        f"/api/v1/templates?sender_id={sender}&name={name}&limit=50", headers=h
    ).json()["items"]
    return int(next(t["id"] for t in items if t["name"] == name))


def _create(client: TestClient, h: dict[str, str], sender: int, template: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/campaigns",
        json={"name": "mapped", "sender_id": sender, "template": template},
        headers=h,
    )


def _upload(client: TestClient, h: dict[str, str], cid: int, text: str) -> Any:
    return client.post(
        f"/api/v1/campaigns/{cid}/recipients",
        files={"file": ("list.csv", text.encode(), "text/csv")},
        headers=h,
    )


def test_a_mapped_campaign_is_checked_slot_by_slot_at_creation(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    sender = _synced_sender(ctx)
    summer = _template_id(client, h, sender, "summer_promo")
    ok = _create(client, h, sender, {"template_id": summer, "mapping": SUMMER})
    assert ok.status_code == 201, ok.text
    out = ok.json()["template"]
    assert (out["template_id"], out["name"], out["language"]) == (summer, "summer_promo", "en_US")
    assert out["columns"] == ["coupon", "first_name"] and out["body_params"] == []
    assert out["mapping"]["buttons"] == [{"index": 0, "sub_type": "url", "column": "coupon"}]
    # By name + language too.
    by_name = {"name": "summer_promo", "language": "en_US", "mapping": SUMMER}
    assert _create(client, h, sender, by_name).status_code == 201

    def refused(template: dict[str, Any]) -> dict[str, str]:
        r = _create(client, h, sender, template)
        assert r.status_code == 422, r.text
        return {e.get("slot", e["field"]): e["msg"] for e in r.json()["errors"]}

    no_header = {"body": SUMMER["body"], "buttons": SUMMER["buttons"]}
    assert refused({"template_id": summer, "mapping": no_header}) == {
        "header.image": "not mapped: the header needs a link or a media_id"
    }
    empty_media = {**SUMMER, "header": {"image": {}}}
    assert refused({"template_id": summer, "mapping": empty_media}) == {
        "header.image": "a media header needs a link or a media_id"
    }
    missing = refused(
        {
            "template_id": summer,
            "mapping": {
                "header": SUMMER["header"],
                "body": {"1": SUMMER["body"]["1"], "3": {"value": "x"}},
            },
        }
    )
    assert missing == {
        "body.2": "not mapped: give a column or a value",
        "body.3": "the template's body has no such parameter (1, 2)",
        "buttons[0].url": "not mapped: the URL needs its suffix",
    }
    r = _create(client, h, sender, {"template_id": summer, "mapping": no_header})
    assert r.json()["detail"] == (
        "template.mapping.header.image: not mapped: the header needs a link or a media_id"
    )
    # A template the catalogue lacks is refused here, not at the first send.
    unknown = refused({"name": "no_such_template", "language": "en_US", "mapping": {}})
    assert unknown["template"].startswith("template 'no_such_template' (en_US) is not in the")
    assert "template.template_id" in refused({"template_id": 999999, "mapping": {}})
    paused = _template_id(client, h, sender, "weekend_flash_sale")
    mapped = {"body": {"1": {"value": "a"}, "2": {"value": "b"}}}
    assert "is PAUSED" in refused({"template_id": paused, "mapping": mapped})["template"]
    # mapping and body_params at once, or no template named: the body's own 422.
    both = _create(
        client, h, sender, {"template_id": summer, "mapping": SUMMER, "body_params": ["a"]}
    )
    assert both.status_code == 422
    assert _create(client, h, sender, {"mapping": SUMMER}).status_code == 422
    # Mapping needs a catalogue: an account never synced says how to get one.
    bare = new_sender(ctx, waba_id="100000000000062")
    r = _create(client, h, bare, {"name": "summer_promo", "language": "en_US", "mapping": SUMMER})
    assert r.status_code == 422 and "templates sync" in r.json()["detail"]
    listed = client.get("/api/v1/campaigns", headers=h).json()["items"]
    assert len(listed) == 2  # nothing else was created


@pytest.mark.parametrize("in_workers", [False, True], ids=["in-process", "worker-processes"])
def test_the_upload_and_each_row_are_checked_against_the_slots(
    client: TestClient,
    ctx: AppContext,
    keys: KeyMaker,
    monkeypatch: pytest.MonkeyPatch,
    in_workers: bool,
) -> None:
    if in_workers:  # the slot check (templates.values.RowCheck) runs in the worker processes
        from relaybird.campaigns import importer

        monkeypatch.setattr(importer, "POOL_FROM_BYTES", 0)
        monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    h = keys.headers()
    sender = _synced_sender(ctx)
    summer = _template_id(client, h, sender, "summer_promo")
    cid = _create(client, h, sender, {"template_id": summer, "mapping": SUMMER}).json()["id"]
    # A file without a mapped column: refused whole, naming the slot.
    r = _upload(client, h, cid, "phone,first_name\n+12125550001,Ana\n")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["slot"] == "buttons[0].url"
    assert "buttons[0].url reads 'coupon'" in r.json()["detail"]
    rows = [
        "phone,first_name,coupon",
        "+12125550001,Ana,ANA25",
        "+12125550002,,BOB25",  # empty body parameter
        "+12125550003,Cy,has space",  # a URL suffix with a space
        "+12125550004,Di\tna,DI25",  # a tab: Meta's 132007
        "+12125550005," + "x" * 1100 + ",EV25",  # the body over 1,024 characters
    ]
    summary = _upload(client, h, cid, "\n".join(rows) + "\n").json()
    assert (summary["accepted"], summary["invalid"]) == (1, 4)
    reasons = {e["row"]: e["reason"] for e in summary["errors"]}
    assert reasons[3] == "body.1: empty value (column 'first_name' is empty)"
    assert reasons[4] == "buttons[0].url: a URL suffix cannot contain spaces"
    assert reasons[5].startswith("body.1: a parameter cannot contain newlines, tabs")
    assert reasons[6].startswith("body.1: the body would be 1")
    invalid = client.get(
        f"/api/v1/campaigns/{cid}/recipients?state=INVALID_RECORD", headers=h
    ).json()["items"]
    assert {i["row_number"]: i["invalid_reason"] for i in invalid}[3] == reasons[3]


def test_the_preview_renders_a_recipients_message(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    sender = _synced_sender(ctx)
    summer = _template_id(client, h, sender, "summer_promo")
    cid = _create(client, h, sender, {"template_id": summer, "mapping": SUMMER}).json()["id"]
    assert client.get(f"/api/v1/campaigns/{cid}/preview", headers=h).status_code == 404
    _upload(client, h, cid, "phone,first_name,coupon\n+12125550001,Ana,ANA25\n+12125550002,,X\n")
    first = client.get(f"/api/v1/campaigns/{cid}/preview", headers=h).json()
    assert client.get(f"/api/v1/campaigns/{cid}/preview?row=2", headers=h).json() == first
    assert (first["row"], first["phone"], first["state"]) == (2, "+12125550001", "INITIAL")
    assert first["header"] == "[image: https://cdn.example.com/summer.jpg]"
    assert "Ana" in first["body"] and "25%" in first["body"] and "{{" not in first["body"]
    assert first["buttons"][0].endswith("ANA25")
    assert first["params"] == {"coupon": "ANA25", "first_name": "Ana"}
    assert first["request"]["components"][2] == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "ANA25"}],
    }
    second = client.get(f"/api/v1/campaigns/{cid}/preview?row=3", headers=h).json()
    assert second["state"] == "INVALID_RECORD" and second["request"] is None
    assert second["problems"] == ["body.1: empty value (column 'first_name' is empty)"]
    assert client.get(f"/api/v1/campaigns/{cid}/preview?row=9", headers=h).status_code == 404


def test_named_parameters_and_other_slots(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    sender = _synced_sender(ctx)
    named = {
        "body": {"patient_name": {"column": "name"}, "appointment_time": {"column": "when"}},
        "buttons": [{"index": 0, "sub_type": "quick_reply", "value": "CONFIRM"}],
    }
    spec = {"name": "appointment_reminder", "language": "en_US", "mapping": named}
    r = _create(client, h, sender, spec)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    _upload(client, h, cid, "phone,name,when\n+12125550001,Ana,9:00\n")
    request = client.get(f"/api/v1/campaigns/{cid}/preview", headers=h).json()["request"]
    assert request["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "patient_name", "text": "Ana"},
                {"type": "text", "parameter_name": "appointment_time", "text": "9:00"},
            ],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "CONFIRM"}],
        },
    ]
    # A copy code over Meta's 15 characters: that row is INVALID_RECORD naming the button.
    coupon = {
        "name": "coupon_code_onetime_winter_2025",
        "language": "en_US",
        "mapping": {
            "body": {"1": {"value": "Winter"}, "2": {"value": "20%"}},
            "buttons": [{"index": 1, "sub_type": "copy_code", "column": "code"}],
        },
    }
    cid = _create(client, h, sender, coupon).json()["id"]
    summary = _upload(
        client, h, cid, "phone,code\n+12125550001,WINTER20\n+12125550002,ABCDEFGHIJKLMNOP\n"
    ).json()
    assert summary["errors"] == [
        {"row": 3, "reason": "buttons[1].copy_code: 16 characters (max 15)"}
    ]
