from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from relaybird.auth.roles import Role
from relaybird.contacts.transitions import ContactStatus, Network

# Ids are 64-bit: anything larger is not one of ours (and would overflow the database driver).
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class DirectNetwork(StrEnum):
    SMS_DIRECT = "SMS_DIRECT"
    WHATSAPP_DIRECT = "WHATSAPP_DIRECT"


class StatusFilter(StrEnum):
    """A contact status, or NONE for contacts with no status."""

    PENDING_CONFIRMATION = "PENDING_CONFIRMATION"
    CONFIRMED = "CONFIRMED"
    INVITE_EXPIRED = "INVITE_EXPIRED"
    UNAVAILABLE = "UNAVAILABLE"
    INCOMPLETE = "INCOMPLETE"
    BLOCKED = "BLOCKED"
    NONE = "NONE"


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    network: Network = Field(description="WHATSAPP, WHATSAPP_DIRECT, WECHAT, LINE or SMS_DIRECT.")
    first_name: str | None = Field(default=None, max_length=1000)
    last_name: str | None = Field(default=None, max_length=1000)
    company: str | None = Field(default=None, max_length=1000)
    email: str | None = Field(
        default=None,
        max_length=1000,
        description="Required on WHATSAPP, WECHAT and LINE (the invitation goes there).",
    )
    phone: str | None = Field(
        default=None,
        max_length=100,
        description="E.164 (+ and country code); stored normalised. Required on every network.",
    )
    owner_user_id: RowId = Field(description="The user (agent) who onboards and owns the contact.")
    invite: bool = Field(
        default=False,
        description="WHATSAPP only: also e-mail an invitation (PENDING_CONFIRMATION from its "
        "sending until it is validated). WeChat and LINE contacts are always invited.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(
        cls, data: Any, handler: ModelWrapValidatorHandler[ContactCreate]
    ) -> ContactCreate:
        """When a field is malformed (a type error), also name the fields the network needs
        that are missing: the 422 lists every problem of the body (issue 12 item 8), not only
        the first kind found. The service's own checks run once the body parses."""
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            from relaybird.contacts.validation import REQUIRED

            try:
                network = Network(str(data.get("network")))
            except ValueError:
                raise exc from None
            reported = {e["loc"][0] for e in exc.errors() if e["loc"]}
            details: list[InitErrorDetails] = [
                {"type": e["type"], "loc": e["loc"], "input": e["input"], "ctx": e.get("ctx", {})}
                if "ctx" in e
                else {"type": e["type"], "loc": e["loc"], "input": e["input"]}
                for e in exc.errors()
            ]
            for name in sorted(REQUIRED[network]):
                value = data.get(name)
                blank = value is None or (isinstance(value, str) and not value.strip())
                if blank and name not in reported:
                    details.append(
                        {
                            "type": PydanticCustomError(
                                "network_required",
                                "required for {network} contacts",
                                {"network": network},
                            ),
                            "loc": (name,),
                            "input": value,
                        }
                    )
            raise ValidationError.from_exception_data(exc.title, details) from None


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_name: str | None = Field(default=None, max_length=1000)
    last_name: str | None = Field(default=None, max_length=1000)
    company: str | None = Field(default=None, max_length=1000)
    email: str | None = Field(default=None, max_length=1000)
    owner_user_id: RowId | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None,
        max_length=100,
        description="Replaces the contact's tags (kept lower case, each once).",
    )
    attributes: dict[Annotated[str, Field(min_length=1, max_length=64)], str | None] | None = Field(
        default=None,
        max_length=100,
        description="Merged into the contact's attributes (name → text, ≤ 1,000 chars); a "
        "null value removes that attribute.",
    )


