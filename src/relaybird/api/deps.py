"""FastAPI dependencies: the context, units of work, and the caller's principal with a role."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from relaybird.auth import service as auth
from relaybird.auth.roles import Role
from relaybird.auth.service import Principal
from relaybird.context import AppContext
from relaybird.errors import Forbidden, Unauthorized
from relaybird.kit.pagination import MAX_LIMIT, decode_cursor, encode_cursor

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer rbk_...`")


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def write_session(ctx: Ctx) -> Iterator[Session]:
    """A write unit of work for the request: committed when the handler returns normally,
    BEFORE the answer is sent (see ``WriteSession``); rolled back when it raises."""
    with ctx.db.write() as session:
        yield session


def read_session(ctx: Ctx) -> Iterator[Session]:
    with ctx.db.read() as session:
        yield session


# scope="function": FastAPI runs the dependency's exit (the COMMIT) as soon as the handler has
# returned and its answer is built, before a byte of it is sent. The default ("request") runs it
# after the answer went out, so a 201 could precede a failed commit, and a GET right after a POST
# could miss the object (issue 12 item 13). A commit that fails is then the request's error (500).
# Reads keep the default: a streamed answer (a CSV export) reads while it is being sent.
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
ReadSession = Annotated[Session, Depends(read_session)]


def current_principal(
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("send an API key as `Authorization: Bearer <key>`")
    with ctx.db.read() as session:
        return auth.authenticate(session, credentials.credentials)


def require(role: Role) -> Callable[[Principal], Principal]:
    def _check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.role.allows(role):
            raise Forbidden(f"this needs the {role.value} role; the key has {principal.role.value}")
        return principal

    return _check


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Agent = Annotated[Principal, Depends(require(Role.AGENT))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


T = TypeVar("T")

NEXT_CURSOR = "X-Next-Cursor"


@dataclass
class Window:
    """``limit`` and ``cursor`` of a list answered as a plain JSON array (histories, keys,
    subscriptions, block lists): the same opaque id cursor and bounds as the paged lists, the
    next page's cursor in the ``X-Next-Cursor`` header (absent on the last page)."""

    after: int | None
    limit: int
    response: Response

    @property
    def bounds(self) -> dict[str, int | None]:
        """For the query: the rows after the cursor, one more than the page (is there more?)."""
        return {"after": self.after, "limit": self.limit + 1}

    def take(self, items: Sequence[T]) -> list[T]:
        """The window of ``items`` (ordered by id; an item without an id comes first)."""

        def id_of(item: Any) -> int:
            return int(getattr(item, "id", None) or 0)

        rest = [x for x in items if self.after is None or id_of(x) > self.after]
        page = rest[: self.limit]
        if len(rest) > self.limit:
            self.response.headers[NEXT_CURSOR] = encode_cursor(id_of(page[-1]))
        return page


def list_window(
    response: Response,
    cursor: Annotated[
        str | None, Query(description=f"The `{NEXT_CURSOR}` header of the previous page.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="At most this many items (oldest first).")
    ] = 100,
) -> Window:
    return Window(decode_cursor(cursor) if cursor else None, limit, response)


ListWindow = Annotated[Window, Depends(list_window)]
