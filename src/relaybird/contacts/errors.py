"""Errors of the contacts domain, each with a stable code clients may match."""

from __future__ import annotations

from relaybird.errors import Conflict, Gone, NotFound


class DuplicateContact(Conflict):
    code = "duplicate_contact"
    title = "Contact already exists"


class InviteAlreadyConfirmed(Conflict):
    code = "invite_already_confirmed"
    title = "Invitation already validated"


class ActionNotOnNetwork(Conflict):
    """The contact's network cannot take this action (onboard/unblock off the Direct networks,
    an invitation on a Direct network). 409, not 422: the request is well-formed; it conflicts
    with the contact's network, which never changes."""

    code = "action_not_on_network"
    title = "This network does not take that action"


class InvitesNotUsed(ActionNotOnNetwork):
    code = "invites_not_used_on_network"
    title = "This network does not use invitations"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    title = "Unknown invitation code"


class InvitationExpired(Gone):
    code = "invitation_expired"
    title = "Invitation expired"


class InvitationSuperseded(Gone):
    code = "invitation_superseded"
    title = "Invitation replaced by a newer one"
