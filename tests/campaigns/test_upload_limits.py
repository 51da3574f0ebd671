"""Uploads are bounded (issue 11 item 4, issue 12 item 18): huge cells, wide rows, XLSX bombs.

Each case answers a clear 4xx naming the limit and its setting, or stores the row as
INVALID_RECORD with that reason, on both databases; the readers stay within a small memory
budget whatever the file's shape (tracemalloc), and a property test checks the CSV reader's
limits against any table.
"""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relaybird.campaigns.readers import Progress, RefusedRow, UploadLimits, read_rows
from relaybird.context import AppContext
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import KeyMaker

MB = 1 << 20


def summary_of(client: TestClient, h: dict[str, str], cid: int) -> dict[str, int]:
    return client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["counts"]


def invalid_reasons(client: TestClient, h: dict[str, str], cid: int) -> dict[int, str]:
    items = client.get(
        f"/api/v1/campaigns/{cid}/recipients?state=INVALID_RECORD", headers=h
    ).json()["items"]
    return {i["row_number"]: i["invalid_reason"] for i in items}


def test_a_10_mb_single_line_csv_is_a_422_naming_the_limit(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    r = upload(client, h, cid, b"phone" + b"x" * (10 * MB))
    assert r.status_code == 422, r.text
    assert "RELAYBIRD_UPLOAD_MAX_ROW" in r.json()["detail"]
    assert client.get(f"/api/v1/campaigns/{cid}", headers=h).json()["total"] == 0


def test_a_10_mb_row_after_a_valid_header_is_one_invalid_record(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    body = (
        b"phone,name\n+12125550001,Ann\n"
        + b"+12125550002,"
        + b"y" * (10 * MB)
        + b"\n"
        + b'+12125550003,"quoted\n'
        + b"z" * (2 * MB)
        + b'"\n'  # a row over the limit
        + b"+12125550004,Dan\n"
    )
    r = upload(client, h, cid, body)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["state"] == "DONE", result
    assert (result["accepted"], result["invalid"]) == (2, 2), result
    reasons = invalid_reasons(client, h, cid)
    assert set(reasons) == {3, 4}, reasons
    assert all("RELAYBIRD_UPLOAD_MAX_ROW" in reason for reason in reasons.values())


def test_a_cell_over_the_cell_limit_makes_its_row_invalid(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    body = "phone,note\n+12125550001," + "n" * 40_000 + "\n+12125550002,ok\n"
    r = upload(client, h, cid, body)
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["invalid"]) == (1, 1)
    reason = invalid_reasons(client, h, cid)[2]
    assert "column 2 has 40000 characters" in reason and "RELAYBIRD_UPLOAD_MAX_CELL" in reason
    # In the header, the same cell refuses the file.
    r = upload(client, h, cid, "phone," + "n" * 40_000 + "\n+12125550003,x\n")
    assert r.status_code == 422 and "RELAYBIRD_UPLOAD_MAX_CELL" in r.json()["detail"]


def test_rows_of_100000_empty_fields(client: TestClient, ctx: AppContext, keys: KeyMaker) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    wide = "," * 100_000
    r = upload(client, h, cid, "phone\n" + "".join(f"+1212555{i:04d}{wide}\n" for i in range(50)))
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["invalid"]) == (0, 50)
    assert all(
        "RELAYBIRD_UPLOAD_MAX_COLUMNS" in x for x in invalid_reasons(client, h, cid).values()
    )
    r = upload(client, h, cid, "phone" + wide + "\n+12125550001\n")
    assert r.status_code == 422 and "RELAYBIRD_UPLOAD_MAX_COLUMNS" in r.json()["detail"]


# --- XLSX ------------------------------------------------------------------------------------


def xlsx(sheet_xml: bytes, *, level: int = 9) -> bytes:
    """A minimal XLSX package around one worksheet part."""
    out = io.BytesIO()
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def sheet(rows: list[bytes], dimension: str | None = None) -> bytes:
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    dim = b"" if dimension is None else b'<dimension ref="' + dimension.encode() + b'"/>'
    body = b"".join(b'<row r="%d">%s</row>' % (i, row) for i, row in enumerate(rows, start=1))
    return (
        b'<?xml version="1.0"?><worksheet xmlns="'
        + main
        + b'">'
        + dim
        + (b"<sheetData>" + body + b"</sheetData></worksheet>")
    )


def text_cell(ref: str, value: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()


def test_an_xlsx_row_of_2_000_000_cells_is_refused_before_it_is_read(
    client: TestClient, ctx: AppContext, keys: KeyMaker
) -> None:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    header = text_cell("A1", "phone")
    huge = b"<c/>" * 2_000_000
    for dimension in (None, "A1:A2"):  # no dimension, or one that lies
        data = xlsx(sheet([header, text_cell("A2", "+12125550001") + huge], dimension))
        assert len(data) < 300_000
        r = upload(client, h, cid, data, filename="list.xlsx")
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert "row 2 of the sheet" in detail and "RELAYBIRD_UPLOAD_MAX_COLUMNS" in detail
    r = upload(client, h, cid, xlsx(sheet([header], "A1:XFD1")), filename="list.xlsx")
    assert r.status_code == 422 and "declares 16384 columns" in r.json()["detail"]
    # A normal sheet still goes through.
    ok = xlsx(sheet([header, text_cell("A2", "+12125550001")], "A1:A2"))
    r = upload(client, h, cid, ok, filename="list.xlsx")
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text


def test_an_xlsx_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    rows = [text_cell("A1", "phone")] + [
        text_cell(f"A{i}", "+12125550001" + " " * 1000) for i in range(2, 3000)
    ]
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(xlsx(sheet(rows)))
    assert path.stat().st_size < 100_000
    limits = UploadLimits(max_unpacked=1 * MB)
    try:
        next(read_rows(path, "bomb.xlsx", Progress(), limits))
    except Exception as exc:  # InvalidInput
        assert "RELAYBIRD_UPLOAD_MAX_UNPACKED" in str(exc)
    else:
        raise AssertionError("an XLSX unpacking past the limit was read")
    assert next(read_rows(path, "bomb.xlsx", Progress(), UploadLimits())) == ["phone"]


def test_the_readers_memory_stays_small_whatever_the_shape(tmp_path: Path) -> None:
    """The issue's shapes: a 20 MB CSV of 100,000 empty fields per row (+200 MB before), a
    10 MB line, a 2,000,000-cell XLSX row (1.7 GB before). Peak Python memory while reading."""
    wide = tmp_path / "wide.csv"
    wide.write_bytes(b"phone\n" + (b"+12125550001" + b"," * 100_000 + b"\n") * 200)
    line = tmp_path / "line.csv"
    line.write_bytes(b"phone\n+12125550001," + b"y" * (10 * MB) + b"\n+12125550002\n")
    cells = tmp_path / "cells.xlsx"
    cells.write_bytes(xlsx(sheet([text_cell("A1", "phone"), b"<c/>" * 2_000_000])))
    for path in (wide, line, cells):
        tracemalloc.start()
        try:
            try:
                rows = sum(1 for _ in read_rows(path, path.name, Progress()))
            except Exception as exc:  # the XLSX: refused whole
                rows = -1
                assert "RELAYBIRD_UPLOAD_MAX_COLUMNS" in str(exc)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert rows in (201, 3, -1), (path.name, rows)
        assert peak < 16 * MB, (path.name, peak)


# --- property: the CSV reader's limits --------------------------------------------------------

SMALL = UploadLimits(max_columns=6, max_cell=40, max_row=200)
HEADER = ["phone", "name", "code"]
cell = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=st.lists(st.lists(cell, min_size=1, max_size=9), min_size=1, max_size=12))
def test_the_csv_reader_keeps_or_refuses_each_row_by_the_limits(
    tmp_path: Path, table: list[list[str]]
) -> None:
    """Any table written by csv (quotes, separators and line breaks inside cells): one row out
    per row in, each either exactly the row (when it is within the limits) or a RefusedRow
    naming the limit it is over; a refused row never shifts the rows after it."""
    rows = [HEADER, *table]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path = tmp_path / "p.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    out = list(read_rows(path, "p.csv", Progress(), SMALL))
    assert len(out) == len(rows), (rows, out)
    for written, read in zip(rows, out, strict=True):
        encoded = io.StringIO(newline="")
        csv.writer(encoded).writerow(written)
        fits = (
            len(written) <= SMALL.max_columns
            and all(len(c) <= SMALL.max_cell for c in written)
            and len(encoded.getvalue()) <= SMALL.max_row
        )
        if fits:
            assert read == written
        else:
            assert isinstance(read, RefusedRow) and read == []
            assert "RELAYBIRD_UPLOAD_MAX_" in read.reason


def test_an_xlsx_with_a_huge_shared_string_is_refused_before_openpyxl_loads_it(
    tmp_path: Path,
) -> None:
    """openpyxl reads every shared string at load: a 50 MB one (a 50 KB zip) is refused by the
    scan, which holds none of it."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    data = io.BytesIO(xlsx(sheet([text_cell("A1", "phone")])))
    with zipfile.ZipFile(data, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0"?><sst xmlns="{main}"><si><t>'.encode()
            + b"s" * (50 * MB)
            + b"</t></si></sst>",
        )
    path = tmp_path / "strings.xlsx"
    path.write_bytes(data.getvalue())
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        try:
            next(read_rows(path, path.name, Progress()))
        except Exception as exc:  # InvalidInput
            assert "RELAYBIRD_UPLOAD_MAX_CELL" in str(exc)
        else:
            raise AssertionError("a 50 MB shared string was read")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB, peak
