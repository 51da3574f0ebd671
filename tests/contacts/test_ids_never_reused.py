"""Ids are never reused (issue 12 item 7): a deleted contact's id is not handed to the next one,
on either database, so its history, its e-mails and its URL never leak onto someone else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.contacts.helpers import PHONES, make_user, payload
from tests.factories import KeyMaker


def test_a_deleted_contacts_id_is_not_given_to_the_next_contact(
    client: TestClient, keys: KeyMaker
) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    wechat = client.post("/api/v1/contacts", json=payload("WECHAT", owner), headers=h)
    assert wechat.status_code == 201, wechat.text
    old = wechat.json()["id"]
    assert client.delete(f"/api/v1/contacts/{old}", headers=h).status_code == 204

    line = client.post(
        "/api/v1/contacts",
        json=payload("LINE", owner, phone=PHONES[1], email="bea@example.com", first_name="Bea"),
        headers=h,
    )
    assert line.status_code == 201, line.text
    new = line.json()["id"]
    assert new != old
    # The old URL is gone, not a different person.
    assert client.get(f"/api/v1/contacts/{old}", headers=h).status_code == 404
    # The new contact's history is its own: nothing of the deleted WeChat contact.
    history = client.get(f"/api/v1/contacts/{new}/history", headers=h).json()
    assert len(history) == 1, history
    # Its invitation e-mail exists (it used to collide with the deleted contact's dedupe key).
    mails = client.get("/api/v1/emails?to=bea@example.com", headers=h).json()["items"]
    assert len(mails) == 1 and mails[0]["kind"] == "invitation"
