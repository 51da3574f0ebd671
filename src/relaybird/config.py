"""Settings: the only place environment variables are read (DESIGN.md §8).

Every setting is optional; the defaults run the embedded mode (a SQLite file in the working
directory) with no other service installed.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, ByteSize, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from relaybird.kit.destinations import Network, parse_networks
from relaybird.kit.durations import parse_duration
from relaybird.kit.sealing import parse_keys

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class DeliveryPolicy(StrEnum):
    """What the reconciler does with a recipient whose send outcome is unknown after a crash."""

    AT_MOST_ONCE = "at-most-once"
    AT_LEAST_ONCE = "at-least-once"


class LimitModel(StrEnum):
    PER_NUMBER = "PER_NUMBER"
    PER_PORTFOLIO = "PER_PORTFOLIO"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAYBIRD_", extra="ignore", frozen=True)

    # --- the public contract (DESIGN.md §8) ---
    database_url: str = Field(
        default="sqlite:///relaybird.db",
        description="SQLAlchemy URL. Default: a SQLite file in the working directory.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL used in links in e-mails."
    )
    graph_api_url: str = Field(default="https://graph.facebook.com")
    graph_api_version: str = Field(default="v23.0")
    # The Direct networks' APIs (the real ones, or the simulator: {simulator}/twilio, /line,
    # /wechat). Their secrets are per connector in the database, never settings.
    twilio_api_url: str = Field(
        default="https://api.twilio.com",
        description="Twilio's REST API (Messages.json), or the simulator's /twilio.",
    )
    line_api_url: str = Field(
        default="https://api.line.me",
        description="LINE Messaging API (push, link tokens), or the simulator's /line.",
    )
    line_access_url: str = Field(
        default="https://access.line.me",
        description="Where LINE account linking sends the user (/dialog/bot/accountLink), or "
        "the simulator's /line.",
    )
    wechat_api_url: str = Field(
        default="https://api.weixin.qq.com",
        description="WeChat Official Account API (token, custom send, QR codes), or the "
        "simulator's /wechat.",
    )
    wechat_mp_url: str = Field(
        default="https://mp.weixin.qq.com",
        description="Where WeChat serves QR code images (/cgi-bin/showqrcode), or the "
        "simulator's /wechat.",
    )
    wechat_token_refresh_margin: Duration = Field(
        default=timedelta(minutes=5),
        description="How long before expiry a WeChat access token is refreshed (one worker "
        "refreshes; the others keep using the old one, valid meanwhile).",
    )
    whatsapp_app_secret: SecretStr = Field(default=SecretStr(""))
    whatsapp_verify_token: SecretStr = Field(default=SecretStr(""))
    direct_webhook_secret: SecretStr = Field(default=SecretStr(""))
    welcome_template: str = Field(
        default="welcome",
        description="The approved WhatsApp template sent when a contact is added to a room "
        "(the reachability probe: 131026 makes the contact UNAVAILABLE).",
    )
    welcome_template_language: str = Field(default="en")
    direct_welcome_text: str = Field(
        default="Hello! You are now connected with {user}. Reply here to chat.",
        description="The welcome message sent on SMS/WhatsApp Direct; {user} is the user's name.",
    )
    consent_confirm: bool = Field(
        default=True,
        description="Answer an opt-out/opt-in keyword with a confirmation (a free-form text inside "
        "the 24 h window the keyword opened); a workspace's consent settings override it.",
    )
    consent_opt_out_reply: str = Field(
        default="You will no longer receive marketing messages from us. Reply START to resume.",
        description="The confirmation of an opt-out keyword (workspace settings override it).",
    )
    consent_opt_in_reply: str = Field(
        default="You will receive our messages again. Reply STOP to opt out.",
        description="The confirmation of an opt-in keyword (workspace settings override it).",
    )
    consent_exempt_categories: list[str] = Field(
        default_factory=list,
        description="Template categories still sent to suppressed numbers (UTILITY, "
        "AUTHENTICATION; JSON list); empty: a suppressed number gets no template at all. "
        "MARKETING is never exempt. A workspace's consent settings override it.",
    )
    campaign_reply_window: Duration = Field(
        default=timedelta(days=7),
        ge=timedelta(minutes=1),
        le=timedelta(days=90),
        description="How long after a campaign message was sent an inbound message from its "
        "number is linked to it as a reply (counted from the send, inclusive: a message exactly "
        "this long after it still counts). Between 1 minute and 90 days, e.g. `7d`, `48h`.",
    )
    sms_opt_in_text: str = Field(
        default=(
            "{user} would like to text you at this number. Reply YES to receive messages, STOP "
            "to opt out, HELP for help. Msg & data rates may apply."
        ),
        description="The TCPA opt-in request sent on SMS-Direct to a US number before anything "
        "else (nothing else goes until they reply YES or START); {user} is the user's name.",
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:pass@host:port (smtps:// for TLS). Unset: e-mails stay in the "
        "built-in outbox, viewable in the API and dashboard (invitation codes redacted), and "
        "invitations are never sent.",
    )
    invite_expiry: Duration = Field(
        default=timedelta(days=7),
        description="How long an invitation stays valid, counted from the sending of its e-mail.",
    )
    mail_from: str = Field(
        default="relaybird <noreply@relaybird.invalid>",
        description="From: address of invitation and notification e-mails.",
    )
    bootstrap_admin_key: SecretStr | None = Field(
        default=None,
        description="An admin key for the default workspace, created at start-up if missing "
        "(at least 16 characters). Once revoked it stays revoked.",
    )

    # --- engine tuning (added beyond §8) ---
    default_region: str = Field(
        default="US", description="ISO region for uploaded numbers written without +country code."
    )
    delivery_policy: DeliveryPolicy = DeliveryPolicy.AT_MOST_ONCE
    max_attempts: int = Field(default=4, ge=1, le=50, description="Send attempts per recipient.")
    retry_base: Duration = Field(default=timedelta(seconds=2))
    lease: Duration = Field(
        default=timedelta(seconds=60),
        description="How long a claimed send is held before crash recovery judges it (outcome "
        "unknown, or sent again under at-least-once). Must be more than twice "
        "RELAYBIRD_SEND_TIMEOUT: a claim may wait up to half the lease for its turn, then the "
        "call may take the whole send timeout.",
    )
    send_timeout: Duration = Field(
        default=timedelta(seconds=15),
        description="How long one call to the provider (a send, a sync read) may take before it "
        "is abandoned; a send abandoned after its request was written has an unknown outcome.",
    )
    import_workers: int = Field(
        default=2,
        ge=0,
        le=32,
        description="Processes validating phone numbers of large uploads (0: in the importer).",
    )
    upload_max_columns: int = Field(
        default=1_000,
        ge=2,
        le=16_384,
        description="Columns read per row of an uploaded recipient list (CSV or XLSX). A wider "
        "header refuses the file (422); a wider CSV row becomes INVALID_RECORD; an XLSX sheet "
        "with a wider row (or declaring one) is refused whole, before it is read.",
    )
    upload_max_cell: int = Field(
        default=32_767,
        ge=64,
        le=1 << 24,
        description="Characters in one cell of an uploaded list (Excel's own cap by default); a "
        "CSV row with a longer cell becomes INVALID_RECORD (in the header, or anywhere in an "
        "XLSX file, whose shared strings are loaded at once: the file is refused).",
    )
    upload_max_row: int = Field(
        default=1 << 20,
        ge=1024,
        le=1 << 28,
        description="Characters in one CSV row; a longer row becomes INVALID_RECORD without "
        "ever being held whole in memory (in the header: the file is refused).",
    )
    upload_max_unpacked: int = Field(
        default=512 << 20,
        ge=1 << 20,
        description="Bytes an uploaded XLSX file (a zip) may unpack to, all parts together; "
        "larger is refused (422) before any part is read.",
    )
    inbox_retention: Duration = Field(default=timedelta(days=14))
    default_limit_model: LimitModel = LimitModel.PER_NUMBER
    sender_sync_interval: Duration = Field(
        default=timedelta(minutes=15),
        description="How often each sender number's status, quality and limit are read from "
        "the provider.",
    )
    template_sync_interval: Duration = Field(
        default=timedelta(hours=1),
        description="How often each business account's template catalogue is read from the "
        "provider (webhooks keep it current in between; an edit webhook makes it due at once).",
    )
    template_rate_card: str | None = Field(
        default=None,
        description="Path of a rate card file (the format of src/relaybird/templates/rates.json) "
        "replacing the built-in one: Meta's per-message prices by category and market.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Encrypts the secrets stored in the database (connectors' tokens; Fernet). "
        "One key, or several comma-separated during a rotation (the first encrypts, each "
        "decrypts; then `relaybird connectors reseal`). Generate one with `relaybird connectors "
        "new-key`. Required once a connector exists: the processes refuse to start without it.",
    )
    session_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Signs dashboard session cookies. Unset: a random one per process start.",
    )
    event_private_networks: str = Field(
        default="",
        description="Non-public networks that event subscriptions may deliver to, "
        "comma-separated CIDRs (e.g. `10.0.0.0/8` for a receiver on your LAN, `127.0.0.1/32` for "
        "one on this host); any port is allowed there. Empty: public addresses only, on ports "
        "80, 443 and 1024 and up.",
    )
    metrics_token: SecretStr = Field(
        default=SecretStr(""),
        description="The bearer token GET /metrics requires (its figures span every workspace). "
        "Unset: /metrics answers 403.",
    )
    max_body: ByteSize = Field(
        default=ByteSize(1 << 20),
        description="The largest request body other than an upload (API JSON, dashboard forms, "
        "logins), e.g. `1MiB`; larger: 413 before the rest is read.",
    )
    max_upload: ByteSize = Field(
        default=ByteSize(110 << 20),
        description="The largest multipart upload (a recipients CSV/XLSX, a media file; the "
        "form around it included), e.g. `110MiB`; larger: 413 before the rest is read.",
    )
    log_level: str = "INFO"
    log_json: bool = False

    @field_validator(
        "graph_api_url",
        "public_url",
        "twilio_api_url",
        "line_api_url",
        "line_access_url",
        "wechat_api_url",
        "wechat_mp_url",
    )
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _secret_keys(cls, value: SecretStr) -> SecretStr:
        parse_keys(value.get_secret_value())
        return value

    @property
    def secret_keys(self) -> list[str]:
        """RELAYBIRD_SECRET_KEY, parsed (empty: unset)."""
        return parse_keys(self.secret_key.get_secret_value())

    @field_validator("event_private_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def event_networks(self) -> tuple[Network, ...]:
        """RELAYBIRD_EVENT_PRIVATE_NETWORKS, parsed."""
        return parse_networks(self.event_private_networks)

    @model_validator(mode="after")
    def _lease_outlives_a_send(self) -> Settings:
        # A lease that can end while its send is still in flight lets crash recovery judge a
        # live send (at-least-once: sent twice). Refused at start rather than found in traffic.
        if self.send_timeout <= timedelta(0):
            raise ValueError("RELAYBIRD_SEND_TIMEOUT must be positive")
        if self.lease <= 2 * self.send_timeout:
            raise ValueError(
                f"RELAYBIRD_LEASE ({_seconds(self.lease)}) must be more than twice "
                f"RELAYBIRD_SEND_TIMEOUT ({_seconds(self.send_timeout)}): otherwise a claim can "
                "expire while its send is still in flight and be judged (or sent again) by crash "
                "recovery. Raise the lease or lower the send timeout."
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _seconds(value: timedelta) -> str:
    return f"{value.total_seconds():g}s"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_for_tests(**overrides: Any) -> Settings:
    return Settings(**overrides)
