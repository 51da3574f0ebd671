"""/api/v1/suppressions: add, list (keyset pages), one, remove, CSV import/export, settings."""

from __future__ import annotations

from fastapi.testclient import TestClient

from relaybird.auth.roles import Role
from tests.factories import KeyMaker


def test_add_list_get_remove(client: TestClient, keys: KeyMaker) -> None:
    admin, viewer = keys.headers(), keys.headers(Role.VIEWER)
    r = client.post(
        "/api/v1/suppressions",
        json={"phone": "+1 212 555 0100", "reason": "asked by phone"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["phone"], body["source"], body["reason"]) == (
        "+12125550100",
        "manual",
        "asked by phone",
    )
    # Idempotent: the first reason is kept.
    again = client.post(
        "/api/v1/suppressions",
        json={"phone": "+12125550100", "source": "bounced"},
        headers=admin,
    )
    assert again.status_code == 201 and again.json()["source"] == "manual"
    for i in range(1, 5):
        client.post("/api/v1/suppressions", json={"phone": f"+1212555010{i}"}, headers=admin)
    first = client.get("/api/v1/suppressions?limit=2", headers=viewer).json()
    assert [s["phone"] for s in first["items"]] == ["+12125550100", "+12125550101"]
    rest = client.get(
        f"/api/v1/suppressions?limit=10&cursor={first['next_cursor']}", headers=viewer
    ).json()
    assert [s["phone"] for s in rest["items"]] == [f"+1212555010{i}" for i in range(2, 5)]
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/suppressions/%2B12125550103", headers=viewer).status_code == 200
    assert client.delete("/api/v1/suppressions/%2B12125550103", headers=viewer).status_code == 403
    assert client.delete("/api/v1/suppressions/%2B12125550103", headers=admin).status_code == 204
    assert client.get("/api/v1/suppressions/%2B12125550103", headers=viewer).status_code == 404
    assert client.delete("/api/v1/suppressions/%2B12125550103", headers=admin).status_code == 404
    only = client.get("/api/v1/suppressions?source=keyword", headers=viewer).json()
    assert only["items"] == []


def test_bad_input_is_a_clear_4xx_and_changes_nothing(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers()
    assert (
        client.post("/api/v1/suppressions", json={"phone": "nope"}, headers=admin).status_code
        == 422
    )
    bad_source = {"phone": "+12125550100", "source": "whim"}
    assert client.post("/api/v1/suppressions", json=bad_source, headers=admin).status_code == 422
    assert client.get("/api/v1/suppressions?cursor=zzz", headers=admin).status_code == 422
    assert client.get("/api/v1/suppressions", headers=admin).json()["items"] == []
    assert client.post("/api/v1/suppressions", json={"phone": "+12125550100"}).status_code == 401


def test_csv_import_and_export_round_trip(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers()
    csv = (
        "phone,source,reason\n"
        "+12125550100,bounced,=cmd|' /C calc'!A0\n"
        "2125550101,,\n"
        "not a phone,manual,\n"
        "+12125550102,whim,\n"
        "+12125550100,manual,twice\n"
    )
    r = client.post(
        "/api/v1/suppressions/import", files={"file": ("s.csv", csv.encode())}, headers=admin
    )
    assert r.status_code == 200, r.text
    summary = r.json()
    assert (summary["rows"], summary["added"], summary["already"], summary["invalid"]) == (
        5,
        2,
        1,
        2,
    )
    assert [e["row"] for e in summary["errors"]] == [4, 5]
    out = client.get("/api/v1/suppressions/export.csv", headers=admin)
    assert out.status_code == 200 and out.headers["content-type"].startswith("text/csv")
    lines = out.text.strip().splitlines()
    assert lines[0] == "phone,source,reason,created_at"
    assert lines[1].startswith("+12125550100,bounced,'=cmd")
    assert lines[2].startswith("+12125550101,manual,,")
    # The export imports as it is (every number already there).
    again = client.post(
        "/api/v1/suppressions/import", files={"file": ("s.csv", out.content)}, headers=admin
    ).json()
    assert (again["added"], again["already"], again["invalid"]) == (0, 2, 0)
    no_phone = client.post(
        "/api/v1/suppressions/import", files={"file": ("s.csv", b"number\n1\n")}, headers=admin
    )
    assert no_phone.status_code == 422


def test_settings(client: TestClient, keys: KeyMaker) -> None:
    admin = keys.headers()
    rules = client.get("/api/v1/suppressions/settings", headers=admin).json()
    assert "STOP" in rules["opt_out_keywords"] and "START" in rules["opt_in_keywords"]
    assert rules["exempt_categories"] == []
    rules.update(opt_out_keywords=["Halt", "Arrêt"], exempt_categories=["utility"])
    r = client.put("/api/v1/suppressions/settings", json=rules, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["opt_out_keywords"] == ["ARRET", "HALT"]
    assert r.json()["exempt_categories"] == ["UTILITY"]
    bad = dict(rules, exempt_categories=["MARKETING"], opt_in_keywords=["halt"])
    r = client.put("/api/v1/suppressions/settings", json=bad, headers=admin)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"exempt_categories", "opt_in_keywords"}
    assert client.get("/api/v1/suppressions/settings", headers=admin).json()[
        "opt_out_keywords"
    ] == [
        "ARRET",
        "HALT",
    ]
