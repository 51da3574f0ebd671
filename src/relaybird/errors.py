"""The application's error tree. One handler renders each as RFC 9457 problem+json.

    AppError (500, internal_error)
    ├── BadRequest (400, bad_request)
    │   └── InvalidInput (422, invalid_input)
    ├── Unauthorized (401, unauthorized)
    ├── Forbidden (403, forbidden)
    ├── NotFound (404, not_found)
    ├── Conflict (409, conflict)
    │   └── IllegalTransition (409, illegal_transition)
    ├── Gone (410, gone)
    ├── PayloadTooLarge (413, payload_too_large)
    └── ServiceUnavailable (503, unavailable)

Business code raises these; it never raises HTTPException. ``code`` is stable: clients may match it.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class AppError(Exception):
    status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class InvalidInput(BadRequest):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"


def found(row: T | None, what: str) -> T:
    """``row``, or ``NotFound("<what> not found")`` when there is none (another workspace's
    rows are none too): the one "get or 404"."""
    if row is None:
        raise NotFound(f"{what} not found")
    return row


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Illegal status change"


class Gone(AppError):
    """The thing existed but is no longer usable (an expired or superseded invitation code)."""

    status = 410
    code = "gone"
    title = "Gone"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class ServiceUnavailable(AppError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"
