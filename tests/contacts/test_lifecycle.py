"""The contact lifecycle through the service: the seed's matrix, sticky UNAVAILABLE cleared only by
delete + re-create, and the invitation compare-and-sets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relaybird.contacts import invitations, service
from relaybird.contacts.invitations import InviteSettings
from relaybird.contacts.service import ContactDraft
from relaybird.contacts.transitions import AVAILABILITY, CONTACT, ContactStatus, Network
from relaybird.contacts.users import create_user
from relaybird.contacts.validation import ContactFields
from relaybird.context import AppContext
from relaybird.errors import IllegalTransition
from relaybird.models import Contact, Invitation
from tests.factories import make_workspace

FIELDS = ContactFields("Ada", "Lovelace", "Engines", "ada@example.com", "+14155550123")
INVITE = InviteSettings("http://relaybird.test", timedelta(days=7))


@pytest.mark.parametrize("network", list(Network))
def test_table_never_reaches_a_status_the_network_cannot_take(network: Network) -> None:
    reachable = {m.target for m in CONTACT[network].rows} | {
        m.source for m in CONTACT[network].rows
    }
    allowed = {s for s, nets in AVAILABILITY.items() if network in nets}
    assert reachable - {None} <= allowed


def _contact(ctx: AppContext, network: Network) -> tuple[int, int]:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        owner = create_user(session, ws, name="Grace", email="g@x.test", at=ctx.clock.now()).user
        contact = service.create_contact(
            session,
            ws,
            ContactDraft(network, owner.id, FIELDS),
            actor="test",
            at=ctx.clock.now(),
            invite_settings=INVITE,
        )
        return ws, contact.id


def test_unavailable_is_sticky_until_delete_and_recreate(ctx: AppContext) -> None:
    ws, cid = _contact(ctx, Network.WHATSAPP)
    with ctx.db.write() as session:
        contact = service.get_contact(session, ws, cid)
        service.move_contact(session, contact, "welcome_not_on_whatsapp", "test", error_code=131026)
        assert contact.status == ContactStatus.UNAVAILABLE
    for event in ("welcome_delivered", "invite_resent", "invitation_accepted"):
        with ctx.db.write() as session, pytest.raises(IllegalTransition):
            service.move_contact(session, service.get_contact(session, ws, cid), event, "test")
    with ctx.db.write() as session:
        owner = service.get_contact(session, ws, cid).owner_user_id
        service.delete_contact(session, ws, cid, actor="test", at=ctx.clock.now())
    with ctx.db.write() as session:
        again = service.create_contact(
            session,
            ws,
            ContactDraft(Network.WHATSAPP, owner, FIELDS),
            actor="test",
            at=ctx.clock.now(),
        )
        assert again.status is None


def test_move_refuses_what_the_network_does_not_allow(ctx: AppContext) -> None:
    ws, cid = _contact(ctx, Network.SMS_DIRECT)
    with ctx.db.write() as session:
        contact = service.get_contact(session, ws, cid)
        for event in ("invitation_accepted", "welcome_not_on_whatsapp", "invitation_expired"):
            with pytest.raises(IllegalTransition):
                service.move_contact(session, contact, event, "test")
        assert session.get(Contact, cid).status == "CONFIRMED"  # type: ignore[union-attr]


def test_an_invitation_is_used_once(ctx: AppContext) -> None:
    ws, cid = _contact(ctx, Network.LINE)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        invitation = session.query(Invitation).one()
        # Accepted first: the expiry timer can no longer claim it, and vice versa.
        from relaybird.contacts import repository

        assert repository.claim_accept(session, invitation.id, now)
        assert not invitations.expire(session, invitation.id, at=now + timedelta(days=8))
        assert not repository.claim_accept(session, invitation.id, now)
    with ctx.db.read() as session:
        assert len(service.history_of(session, ws, cid)) == 1


def test_codes_are_stored_hashed(ctx: AppContext) -> None:
    _contact(ctx, Network.WECHAT)
    with ctx.db.read() as session:
        stored = session.query(Invitation).one().code_hash
    assert len(stored) == 64
    assert invitations.normalise_code("abcd-efgh-jkmn") == "ABCDEFGHJKMN"
    assert invitations.normalise_code("ABCD") is None
