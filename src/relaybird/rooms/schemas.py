"""Request and response bodies of the rooms API."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from relaybird.contacts.schemas import RowId
from relaybird.contacts.transitions import Network

if TYPE_CHECKING:
    from relaybird.rooms.service import RoomView


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    network: Network
    owner_user_id: int = Field(description="The user (agent) who owns the room; also a member.")
    sender_id: int | None = Field(
        default=None,
        description="WhatsApp rooms only (required there): the sender number the welcome "
        "template and the room's messages go out from.",
    )


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int


class ContactAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


class RoomContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    network: str
    status: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    window_expires_at: datetime | None = Field(
        description="End of the contact's customer-service window (WhatsApp 24 h, WeChat 48 h; "
        "None: never opened)."
    )


class RoomOut(BaseModel):
    id: int
    name: str
    network: str
    status: str = Field(
        description="ACTIVE, LIMITED (a contact's 24 h window is closed) or "
        "DEACTIVATED (its last contact was removed)."
    )
    owner_user_id: int
    sender_id: int | None
    members: list[UserOut]
    contacts: list[RoomContactOut]
    created_at: datetime

    @classmethod
    def of(cls, v: RoomView) -> RoomOut:
        return cls(
            id=v.room.id,
            name=v.room.name,
            network=v.room.network,
            status=v.room.status,
            owner_user_id=v.room.owner_user_id,
            sender_id=v.room.sender_id,
            members=[UserOut.model_validate(u) for u in v.members],
            contacts=[RoomContactOut.model_validate(c) for c in v.contacts],
            created_at=v.room.created_at,
        )


class RoomPage(BaseModel):
    items: list[RoomOut]
    next_cursor: str | None


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=16)
    body_params: list[str] = Field(default_factory=list, max_length=20)


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="Free-form text: on WhatsApp networks only inside every addressed contact's "
        "24 h customer-service window, else 409 `template_required`; on WeChat inside the 48 h "
        "one, else 409 `contact_must_write_first`.",
    )
    template: TemplateIn | None = Field(
        default=None, description="An approved WhatsApp template: allowed outside the window."
    )

    @model_validator(mode="after")
    def _one(self) -> MessageCreate:
        if (self.text is None) == (self.template is None):
            raise ValueError("give either text or template")
        return self


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    room_id: int
    direction: str = Field(description="OUT, IN or SYSTEM")
    kind: str = Field(description="TEXT, TEMPLATE, WELCOME, CALL, NOTICE, or WhatsApp's type")
    status: str = Field(
        description="OUT: PENDING → SENT → DELIVERED → READ, or FAILED. IN: RECEIVED (HELD while "
        "the number is blocked). SYSTEM: POSTED."
    )
    contact_id: int | None
    author_user_id: int | None
    text: str | None
    template_name: str | None
    wamid: str | None = Field(description="The provider's message id.")
    error_code: int | None = Field(
        description="The provider's error: why it FAILED, or (still PENDING) why the last "
        "attempt failed before a retry."
    )
    error_title: str | None
    attempts: int = Field(description="Send attempts so far (OUT).")
    next_attempt_at: datetime | None = Field(
        description="PENDING after a transient error: when it is tried again."
    )
    created_at: datetime
    updated_at: datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class AnswerIn(BaseModel):
    """An answer to a campaign reply: free-form text to the number that replied."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=4096,
        description="Free-form text (WhatsApp's limit: 4096 characters; not blank). Only inside "
        "the 24 h customer-service window opened by the number's last message.",
    )
    user_id: RowId | None = Field(
        default=None,
        description="The user answering, who owns the contact and room if they are created. "
        "Default: the dashboard user, else the contact's owner, else the workspace's first "
        "active user.",
    )


class AnswerOut(BaseModel):
    room_id: int = Field(description="The room the conversation continues in (GET /rooms/{id}).")
    room_created: bool = Field(description="True when this answer opened the room.")
    contact_id: int = Field(description="The number's WhatsApp contact in the workspace.")
    message: MessageOut = Field(
        description="The answer: PENDING, or SENT once Meta accepted it; its status webhooks "
        "move it on (DELIVERED, READ, or FAILED with the error)."
    )
