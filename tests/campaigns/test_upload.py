"""Uploading recipient lists: CSV and XLSX, E.164, every INVALID_RECORD reason, refusals."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from relaybird.campaigns import jobs as campaign_jobs
from relaybird.context import AppContext
from relaybird.kit.time import ManualClock
from relaybird.models import Campaign, RecipientImport
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker

LIST = (
    "Guest phone number,first_name,code\n"
    "+1 212 555 0001,Ann,A1\n"  # row 2: valid, spaces
    "2125550002,Bob,B2\n"  # row 3: no +, default region US
    ",Cid,C3\n"  # row 4: empty phone
    "12345,Dan,D4\n"  # row 5: not a number
    "+12125550005,,E5\n"  # row 6: missing parameter
    "(212) 555-0001,Fay,F6\n"  # row 7: duplicate of row 2
    "0044 20 7946 0958,Gus,G7\n"  # row 8: 00 prefix, UK
)


def test_csv_rows_are_normalised_and_bad_rows_kept_with_reasons(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h, body_params=["first_name", "code"])["id"]
    r = upload(client, h, cid, LIST)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["invalid"]) == (3, 4)
    assert body["errors"] == [
        {"row": 4, "reason": "empty phone"},
        {"row": 5, "reason": "not a valid number: '12345'"},
        {"row": 6, "reason": "missing template parameter 'first_name'"},
        {"row": 7, "reason": "duplicate of row 2"},
    ]
    items = client.get(f"/api/v1/campaigns/{cid}/recipients", headers=h).json()["items"]
    valid = {i["row_number"]: i["phone"] for i in items if i["state"] == "INITIAL"}
    assert valid == {2: "+12125550001", 3: "+12125550002", 8: "+442079460958"}
    invalid = [i for i in items if i["state"] == "INVALID_RECORD"]
    assert {i["invalid_reason"] for i in invalid} >= {"duplicate of row 2", "empty phone"}
    summary = client.get(f"/api/v1/campaigns/{cid}", headers=h).json()
    assert summary["counts"]["INITIAL"] == 3
    assert summary["counts"]["INVALID_RECORD"] == 4
    assert summary["total"] == 7


def test_duplicates_across_uploads_and_chunks(
    client: TestClient, ctx: AppContext, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relaybird.campaigns import importer

    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    upload(client, h, cid, "phone\n+12125550001\n+12125550002\n+12125550003\n+12125550001\n")
    r = upload(client, h, cid, "msisdn\n+12125550003\n+12125550009\n")
    assert r.json()["accepted"] == 1
    assert r.json()["errors"] == [{"row": 2, "reason": "duplicate of row 4"}]


def test_xlsx_upload_with_numeric_cells(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h, body_params=["Name"])["id"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["PHONE_NUMBER", "name"])
    sheet.append([12125550001, "Ann"])  # Excel turned the number into a number
    sheet.append(["+12125550002", "Bob"])
    sheet.append([None, "Cid"])
    buf = io.BytesIO()
    book.save(buf)
    r = upload(client, h, cid, buf.getvalue(), filename="list.xlsx")
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["invalid"]) == (2, 1)
    items = client.get(f"/api/v1/campaigns/{cid}/recipients?state=INITIAL", headers=h).json()[
        "items"
    ]
    assert [i["phone"] for i in items] == ["+12125550001", "+12125550002"]


def test_semicolon_csv_and_region_setting(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    ctx.settings = ctx.settings.model_copy(update={"default_region": "CZ"})
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    r = upload(client, h, cid, "Phone;note\n601 123 456;x\n")
    assert r.json()["accepted"] == 1
    items = client.get(f"/api/v1/campaigns/{cid}/recipients", headers=h).json()["items"]
    assert items[0]["phone"] == "+420601123456"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("name,code\nAnn,1\n", "no phone column"),
        ("", "empty"),
        ("phone\n+12125550001\n", "first_name"),
    ],
)
def test_bad_files_are_refused_whole(
    client: TestClient, ctx: AppContext, keys: KeyMaker, content: str, fragment: str
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h, body_params=["first_name"])["id"]
    r = upload(client, h, cid, content)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["total"] == 0


def test_upload_refused_once_ended(client: TestClient, ctx: AppContext, keys: KeyMaker) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    client.post(f"/api/v1/campaigns/{cid}/end", headers=h)
    r = upload(client, h, cid, "phone\n+12125550001\n")
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["total"] == 0


def test_large_upload_answers_202_and_can_be_polled(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    lines = ["phone"] + [f"+1212555{i:04d}" for i in range(3000)]
    r = upload(client, h, cid, "\n".join(lines), wait=0)
    assert r.status_code in (200, 202)
    location = r.headers["location"]
    body = r.json()
    for _ in range(600):
        if body["state"] != "RUNNING":
            break
        time.sleep(0.05)
        body = client.get(location, headers=h).json()
    assert body["state"] == "DONE"
    assert body["accepted"] == 3000 and body["progress"] == 1.0


def test_an_import_whose_process_died_is_failed_with_a_reason(
    client: TestClient, ctx: AppContext, keys: KeyMaker, clock: ManualClock
) -> None:
    """kill -9 during an import leaves its job RUNNING with a heartbeat that stops; the scheduler
    job says FAILED (with what to do) once it has been silent for two minutes, and leaves a live
    import alone."""
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    with ctx.db.write() as s:
        ws = s.get_one(Campaign, cid).workspace_id
        dead, live = (
            RecipientImport(
                workspace_id=ws,
                campaign_id=cid,
                filename=name,
                state="RUNNING",
                rows=5000,
                accepted=5000,
                errors=[],
                created_at=clock.now() - timedelta(minutes=10),
                heartbeat_at=clock.now() - age,
            )
            for name, age in (("dead.csv", timedelta(minutes=3)), ("live.csv", timedelta(0)))
        )
        s.add_all([dead, live])
        s.flush()
        dead_id, live_id = dead.id, live.id
    assert campaign_jobs.fail_interrupted_imports(ctx) == 1
    assert campaign_jobs.fail_interrupted_imports(ctx) == 0  # once
    body = client.get(f"/api/v1/campaigns/{cid}/imports/{dead_id}", headers=h).json()
    assert body["state"] == "FAILED" and "interrupted" in body["failure"]
    assert body["accepted"] == 5000  # what it stored is still said
    live_state = client.get(f"/api/v1/campaigns/{cid}/imports/{live_id}", headers=h).json()
    assert live_state["state"] == "RUNNING"
    clock.advance(timedelta(minutes=3))
    assert campaign_jobs.fail_interrupted_imports(ctx) == 1  # its heartbeat stopped too


def test_export_csv(client: TestClient, ctx: AppContext, keys: KeyMaker) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    upload(client, h, cid, "phone\n+12125550001\nnope\n")
    r = client.get(f"/api/v1/campaigns/{cid}/export.csv", headers=h)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["phone"], x["state"]) for x in rows] == [
        ("+12125550001", "INITIAL"),
        ("", "INVALID_RECORD"),
    ]
    assert rows[1]["invalid_reason"].startswith("not a valid number")


def test_validation_in_worker_processes_gives_the_same_result(
    client: TestClient, ctx: AppContext, keys: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relaybird.campaigns import importer

    monkeypatch.setattr(importer, "POOL_FROM_BYTES", 0)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 3)
    h = keys.headers()
    cid = new_campaign(client, ctx, h, body_params=["first_name", "code"])["id"]
    r = upload(client, h, cid, LIST)
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["invalid"]) == (3, 4)
    assert [e["row"] for e in r.json()["errors"]] == [4, 5, 6, 7]
