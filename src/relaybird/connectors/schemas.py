"""The connectors API's shapes. Secrets come in as ``SecretStr`` (kept out of reprs and logs)
and never go out: the answer names which secrets are set, not their values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Name = Annotated[str, Field(min_length=1, max_length=100, description="A name for people.")]


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class TwilioCreate(_Create):
    """SMS & Voice Direct through a Twilio account: the users' virtual numbers (PUT
    /users/{id}/virtual-numbers/SMS_DIRECT) are numbers of this account."""

    network: Literal["SMS_DIRECT"]
    account_sid: Annotated[
        str, Field(pattern=r"^AC[0-9a-fA-F]{32}$", description="The Account SID (AC + 32 hex).")
    ]
    auth_token: Annotated[
        SecretStr,
        Field(min_length=1, max_length=200, description="Auth Token: signs Twilio's webhooks."),
    ]
    api_key_sid: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^SK[0-9a-fA-F]{32}$",
            description="An API key for the REST calls (Twilio's advice); else the Auth Token.",
        ),
    ]
    api_key_secret: Annotated[SecretStr | None, Field(default=None, max_length=200)]
    call_message: Annotated[
        str | None,
        Field(
            default=None,
            max_length=1000,
            description="Spoken (TwiML <Say>) to a caller of a virtual number; default: a "
            "short message asking them to text instead.",
        ),
    ]


class LineCreate(_Create):
    """A LINE Official Account's Messaging API channel."""

    network: Literal["LINE"]
    channel_id: Annotated[str, Field(pattern=r"^\d{1,20}$", description="The channel ID.")]
    channel_secret: Annotated[
        SecretStr, Field(min_length=1, max_length=200, description="Signs LINE's webhooks.")
    ]
    channel_access_token: Annotated[
        SecretStr,
        Field(min_length=1, max_length=1000, description="A long-lived channel access token."),
    ]
    basic_id: Annotated[
        str | None,
        Field(
            default=None,
            pattern=r"^@[0-9a-z._-]{1,40}$",
            description="The account's basic ID (@...): the invitation's add-friend link.",
        ),
    ]


class WeChatCreate(_Create):
    """A WeChat Official Account (service account: customer-service messages, QR codes)."""

    network: Literal["WECHAT"]
    app_id: Annotated[str, Field(pattern=r"^wx[0-9a-zA-Z]{16}$", description="The AppID.")]
    app_secret: Annotated[SecretStr, Field(min_length=1, max_length=200)]
    token: Annotated[
        SecretStr,
        Field(
            min_length=3,
            max_length=32,
            description="The server configuration's Token: signs WeChat's callbacks.",
        ),
    ]
    encoding_aes_key: Annotated[
        SecretStr | None,
        Field(default=None, min_length=43, max_length=43, description="Safe mode's key."),
    ]
    original_id: Annotated[
        str | None,
        Field(default=None, pattern=r"^gh_[0-9a-z]{1,30}$", description="gh_...: ToUserName."),
    ]


ConnectorCreate = Annotated[
    TwilioCreate | LineCreate | WeChatCreate, Field(discriminator="network")
]


class ConnectorOut(BaseModel):
    id: int
    network: str
    provider: str
    name: str
    account_id: str = Field(description="Account SID, LINE channel ID or WeChat AppID.")
    options: dict[str, Any] = Field(description="The public settings given at creation.")
    secrets_set: list[str] = Field(description="Which secrets are stored (never their values).")
    webhook_url: str = Field(
        description="Where to point the provider's webhooks (Twilio's messaging and voice "
        "URLs, LINE's webhook URL, WeChat's server URL)."
    )
    created_at: datetime


class ConnectorPage(BaseModel):
    items: list[ConnectorOut]
