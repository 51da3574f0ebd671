"""Fuzz what takes files and bodies from outside: the recipient importer and the webhook path.

- CSV: any bytes uploaded as a recipient list get a summary (every data row accounted for, every
  accepted phone in E.164) or a clear 4xx problem that stored nothing; never a 5xx.
- Webhooks: any bytes, correctly signed, get 200 (stored) or a clear 4xx (nothing stored); then
  the applier takes every stored body in without raising, and each row ends APPLIED or waiting
  for a retry with its reason — it never blocks the rows behind it.

Bodies are built from the real fixtures with random mutations as well as from raw bytes, so the
parser is driven deep, not only refused at the first brace. RELAYBIRD_FUZZ_EXAMPLES raises the
example count for a long reliability run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from relaybird.inbox.applier import apply_batch
from relaybird.models import InboxEvent, Recipient
from relaybird.wiring import registered_handlers
from tests.campaigns.helpers import new_campaign
from tests.factories import KeyMaker
from tests.inbox.helpers import signed

EXAMPLES = int(os.environ.get("RELAYBIRD_FUZZ_EXAMPLES", "40"))
FIXTURES = Path(__file__).parents[1] / "data" / "whatsapp-webhooks"
E164 = re.compile(r"\+[1-9]\d{6,14}")

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture
def app_client(sqlite_ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_ctx)) as client:
        yield client


# --- the recipient importer ------------------------------------------------------------------

PHONEISH = st.one_of(
    st.from_regex(r"\+?[0-9 ()\-.]{0,20}", fullmatch=True),
    st.sampled_from(["+12125550100", "2125550101", "0044 20 7946 0958", "+1 212 555 0102"]),
    st.text(max_size=12),
)
CELL = st.one_of(st.text(max_size=10), PHONEISH)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A CSV that is plausible (a header with a phone column, rows of phone-ish cells) or not."""
    header = draw(
        st.lists(
            st.one_of(st.sampled_from(["phone", "Guest phone number", "name", "msisdn"]), CELL),
            min_size=0,
            max_size=4,
        )
    )
    rows = draw(st.lists(st.lists(CELL, max_size=5), max_size=12))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    raw = text.encode(encoding, errors="replace")
    if draw(st.booleans()):  # a damaged file: random bytes spliced in
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=20)) + raw[at:]
    return raw


def _recipients(ctx: AppContext, cid: int) -> int:
    with ctx.db.read() as s:
        return int(s.scalar(select(func.count()).where(Recipient.campaign_id == cid)) or 0)


def test_any_uploaded_bytes_get_a_summary_or_a_clear_refusal(
    sqlite_ctx: AppContext, app_client: TestClient
) -> None:
    headers = KeyMaker(sqlite_ctx).headers()
    seen = {"summaries": 0, "refusals": 0}

    @fuzz_settings
    @given(raw=st.one_of(csv_files(), st.binary(max_size=300)))
    def check(raw: bytes) -> None:
        cid = new_campaign(app_client, sqlite_ctx, headers)["id"]
        r = app_client.post(
            f"/api/v1/campaigns/{cid}/recipients",
            files={"file": ("list.csv", raw, "text/csv")},
            headers=headers,
        )
        assert r.status_code < 500, r.text
        if r.status_code >= 400:
            seen["refusals"] += 1
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
            assert r.json()["detail"]
            assert _recipients(sqlite_ctx, cid) == 0  # a refused file stores nothing
            return
        seen["summaries"] += 1
        body = r.json()
        stored = _recipients(sqlite_ctx, cid)
        assert body["accepted"] + body["invalid"] == stored, body
        page = app_client.get(
            f"/api/v1/campaigns/{cid}/recipients?limit=500", headers=headers
        ).json()
        for item in page["items"]:
            if item["state"] == "INITIAL":
                assert E164.fullmatch(item["phone"]), item
            else:
                assert item["state"] == "INVALID_RECORD" and item["invalid_reason"], item

    check()
    # The generator reaches both outcomes; a fuzzer that only ever hits one proves little.
    assert seen["summaries"] and seen["refusals"], seen


def test_a_planted_importer_crash_is_found(
    sqlite_ctx: AppContext, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CSV fuzzer is able to fail: a header check that crashes on some headers (a 500) is
    caught. (A crash inside the import job itself is not a 500: the job records it as FAILED.)"""
    from relaybird.campaigns import readers, uploads
    from relaybird.campaigns.importer import Layout, layout_for

    def broken(path: Path, filename: str, body_params: list[str], **_: object) -> Layout:
        header = next(readers.read_rows(path, filename, readers.Progress()), None) or []
        if len([cell for cell in header if cell.strip()]) > 1:
            raise RuntimeError("planted")
        return layout_for(header, body_params)

    monkeypatch.setattr(uploads, "check_header", broken)
    with pytest.raises(Exception, match="planted"):
        test_any_uploaded_bytes_get_a_summary_or_a_clear_refusal(sqlite_ctx, app_client)


# --- the webhook path ------------------------------------------------------------------------


def _fixture_bodies() -> list[dict[str, Any]]:
    bodies = []
    for path in sorted(FIXTURES.glob("*.json")):
        try:
            body = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(body, dict):
            bodies.append(body)
    return bodies


FIXTURE_BODIES = _fixture_bodies()
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
)
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    """A real webhook body with one to three of its values replaced by arbitrary JSON."""
    body = json.loads(json.dumps(draw(st.sampled_from(FIXTURE_BODIES))))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(body) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = draw(JSON_ANY)
    return json.dumps(body).encode()


def test_any_signed_bytes_are_stored_or_refused_and_the_applier_never_crashes(
    sqlite_ctx: AppContext, app_client: TestClient
) -> None:
    assert FIXTURE_BODIES, "the vendored webhook fixtures are missing"
    outcomes = {"stored": 0, "refused": 0}

    @fuzz_settings
    @given(
        raw=st.one_of(
            mutated_fixture(), st.binary(max_size=200), JSON_ANY.map(json.dumps).map(str.encode)
        )
    )
    def check(raw: bytes) -> None:
        before = _inbox_rows(sqlite_ctx)
        r = app_client.post("/webhooks/whatsapp", content=raw, headers=signed(raw))
        assert r.status_code in (200, 400), r.text
        if r.status_code == 400:
            outcomes["refused"] += 1
            assert r.headers["content-type"].startswith("application/problem+json")
            assert _inbox_rows(sqlite_ctx) == before  # nothing stored
            return
        outcomes["stored"] += 1
        # The applier takes whatever was stored: no exception escapes, no row is left behind.
        while apply_batch(sqlite_ctx, registered_handlers()).rows:
            pass
        with sqlite_ctx.db.read() as s:
            stuck = s.scalars(
                select(InboxEvent).where(InboxEvent.status.not_in(["APPLIED", "RETRY", "FAILED"]))
            ).all()
            undocumented = s.scalars(
                select(InboxEvent).where(
                    InboxEvent.status.in_(["RETRY", "FAILED"]), InboxEvent.last_error.is_(None)
                )
            ).all()
        assert not stuck, [(e.id, e.status) for e in stuck]
        assert not undocumented  # a row that did not apply says why

    check()
    assert outcomes["stored"] and outcomes["refused"], outcomes


def _inbox_rows(ctx: AppContext) -> int:
    with ctx.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(InboxEvent)) or 0)
