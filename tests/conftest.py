"""Test fixtures: real SQLite and real PostgreSQL, each test on a clean database.

``db`` runs a test once per backend. PostgreSQL comes from RELAYBIRD_TEST_POSTGRES_URL (default
the local ``test`` database); each test session creates its own database in it, so parallel runs
never share rows. Without a reachable server the PostgreSQL half skips with a one-line reason,
unless RELAYBIRD_TEST_REQUIRE_POSTGRES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from relaybird.app.factory import create_app
from relaybird.config import Settings
from relaybird.context import AppContext
from relaybird.db import Database
from relaybird.db import migrate as db_migrate
from relaybird.db.engine import normalise_url
from relaybird.kit.time import ManualClock
from relaybird.models import Base
from tests.factories import KeyMaker

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment. The CLI's Rich
# consoles are created at import and keep a width found in the environment then, so every CLI
# table of the session would be cut at 80 columns whatever a test sets: a test that wants a
# width sets COLUMNS itself (monkeypatch), as in a serial run.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
assert "relaybird.cli.common" not in sys.modules, "the CLI was imported before the width reset"

PG_URL = os.environ.get(
    "RELAYBIRD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("RELAYBIRD_TEST_REQUIRE_POSTGRES") == "1"

# CI runs every property and fuzz test on a fixed sequence of examples (reproducible: a red CI
# is a bug to read, not a coin toss); a developer's `make test` explores new examples each run.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("RELAYBIRD_HYPOTHESIS_PROFILE", "default"))

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.simulator",
    "tests.fixtures.live_server",
]

_pg_counts = {"passed": 0, "failed": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # By the report's own keywords (its markers among them): under pytest-xdist the controller
    # that prints the summary never collects, it only receives the workers' reports.
    if report.when == "call" and "postgres" in report.keywords:
        if report.passed:
            _pg_counts["passed"] += 1
        elif report.failed:
            _pg_counts["failed"] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(
        f"PostgreSQL: {_pg_counts['passed']} tests passed against PostgreSQL"
        f" ({_pg_counts['failed']} failed)"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_PG and exitstatus == 0 and _pg_counts["passed"] == 0:
        session.exitstatus = 1
        print("\nRELAYBIRD_TEST_REQUIRE_POSTGRES=1 but no test ran against PostgreSQL")


def _handlers_on_closed_streams() -> list[str]:
    loggers = [logging.getLogger()] + [
        found
        for found in logging.Logger.manager.loggerDict.values()
        if isinstance(found, logging.Logger)
    ]
    return [
        f"{logger.name or 'root'}: {handler!r}"
        for logger in loggers
        for handler in logger.handlers
        if getattr(getattr(handler, "stream", None), "closed", False)
    ]


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """A CLI command run in-process sets the root logger's level and handler: put them back
    after every test. And no handler may be left writing to a closed stream (a stream a
    CliRunner or pytest swapped in and closed since): every later record of a server's thread or
    a loop would print an "I/O operation on closed file" traceback (issue 18 item 12). Handlers
    write to the sys.stderr of the moment instead (relaybird.kit.logging.StderrHandler)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
        closed = _handlers_on_closed_streams()
        assert not closed, f"log handlers left on a closed stream: {closed}"
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _fastapi_caches() -> list[Any]:
    """FastAPI's module-level LRU caches of endpoint callables (fastapi.dependencies.models,
    4,096 entries each). Each entry holds a callable and so its closure: our per-app endpoints
    close over their app, so a test session that builds an app per test kept ~200 whole apps
    (routes, pydantic validators) alive: 1.9 GB by the end of the suite, every full garbage
    collection slower (the last one, pytest's at exit, took over a minute) and a server thread
    of a live-server test stalled behind them. A server builds one app: no cache to clear there."""
    import fastapi.dependencies.models as models

    return [v for v in vars(models).values() if callable(getattr(v, "cache_clear", None))]


_FASTAPI_CACHES = _fastapi_caches()


def clear_fastapi_caches() -> None:
    for cache in _FASTAPI_CACHES:
        cache.cache_clear()


@pytest.fixture(autouse=True)
def _fastapi_caches_cleared() -> Iterator[None]:
    """The apps a test built are freed after it (see ``_fastapi_caches``;
    tests/test_suite_memory.py)."""
    yield
    clear_fastapi_caches()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    admin_url = normalise_url(PG_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_URL} (set RELAYBIRD_TEST_POSTGRES_URL)")
    name = f"relaybird_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    db_migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db_migrate.upgrade(f"sqlite:///{path}")
    return path


def _truncate_all(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def make_sqlite_url(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "relaybird.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield make_sqlite_url(sqlite_template, tmp_path)
        return
    url = request.getfixturevalue("pg_url")
    db = Database(url, pool_size=2)
    _truncate_all(db)
    db.dispose()
    yield url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return make_sqlite_url(sqlite_template, tmp_path)


# A fixed Fernet key (RELAYBIRD_SECRET_KEY) sealing the connectors' secrets in tests.
TEST_SECRET_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0="


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "whatsapp_app_secret": "test-app-secret",
        "whatsapp_verify_token": "test-verify-token",
        "direct_webhook_secret": "test-direct-secret",
        "public_url": "http://relaybird.test",
        "session_secret": "test-session-secret",
        # No test reaches Meta: a provider call a test did not point at the simulator is refused
        # at once (nothing listens on the discard port).
        "graph_api_url": "http://127.0.0.1:9",
        "metrics_token": "test-metrics-token",
        "secret_key": TEST_SECRET_KEY,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ctx(db_url: str, clock: ManualClock) -> Iterator[AppContext]:
    """An AppContext on both backends (the test runs twice)."""
    context = AppContext(settings=make_settings(db_url), db=Database(db_url), clock=clock)
    yield context
    context.db.dispose()


@pytest.fixture
def sqlite_ctx(sqlite_url: str, clock: ManualClock) -> Iterator[AppContext]:
    """An AppContext on SQLite only, for tests whose subject is not the database."""
    context = AppContext(settings=make_settings(sqlite_url), db=Database(sqlite_url), clock=clock)
    yield context
    context.db.dispose()


@pytest.fixture
def db(ctx: AppContext) -> Database:
    return ctx.db


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    # Every API test is also a stall detector: no route may run SQL on the event loop (issue 11
    # item 2; tests/fixtures/stall.py).
    from tests.fixtures.stall import db_calls_on_event_loop, describe

    with db_calls_on_event_loop(ctx.db) as calls, TestClient(create_app(ctx)) as test_client:
        yield test_client
    assert calls == [], describe(calls)


@pytest.fixture
def keys(ctx: AppContext) -> KeyMaker:
    return KeyMaker(ctx)
