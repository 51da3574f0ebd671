"""Users (agents, Symphony's advisors) and their second (virtual) number per Direct network:
the number unknown people write or call, which auto-onboards them (DESIGN.md §2.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from relaybird.auth.roles import Role
from relaybird.contacts import repository
from relaybird.contacts.transitions import DIRECT_NETWORKS, Network
from relaybird.contacts.validation import normalise_email, normalise_phone
from relaybird.errors import Conflict, InvalidInput, NotFound, found
from relaybird.events.outbox import emit
from relaybird.kit.pagination import Page, paginate
from relaybird.models import User, VirtualNumber


@dataclass(frozen=True)
class UserView:
    user: User
    virtual_numbers: dict[str, str]  # network → E.164


def create_user(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    email: str,
    role: Role = Role.AGENT,
    virtual_numbers: dict[Network, str] | None = None,
    at: datetime,
    region: str = "US",
) -> UserView:
    # Every problem of the body in one answer (issue 12 item 8), before any look-up.
    problems: list[dict[str, str]] = []

    def check(field: str, fn: Callable[[str], str], value: str) -> None:
        try:
            fn(value)
        except InvalidInput as exc:
            problems.append({"field": field, "msg": exc.detail.split(": ", 1)[-1]})

    check("email", normalise_email, email)
    if not name.strip():
        problems.append({"field": "name", "msg": "required"})
    elif any(ord(c) < 32 for c in name):
        problems.append({"field": "name", "msg": "must not contain control characters"})
    for network, phone in (virtual_numbers or {}).items():
        field = f"virtual_numbers.{network}"
        if network not in DIRECT_NETWORKS:
            msg = "virtual numbers exist on SMS_DIRECT and WHATSAPP_DIRECT"
            problems.append({"field": field, "msg": msg})
        else:
            check(field, lambda raw: normalise_phone(raw, region), phone)
    if problems:
        raise InvalidInput(
            "; ".join(f"{e['field']}: {e['msg']}" for e in problems), errors=problems
        )
    address = normalise_email(email)
    if repository.user_by_email(session, workspace_id, address) is not None:
        raise Conflict(f"a user with e-mail {address} already exists in this workspace")
    user = repository.add_user(
        session,
        workspace_id=workspace_id,
        name=name.strip(),
        email=address,
        role=role.value,
        active=True,
        created_at=at,
        updated_at=at,
    )
    for network, phone in (virtual_numbers or {}).items():
        set_virtual_number(session, workspace_id, user.id, network, phone, at=at, region=region)
    return view(session, workspace_id, user.id)


def get_user(session: Session, workspace_id: int, user_id: int) -> User:
    return found(repository.user(session, workspace_id, user_id), f"user {user_id}")


def view(session: Session, workspace_id: int, user_id: int) -> UserView:
    user = get_user(session, workspace_id, user_id)
    return UserView(
        user, {n.network: n.phone for n in repository.virtual_numbers(session, [user.id])}
    )


def list_users(
    session: Session, workspace_id: int, *, cursor: str | None, limit: int
) -> Page[UserView]:
    page = paginate(
        session, repository.users_query(workspace_id), User.id, cursor=cursor, limit=limit
    )
    numbers: dict[int, dict[str, str]] = {}
    for n in repository.virtual_numbers(session, [u.id for u in page.items]):
        numbers.setdefault(n.user_id, {})[n.network] = n.phone
    return Page([UserView(u, numbers.get(u.id, {})) for u in page.items], page.next_cursor)


def set_virtual_number(
    session: Session,
    workspace_id: int,
    user_id: int,
    network: Network,
    phone: str,
    *,
    at: datetime,
    region: str = "US",
) -> UserView:
    """Give the user this number on a Direct network (replacing their previous one there). A
    number routes to one user per network: taken by someone else → 409."""
    if network not in DIRECT_NETWORKS:
        raise InvalidInput(
            f"network: virtual numbers exist on SMS_DIRECT and WHATSAPP_DIRECT, not {network}"
        )
    number = normalise_phone(phone, region)
    user = view(session, workspace_id, user_id).user
    taken = repository.virtual_number(session, network.value, number)
    if taken is not None and taken.user_id != user.id:
        raise Conflict(f"this number is already the {network} virtual number of another user")
    if taken is None:
        repository.clear_virtual_number(session, user.id, network.value)
        try:
            with session.begin_nested():
                repository.add_virtual_number(
                    session,
                    workspace_id=workspace_id,
                    user_id=user.id,
                    network=network.value,
                    phone=number,
                    created_at=at,
                )
        except IntegrityError:
            raise Conflict(f"this number was just given to another user on {network}") from None
        _emit(session, workspace_id, user.id, network, "set", at)
    return view(session, workspace_id, user.id)


def clear_virtual_number(
    session: Session, workspace_id: int, user_id: int, network: Network, *, at: datetime
) -> UserView:
    user = view(session, workspace_id, user_id).user
    if repository.clear_virtual_number(session, user.id, network.value):
        _emit(session, workspace_id, user.id, network, "cleared", at)
    return view(session, workspace_id, user.id)


def set_forwarding(
    session: Session,
    workspace_id: int,
    user_id: int,
    *,
    phone: str | None,
    forward_calls: bool,
    at: datetime,
    region: str = "US",
) -> UserView:
    """The user's own phone, where calls to their SMS & Voice Direct virtual number go when
    ``forward_calls`` is on (else the connector's spoken message answers). ``phone`` None keeps
    the current one. A bad phone, or forwarding on without a phone → InvalidInput (422), nothing
    changed. The event says what changed, never the number."""
    number = normalise_phone(phone, region) if phone is not None else None
    user = get_user(session, workspace_id, user_id)
    if forward_calls and number is None and user.forward_phone is None:
        raise InvalidInput(
            "forward_calls: give the phone to forward calls to",
            errors=[{"field": "phone", "msg": "required when forward_calls is true"}],
        )
    if number is not None:
        user.forward_phone = number
    user.forward_calls = forward_calls
    user.updated_at = at
    session.flush()
    emit(
        session,
        workspace_id=workspace_id,
        type="user.call_forwarding_set",
        entity="user",
        entity_id=user.id,
        data={"id": user.id, "forward_calls": forward_calls},
        at=at,
    )
    return view(session, workspace_id, user.id)


def clear_forwarding(
    session: Session, workspace_id: int, user_id: int, *, at: datetime
) -> UserView:
    """Forget the user's phone; calls are answered with the spoken message again."""
    user = get_user(session, workspace_id, user_id)
    if user.forward_phone is not None or user.forward_calls:
        user.forward_phone = None
        user.forward_calls = False
        user.updated_at = at
        session.flush()
        emit(
            session,
            workspace_id=workspace_id,
            type="user.call_forwarding_cleared",
            entity="user",
            entity_id=user.id,
            data={"id": user.id},
            at=at,
        )
    return view(session, workspace_id, user.id)


def forward_to(session: Session, user_id: int) -> str | None:
    """Where a call to this user's virtual number is forwarded (None: answer it with the
    spoken message)."""
    user = session.get(User, user_id)
    if user is None or not user.active or not user.forward_calls:
        return None
    return user.forward_phone


def user_for_virtual_number(session: Session, network: Network, phone: str) -> VirtualNumber | None:
    """Whose virtual number ``phone`` (E.164) is on ``network`` (Direct inbound routing)."""
    return repository.virtual_number(session, network.value, phone)


def _emit(
    session: Session, workspace_id: int, user_id: int, network: Network, what: str, at: datetime
) -> None:
    emit(
        session,
        workspace_id=workspace_id,
        type=f"user.virtual_number_{what}",
        entity="user",
        entity_id=user_id,
        data={"id": user_id, "network": network.value},
        at=at,
    )


def by_email(session: Session, workspace_id: int, email: str) -> User:
    user = repository.user_by_email(session, workspace_id, email.strip().lower())
    if user is None:
        raise NotFound(f"no user {email!r} in this workspace (create one with POST /users)")
    return user
