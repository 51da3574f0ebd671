"""Issue 11 item 10 (parts): uploads in any honest encoding, and an export safe to open.

Byte-order marks (UTF-8, UTF-16 LE/BE) are read as such; a file that is not UTF-8 and has no
mark (Latin-1, Windows-1252, UTF-16 without a mark) is refused with a message naming the
encoding problem, never stored as U+FFFD. The CSV export prefixes formula-like cells with `'`.
"""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from relaybird.campaigns.export import cell
from relaybird.context import AppContext
from relaybird.models import Recipient
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker

TEXT = "phone,first_name\n+12125550001,José\n+12125550002,Zoë Ångström\n"


def first_names(ctx: AppContext, cid: int) -> list[str]:
    with ctx.db.read() as session:
        rows = session.scalars(
            select(Recipient.params)
            .where(Recipient.campaign_id == cid)
            .order_by(Recipient.row_number)
        )
        return [params[0] for params in rows]


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        # Excel's "Unicode Text": UTF-16 LE with a mark, tab-separated.
        codecs.BOM_UTF16_LE + TEXT.replace(",", "\t").encode("utf-16-le"),
    ],
    ids=["utf-8-bom", "utf-8", "utf-16-le", "utf-16-be", "excel-unicode-text"],
)
def test_marked_and_utf8_files_are_read_as_written(
    client: TestClient, ctx: AppContext, keys: KeyMaker, data: bytes
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h, body_params=["first_name"])["id"]
    r = upload(client, h, cid, data)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2, r.json()
    assert first_names(ctx, cid) == ["José", "Zoë Ångström"]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (TEXT.encode("latin-1"), "not UTF-8 text (byte 0xE9 at offset 33"),
        (TEXT.encode("cp1252"), "not UTF-8 text"),
        (TEXT.encode("utf-16-le"), "UTF-16 without a byte-order mark"),
    ],
    ids=["latin-1", "cp1252", "utf-16-without-mark"],
)
def test_other_encodings_are_refused_naming_the_problem(
    client: TestClient, ctx: AppContext, keys: KeyMaker, data: bytes, fragment: str
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h, body_params=["first_name"])["id"]
    r = upload(client, h, cid, data)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]
    assert "CSV UTF-8" in r.json()["detail"]
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["total"] == 0


def test_the_export_escapes_formula_cells(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    hostile = ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"]
    rows = "".join(f'"{v.replace(chr(34), chr(34) * 2)}"\n' for v in hostile)
    r = upload(client, h, cid, "phone\n+12125550001\n" + rows)
    assert r.status_code == 200, r.text
    exported = client.get(f"/api/v1/campaigns/{cid}/export.csv", headers=h)
    assert exported.status_code == 200
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    assert lines[0]["phone"] == "+12125550001"  # a plain number stays a number
    assert [x["raw_phone"] for x in lines[1:]] == ["'" + v for v in hostile]
    for line in lines:
        for value in line.values():
            assert not value.startswith(("=", "@", "\t", "\r")), value


@given(st.text(max_size=30))
def test_an_escaped_cell_never_starts_a_formula(value: str) -> None:
    out = cell(value)
    assert out in (value, "'" + value)
    assert isinstance(out, str)
    if out.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert out == value and all(c in "+-0123456789 ().-" for c in value), value
