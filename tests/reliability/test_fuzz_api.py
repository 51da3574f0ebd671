"""Fuzz: schemathesis generates requests from /openapi.json against the real ASGI app (SQLite).

No generated request, valid or not, may produce a 5xx, and every error is problem+json. Each
operation gets RELAYBIRD_FUZZ_EXAMPLES examples (default 15 in `make test`; raise it for a long
reliability run). The operations are driven through schemathesis' Hypothesis strategies directly
(its pytest plugin does not support this pytest version).
"""

from __future__ import annotations

import os

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from relaybird.app.factory import create_app
from relaybird.context import AppContext
from tests.factories import KeyMaker

EXAMPLES = int(os.environ.get("RELAYBIRD_FUZZ_EXAMPLES", "15"))
PROBLEM_OR_PAGE = ("application/problem+json", "text/html", "text/plain")


def fuzz(
    app: FastAPI, ctx: AppContext, examples: int = EXAMPLES, only: str | None = None
) -> list[str]:
    """Run every operation of the app's OpenAPI (``only``: those whose path holds it) with
    generated input; return the failures."""
    failures: list[str] = []
    with TestClient(app):
        headers = {"Authorization": f"Bearer {KeyMaker(ctx).create('admin')}"}
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()
            if only is not None and only not in operation.path:
                continue

            @settings(
                max_examples=examples,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=operation.as_strategy())
            def run(case: schemathesis.Case) -> None:
                label = f"{case.method} {case.formatted_path}"
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # the test client re-raises server errors
                    failures.append(f"{label}: 500 raised {exc!r}")
                    return
                if response.status_code >= 500:
                    failures.append(f"{label}: {response.status_code} {response.text[:300]}")
                elif response.status_code >= 400 and response.content:
                    kind = response.headers.get("content-type", "")
                    kind = kind[0] if isinstance(kind, list) else kind
                    if not kind.startswith(PROBLEM_OR_PAGE):
                        failures.append(f"{label}: {response.status_code} as {kind}")

            run()
    return failures


def test_no_generated_request_yields_a_server_error(sqlite_ctx: AppContext) -> None:
    failures = fuzz(create_app(sqlite_ctx), sqlite_ctx)
    assert failures == [], "\n".join(sorted(set(failures))[:20])


def test_the_fuzzer_finds_a_planted_server_error(sqlite_ctx: AppContext) -> None:
    app = create_app(sqlite_ctx)

    @app.get("/api/v1/planted/{n}", summary="fails on purpose for large n")
    def planted(n: int) -> dict[str, int]:
        if n > 1000:
            raise RuntimeError("planted")
        return {"n": n}

    # The planted operation alone (the whole API is the test above): the same machinery must
    # find its 500 from generated input.
    failures = fuzz(app, sqlite_ctx, examples=50, only="/planted/")
    assert any("planted" in f and ": 500" in f for f in failures), failures
