"""An action a contact's network cannot take is a 409 with a stable code, the same answer the
OpenAPI documents (issue 12 item 12); and the generated lifecycle docs name as final only
statuses a network can reach."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from relaybird.contacts.transitions import CONTACT, Network, statuses_for
from relaybird.lifecycles import LIFECYCLES, render_markdown
from tests.contacts.helpers import PHONES, make_user, payload
from tests.factories import KeyMaker


def test_onboard_and_unblock_off_the_direct_networks_answer_409(
    client: TestClient, keys: KeyMaker
) -> None:
    h = keys.headers("agent")
    owner = make_user(client, keys.headers("admin"))
    for i, network in enumerate(["WECHAT", "LINE", "WHATSAPP"]):
        body = payload(network, owner, phone=PHONES[i], email=f"p{i}@example.com")
        created = client.post("/api/v1/contacts", json=body, headers=h)
        assert created.status_code == 201, created.text
        before = created.json()
        for action, json in (("onboard", {"first_name": "Ada"}), ("unblock", None)):
            r = client.post(f"/api/v1/contacts/{before['id']}/{action}", json=json, headers=h)
            assert r.status_code == 409, (network, action, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "action_not_on_network"
            assert network in r.json()["detail"]
        after = client.get(f"/api/v1/contacts/{before['id']}", headers=h).json()
        assert after == before
    # The OpenAPI says the same: 409 for both operations.
    spec = client.get("/openapi.json").json()["paths"]
    for action in ("onboard", "unblock"):
        responses = spec[f"/api/v1/contacts/{{contact_id}}/{action}"]["post"]["responses"]
        assert "409" in responses
        assert "network" in responses["409"]["description"]


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_final_states_are_reachable_in_their_own_table(name: str) -> None:
    machine = LIFECYCLES[name]
    produced = {m.target for m in machine.rows}
    assert set(machine.final_states) <= produced, name


@pytest.mark.parametrize("network", list(Network))
def test_contact_finals_are_statuses_the_network_can_take(network: Network) -> None:
    assert set(CONTACT[network].final_states) <= statuses_for(network)


def test_the_document_prints_final_unavailable_only_under_whatsapp() -> None:
    doc = render_markdown()
    for network in Network:
        section = doc.split(f"### contact/{network.value}\n", 1)[1].split("###", 1)[0]
        assert ("Final: UNAVAILABLE." in section) == (network is Network.WHATSAPP), network
