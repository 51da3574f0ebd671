"""Small helpers for the contacts tests: a user, a contact payload per network."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

PHONES = ["+447911123456", "+14155550123", "+33612345678", "+4915123456789", "+819012345678"]


def make_user(
    http: httpx.Client | Any, headers: dict[str, str], email: str = "agent@x.test"
) -> int:
    r = http.post("/api/v1/users", json={"name": "Grace Agent", "email": email}, headers=headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def payload(network: str, owner: int, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "network": network,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": "Analytical Engines",
        "email": "ada@example.com",
        "phone": PHONES[0],
        "owner_user_id": owner,
    }
    body.update(kw)
    return body
