"""Fixtures of the dashboard tests: Chromium, and our real server (uvicorn, background loops)
on real time with the simulator as the Graph API, for the browser tests."""

from collections.abc import Iterator

import pytest

from relaybird.context import AppContext
from relaybird.db import Database
from relaybird.kit.time import SystemClock
from tests.conftest import make_settings
from tests.dashboard.browser import browser  # noqa: F401  (the Chromium fixture)
from tests.fixtures.live_server import LiveServer, start_live_server
from tests.fixtures.simulator import SimHandle


@pytest.fixture
def app_ctx(sqlite_url: str, simulator: SimHandle) -> Iterator[AppContext]:
    """Real time (the loops and the browser share it), the simulator as the Graph API."""
    settings = make_settings(sqlite_url, graph_api_url=simulator.url)
    ctx = AppContext(settings=settings, db=Database(sqlite_url), clock=SystemClock())
    yield ctx
    ctx.db.dispose()


@pytest.fixture
def server(app_ctx: AppContext) -> Iterator[LiveServer]:
    live = start_live_server(app_ctx, loops=True)
    yield live
    live.stop()
