"""The suite frees the apps its tests build (tests/conftest.py, ``_fastapi_caches``)."""

from __future__ import annotations

import gc
import weakref

from fastapi.testclient import TestClient

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from tests.conftest import _FASTAPI_CACHES, clear_fastapi_caches


def test_fastapi_still_has_the_caches_the_suite_clears() -> None:
    # If FastAPI renames or drops them, this says so: the suite's memory would creep back.
    assert len(_FASTAPI_CACHES) >= 3


def test_an_app_a_test_built_and_served_is_freed_once_the_caches_are_cleared(
    sqlite_ctx: AppContext,
) -> None:
    app = create_app(sqlite_ctx)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    freed = weakref.ref(app)
    del app, client
    gc.collect()
    assert freed() is not None, "nothing held the app: this test no longer tests the clearing"
    clear_fastapi_caches()
    gc.collect()
    assert freed() is None
