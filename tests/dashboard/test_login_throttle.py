"""Issue 11 item 8: the login throttle counts one account under every spelling of it, and API-key
logins per key tried and per address, never in one bucket that anyone could keep closed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from tests.dashboard.helpers import PASSWORD, csrf_of, make_user
from tests.factories import KeyMaker


def _post(client: TestClient, **fields: str) -> Any:
    page = client.get("/ui/login")
    return client.post(
        "/ui/login", data={"csrf": csrf_of(page.text), **fields}, follow_redirects=False
    )


@pytest.fixture
def attacker(ctx: AppContext) -> Iterator[TestClient]:
    """Another address on the same server (the throttle lives in the process's context)."""
    with TestClient(create_app(ctx), client=("203.0.113.66", 40000)) as other:
        yield other


def test_every_spelling_of_an_account_counts_against_it(
    ctx: AppContext, client: TestClient
) -> None:
    make_user(ctx, "ana@example.com")
    spellings = [
        ("deFault", "ana@example.com"),
        ("DEFAULT", "Ana@Example.com"),
        (" default ", "ANA@EXAMPLE.COM "),
        ("Default", "ana@EXAMPLE.com"),
        ("default", " ana@example.com"),
    ]
    for workspace, email in spellings:
        wrong = _post(client, workspace=workspace, email=email, password="wrong password!")
        assert wrong.status_code == 401
    right = _post(client, workspace="default", email="ana@example.com", password=PASSWORD)
    assert right.status_code == 429


def test_failed_api_key_logins_do_not_lock_out_everyone_elses_keys(
    ctx: AppContext, client: TestClient, attacker: TestClient, keys: KeyMaker
) -> None:
    for i in range(19):  # wrong keys from one address, short of its own limit
        assert _post(attacker, api_key=f"rbk_wrong-{i}").status_code == 401
    assert _post(client, api_key=keys.create("viewer")).status_code == 303

    # The guessing address itself is stopped at its limit, whatever it tries next.
    assert _post(attacker, api_key="rbk_wrong-last").status_code == 401
    assert _post(attacker, api_key=keys.create("viewer")).status_code == 429
    # Another address may still log in with a key.
    client.cookies.clear()
    assert _post(client, api_key=keys.create("viewer")).status_code == 303


def test_one_key_tried_again_and_again_is_throttled_per_key(
    ctx: AppContext, client: TestClient, attacker: TestClient
) -> None:
    for _ in range(5):
        assert _post(attacker, api_key="rbk_the-same-wrong-key").status_code == 401
    assert _post(client, api_key="rbk_the-same-wrong-key").status_code == 429
