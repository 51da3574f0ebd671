"""GET /api/v1/campaigns/{id}/recipients: keyset pages, by state, by phone prefix, both."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from relaybird.campaigns import repository
from relaybird.campaigns.recipients import add_counts
from relaybird.context import AppContext
from relaybird.kit.pagination import encode_cursor, encode_key_cursor
from relaybird.models import Recipient
from tests.campaigns.helpers import new_campaign, upload
from tests.factories import (
    KeyMaker,
    make_campaign,
    make_recipients,
    make_sender,
    make_workspace,
)

# Numbers in three area codes, some invalid rows (state INVALID_RECORD, phone None), and a
# duplicate (INVALID_RECORD too).
AREAS = ("212", "415", "646")
ROWS = [f"+1{AREAS[i % 3]}555{i:04d}" for i in range(40)] + ["12345", "", "+12125550000"]


def walk(client: TestClient, h: dict[str, str], cid: int, limit: int, **query: Any) -> list[Any]:
    """Every item of the list, page after page."""
    items: list[Any] = []
    cursor = None
    for _ in range(100):
        params = {**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"/api/v1/campaigns/{cid}/recipients", params=params, headers=h)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


@pytest.fixture
def listed(client: TestClient, ctx: AppContext, keys: KeyMaker) -> tuple[int, dict[str, str]]:
    h = keys.headers()
    cid = new_campaign(client, ctx, h)["id"]
    r = upload(client, h, cid, "phone,name\n" + "".join(f"{p},n\n" for p in ROWS))
    assert r.status_code == 200, r.text
    return cid, h


@pytest.mark.parametrize("few_in_state", [0, 20_000], ids=["prefix-walk", "state-walk"])
def test_prefix_pages_are_every_match_in_number_order(
    client: TestClient,
    listed: tuple[int, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    few_in_state: int,
) -> None:
    """Both ways a prefix page with a state is read (the prefix's numbers walked, or the
    state's rows when the counters say they are few) give the same pages."""
    monkeypatch.setattr(repository, "FEW_IN_STATE", few_in_state)
    cid, h = listed
    everyone = walk(client, h, cid, 500)
    assert len(everyone) == len(ROWS)
    for prefix in ("+1212", "1415", "+164655500", "+1212555001", "+9", "+12125550000"):
        digits = "+" + prefix.lstrip("+")
        expected = sorted(
            ((r["phone"], r["id"]) for r in everyone if (r["phone"] or "").startswith(digits)),
        )
        got = [(r["phone"], r["id"]) for r in walk(client, h, cid, 3, phone_prefix=prefix)]
        assert got == expected, prefix
        # With a state too: the same order, only that state's rows.
        initial = [x for x in expected if _state(everyone, x[1]) == "INITIAL"]
        got = walk(client, h, cid, 2, phone_prefix=prefix, state="INITIAL")
        assert [(r["phone"], r["id"]) for r in got] == initial


def _state(items: list[Any], rid: int) -> str:
    return next(str(i["state"]) for i in items if i["id"] == rid)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 50), state=st.sampled_from([None, "INITIAL", "INVALID_RECORD"]))
def test_state_pages_in_upload_order_whatever_the_page_size(
    client: TestClient, listed: tuple[int, dict[str, str]], limit: int, state: str | None
) -> None:
    cid, h = listed
    everyone = walk(client, h, cid, 500)
    expected = [r["id"] for r in everyone if state is None or r["state"] == state]
    query = {"state": state} if state else {}
    assert [r["id"] for r in walk(client, h, cid, limit, **query)] == expected
    assert expected == sorted(expected)


@pytest.mark.parametrize("prefix", ["", "+", "abc", "+1 212", "1" * 16, "%", "+12_", "12%"])
def test_a_bad_prefix_is_refused(
    client: TestClient, listed: tuple[int, dict[str, str]], prefix: str
) -> None:
    cid, h = listed
    r = client.get(
        f"/api/v1/campaigns/{cid}/recipients", params={"phone_prefix": prefix}, headers=h
    )
    assert r.status_code == 422, r.text


def test_a_cursor_only_serves_the_kind_of_list_it_came_from(
    client: TestClient, listed: tuple[int, dict[str, str]]
) -> None:
    cid, h = listed
    url = f"/api/v1/campaigns/{cid}/recipients"
    by_id = encode_cursor(5)
    by_phone = encode_key_cursor("+12125550003", 5)
    r = client.get(url, params={"phone_prefix": "+1", "cursor": by_id}, headers=h)
    assert r.status_code == 422, r.text
    r = client.get(url, params={"cursor": by_phone}, headers=h)
    assert r.status_code == 422, r.text
    for junk in ("x", "a2V5Ong6", "a2V5OjEy"):  # "key:x:", "key:12" (no key part)
        r = client.get(url, params={"phone_prefix": "+1", "cursor": junk}, headers=h)
        assert r.status_code == 422, r.text


def test_the_first_recipient_and_every_page_in_id_order_across_states(ctx: AppContext) -> None:
    """Without a state the list (and the preview's first recipient) merges one index range per
    state: the order is still the upload's, whichever states the rows are in now."""
    with ctx.db.write() as s:
        ws = make_workspace(s)
        cid = make_campaign(s, ws, make_sender(s, ws))
        ids = make_recipients(s, ws, cid, 30)
        for i, state in [(0, "SENT"), (1, "READ"), (7, "INVALID_RECORD"), (29, "DELIVERED")]:
            s.execute(update(Recipient).where(Recipient.id == ids[i]).values(state=state))
            add_counts(s, {(cid, "INITIAL"): -1, (cid, state): 1})  # as every move does
    with ctx.db.read() as s:
        first = repository.recipient_at_row(s, cid, None)
        assert first is not None and (first.id, first.row_number) == (ids[0], 2)
        at_row = repository.recipient_at_row(s, cid, 9)
        assert at_row is not None and at_row.id == ids[7]
        pages, after = [], None
        while True:
            page = repository.list_recipients(s, cid, state=None, after_id=after, limit=7)
            if not page:
                break
            pages.append([r.id for r in page])
            after = page[-1].id
    assert [i for p in pages for i in p] == ids
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]


def test_a_page_of_all_states_reads_only_the_states_that_hold_recipients(ctx: AppContext) -> None:
    """The campaign's counters name the states with recipients; the other states' index ranges
    are not read (a running campaign has a handful of its thirteen states)."""
    from sqlalchemy import event

    with ctx.db.write() as s:
        ws = make_workspace(s)
        cid = make_campaign(s, ws, make_sender(s, ws))
        ids = make_recipients(s, ws, cid, 5) + make_recipients(s, ws, cid, 3, state="SENT")
    statements: list[str] = []
    with ctx.db.read() as s:
        connection = s.connection()

        def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
            statements.append(statement)

        event.listen(connection, "before_cursor_execute", seen)
        try:
            page = repository.list_recipients(s, cid, state=None, after_id=None, limit=50)
        finally:
            event.remove(connection, "before_cursor_execute", seen)
    assert [r.id for r in page] == ids
    ranges = [q for q in statements if "FROM recipients" in q and "ORDER BY" in q]
    assert len(ranges) == 3, statements  # INITIAL's range, SENT's, then the rows themselves