class InvitationOut(BaseModel):
    state: str = Field(
        description="unsent (its e-mail has not left yet), pending (sent, not validated), "
        "accepted, expired, superseded (a newer one replaced it) or undeliverable (its e-mail "
        "was refused or could not be sent: resend it)."
    )
    delivery: str | None = Field(
        description="Its e-mail's status: QUEUED, SENT, FAILED or CANCELED (GET /emails)."
    )
    delivery_error: str | None = Field(
        description="Why the e-mail has not gone out: the mail server's last answer, or that no "
        "mail server is configured (RELAYBIRD_SMTP_URL)."
    )
    queued_at: datetime
    sent_at: datetime | None = Field(description="When its e-mail was sent; the clock starts.")
    expires_at: datetime | None = Field(description="sent_at + RELAYBIRD_INVITE_EXPIRY.")
    accepted_at: datetime | None


class ContactOut(BaseModel):
    id: int
    network: Network
    status: ContactStatus | None = Field(description='null is "no status", a real value.')
    first_name: str | None
    last_name: str | None
    company: str | None
    email: str | None
    phone: str | None
    owner_user_id: int
    invitation: InvitationOut | None = Field(
        description="The latest invitation (WeChat, LINE, invited WhatsApp contacts)."
    )
    network_user_id: str | None = Field(
        default=None,
        description="LINE user id or WeChat OpenID, learnt when the invitation was validated "
        "through the network (messages go there).",
    )
    tags: list[str] = Field(default_factory=list, description="Audience tags (lower case).")
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Free attributes (name → text) for segments."
    )
    unfollowed_at: datetime | None = Field(
        default=None,
        description="When they unfollowed or blocked the Official Account (LINE, WeChat) or "
        "opted out with STOP (SMS-Direct); nothing is sent to them meanwhile (null: reachable).",
    )
    sms_consent: Literal["PENDING", "OPTED_IN", "OPTED_OUT"] | None = Field(
        default=None,
        description="SMS-Direct: the TCPA opt-in step for US numbers. PENDING: the opt-in "
        "request was sent, nothing else goes until they reply YES or START; OPTED_IN (that "
        "reply, or they texted first); OPTED_OUT (STOP). null: not asked (yet), or another "
        "network.",
    )
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None


class HistoryItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: ContactStatus | None
    to_state: ContactStatus | None
    event: str
    actor: str
    reason: str | None
    created_at: datetime


class InvitationView(BaseModel):
    """What the invitation link shows (no auth: the code is the secret)."""

    state: str = Field(description="pending or accepted.")
    network: Network
    first_name: str | None
    status: ContactStatus | None
    expires_at: datetime | None


# --- users ---


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)
    role: Role = Field(default=Role.AGENT, description="admin, agent or viewer.")
    virtual_number: str | None = Field(
        default=None,
        max_length=100,
        description="The user's second number (E.164) on both Direct networks (SMS & Voice "
        "Direct and WhatsApp Direct). Use `virtual_numbers` for different numbers.",
    )
    virtual_numbers: dict[DirectNetwork, str] | None = Field(
        default=None, description='A number per Direct network, e.g. {"SMS_DIRECT": "+1..."}.'
    )


class VirtualNumberSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=100, description="E.164; unique per network.")


class ForwardingSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(
        default=None,
        max_length=100,
        description="The user's own phone (+ and country code; validated, stored as E.164). "
        "Left out: the phone already set is kept.",
    )
    forward_calls: bool = Field(
        default=True,
        description="true: a call to the user's SMS & Voice Direct virtual number is forwarded "
        "to this phone (TwiML <Dial>, caller id the virtual number); false: it is answered with "
        "the connector's spoken `call_message`, the phone kept.",
    )


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    active: bool
    virtual_numbers: dict[str, str] = Field(description="Direct network → E.164 number.")
    forward_phone: str | None = Field(
        default=None, description="The user's own phone (E.164) calls may be forwarded to."
    )
    forward_calls: bool = Field(
        default=False,
        description="Calls to the user's SMS & Voice Direct virtual number are forwarded to "
        "`forward_phone` (else answered with the connector's spoken message).",
    )
    created_at: datetime


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None
