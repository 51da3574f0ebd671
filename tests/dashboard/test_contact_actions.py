"""The contacts page's actions through the real forms: resend an invitation, delete a contact."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from relaybird.auth.roles import Role
from relaybird.contacts import service
from relaybird.contacts.invitations import InviteSettings
from relaybird.contacts.service import ContactDraft
from relaybird.contacts.transitions import Network
from relaybird.contacts.users import create_user
from relaybird.contacts.validation import ContactFields
from relaybird.context import AppContext
from relaybird.models import Contact, OutgoingEmail
from tests.dashboard.helpers import csrf_of, logged_in
from tests.factories import make_workspace


def test_agent_resends_and_deletes_from_the_contacts_page(
    ctx: AppContext, client: TestClient
) -> None:
    with ctx.db.write() as session:
        ws = make_workspace(session)
        owner = create_user(session, ws, name="Olga", email="olga@x.test", at=ctx.clock.now()).user
        contact = service.create_contact(
            session,
            ws,
            ContactDraft(
                Network.LINE,
                owner.id,
                ContactFields("Li", "Na", "Engines", "li@example.com", "+14155550123"),
            ),
            actor="test",
            at=ctx.clock.now(),
            invite_settings=InviteSettings("http://relaybird.test", timedelta(days=7)),
        )
    logged_in(client, ctx, "agent@example.com", Role.AGENT)
    page = client.get("/ui/contacts").text
    assert "Resend invitation" in page and "Delete" in page
    csrf = csrf_of(page)
    r = client.post(f"/ui/contacts/{contact.id}/resend-invite", data={"csrf": csrf})
    assert r.status_code == 200 and "Invitation resent" in r.text
    bad = client.post(f"/ui/contacts/{contact.id}/delete", data={"csrf": "forged"})
    assert bad.status_code == 403
    r = client.post(f"/ui/contacts/{contact.id}/delete", data={"csrf": csrf})
    assert "deleted" in r.text
    with ctx.db.read() as session:
        assert session.query(OutgoingEmail).count() == 2
        assert session.query(Contact).count() == 0


def test_viewers_see_no_contact_actions(ctx: AppContext, client: TestClient) -> None:
    logged_in(client, ctx, "viewer@example.com", Role.VIEWER)
    with ctx.db.write() as session:
        ws = make_workspace(session)
        owner = create_user(session, ws, name="Olga", email="olga@x.test", at=ctx.clock.now()).user
        service.create_contact(
            session,
            ws,
            ContactDraft(
                Network.SMS_DIRECT, owner.id, ContactFields("A", "B", None, None, "+14155550123")
            ),
            actor="test",
            at=ctx.clock.now(),
        )
    page = client.get("/ui/contacts").text
    assert "Delete" not in page
    csrf = csrf_of(page)
    assert client.post("/ui/contacts/1/delete", data={"csrf": csrf}).status_code == 403
