"""RFC 9457 problem+json for every failure, validation included."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from relaybird.errors import AppError
from relaybird.inbox.refusals import refused

log = logging.getLogger("relaybird.api")

PROBLEM = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://relaybird.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": text,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for code, text in (
        (401, "Missing or unknown API key"),
        (403, "The key's role does not allow this"),
        (404, "No such resource in this workspace"),
        (409, "Conflicts with the resource's current status"),
        (422, "Invalid input"),
    )
}


# Answers that mean "this webhook was refused" (its sender is misconfigured or not the provider).
REFUSALS = frozenset({401, 403, 413})
WEBHOOKS = "/webhooks/"


def _webhook_door(path: str) -> str | None:
    if not path.startswith(WEBHOOKS):
        return None
    door = path.removeprefix(WEBHOOKS).split("/", 1)[0]
    return door if door.isascii() and door.isidentifier() and len(door) <= 32 else None


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        if exc.status >= 500:
            log.error("app error: %s", exc.detail)
        door = _webhook_door(request.url.path)
        if door is not None and exc.status in REFUSALS:
            await refused(request.app.state.ctx, door, exc.detail)
        extra = {
            k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | list | dict)
        }
        return problem(exc.status, exc.code, exc.title, exc.detail, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
        return problem(422, "invalid_input", "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        response = problem(
            exc.status_code, code, titles.get(exc.status_code, "Error"), str(exc.detail)
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def _out_of_range_or_raise(_request: Request, exc: Exception) -> JSONResponse:
        if not _out_of_range(exc):
            raise exc
        # An id or count no column can hold (SQLite: OverflowError on bind; PostgreSQL:
        # numeric_value_out_of_range). The transaction rolled back: nothing changed.
        return problem(
            422,
            "invalid_input",
            "Invalid input",
            f"a number in the request is out of range (ids are at most {2**63 - 1})",
        )

    app.add_exception_handler(OverflowError, _out_of_range_or_raise)
    app.add_exception_handler(StatementError, _out_of_range_or_raise)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(
            500, "internal_error", "Internal error", "an unexpected error occurred; it was logged"
        )


def _out_of_range(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, OverflowError) or getattr(seen, "sqlstate", None) == "22003":
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False
