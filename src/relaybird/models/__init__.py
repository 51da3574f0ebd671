"""Every table of relaybird, imported here so Alembic sees the whole schema."""

from relaybird.models.access_token import ProviderAccessToken
from relaybird.models.api_key import ApiKey
from relaybird.models.base import Base
from relaybird.models.campaign import (
    Campaign,
    CampaignActivity,
    CampaignCount,
    CampaignReply,
    Recipient,
    RecipientImport,
)
from relaybird.models.connector import Connector
from relaybird.models.consent import ConsentReply, ConsentSettings, Suppression
from relaybird.models.contact import Contact, Invitation, OutgoingEmail
from relaybird.models.inbox import InboxEvent
from relaybird.models.login_session import LoginSession
from relaybird.models.outbox import EventDelivery, EventSubscription, OutboxEvent
from relaybird.models.room import Room, RoomContact, RoomMember, RoomMessage
from relaybird.models.sender import Sender, SenderContact
from relaybird.models.template import MediaAsset, Template, TemplateSync
from relaybird.models.transition import Transition
from relaybird.models.user import BlockedNumber, User, VirtualNumber
from relaybird.models.webhook_refusal import WebhookRefusal
from relaybird.models.workspace import Workspace

__all__ = [
    "ApiKey",
    "Base",
    "BlockedNumber",
    "Campaign",
    "CampaignActivity",
    "CampaignCount",
    "CampaignReply",
    "Connector",
    "ConsentReply",
    "ConsentSettings",
    "Contact",
    "EventDelivery",
    "EventSubscription",
    "InboxEvent",
    "Invitation",
    "LoginSession",
    "MediaAsset",
    "OutboxEvent",
    "OutgoingEmail",
    "ProviderAccessToken",
    "Recipient",
    "RecipientImport",
    "Room",
    "RoomContact",
    "RoomMember",
    "RoomMessage",
    "Sender",
    "SenderContact",
    "Suppression",
    "Template",
    "TemplateSync",
    "Transition",
    "User",
    "VirtualNumber",
    "WebhookRefusal",
    "Workspace",
]
