"""The rooms domain's own errors (stable codes clients may match)."""

from __future__ import annotations

from relaybird.errors import Conflict


class NetworkMismatch(Conflict):
    code = "room_network_mismatch"
    title = "Contact of another network"


class RoomDeactivated(Conflict):
    code = "room_deactivated"
    title = "Room deactivated"


class TemplateNeeded(Conflict):
    code = "template_required"
    title = "Outside the customer-service window"


class ContactMustWriteFirst(Conflict):
    code = "contact_must_write_first"
    title = "Outside WeChat's 48 h customer-service window"


class NobodyToReach(Conflict):
    code = "no_reachable_contact"
    title = "No contact can receive this"
