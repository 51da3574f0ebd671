"""Issue 11 item 5: event subscriptions deliver to public destinations only (SSRF guard).

Refused when created (the URL, and the addresses its name resolves to), refused again when each
delivery connects (the addresses resolved for that connection), unless the operator allows a
private network (RELAYBIRD_EVENT_PRIVATE_NETWORKS). What a workspace sees of an attempt is
status-only, and one text for every way of getting no answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from relaybird.context import AppContext
from relaybird.events import repository
from relaybird.events.signing import new_secret
from relaybird.kit import destinations
from relaybird.providers.webhooks import NO_ANSWER, PostOutcome, WebhookPoster
from tests.events.receiver import Receiver
from tests.events.test_deliverer import PATH, _emit, _run
from tests.factories import KeyMaker

REFUSED_BY_DEFAULT = [
    "http://127.0.0.1/hook",
    "http://127.0.0.1:9/hook",
    "http://localhost:8080/hook",
    "http://a.localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1%25eth0]/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://127.1/hook",
    "http://0.0.0.0/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "https://user:pass@receiver.example/hook",
    "https://token@receiver.example/hook",
    "https://receiver.example:22/hook",
    "https://receiver.example:25/hook",
    "http://93.184.215.14:6/hook",
    "https://receiver.example:0/hook",
    "https://receiver.example:99999/hook",
    "https://receiver.example/a b",
    "https://receiver.example/a\nb",
    "https://receiver.example/\r\nX-Injected: 1",
    "https://recei ver.example/hook",
    "https://receiver.example\t/hook",
    "https://réceiver.example/hook",
    "ftp://receiver.example/hook",
    "file:///etc/passwd",
    "http:/receiver.example/hook",
    "https:///hook",
]
ACCEPTED = [
    "https://receiver.example/hook",
    "https://Receiver.Example./hook?x=1",
    "https://receiver.example:8443/hook",
    "http://receiver.example:80/hook",
    "http://93.184.215.14/hook",
    "http://93.184.215.14:8080/hook",
    "https://[2606:4700::1111]/hook",
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def _allow(ctx: AppContext, networks: str) -> None:
    ctx.settings = ctx.settings.model_copy(update={"event_private_networks": networks})


def test_creation_refuses_non_public_and_malformed_destinations(
    client: TestClient, keys: KeyMaker
) -> None:
    admin = keys.headers("admin")
    for url in REFUSED_BY_DEFAULT:
        response = client.post(PATH, json={"url": url}, headers=admin)
        assert response.status_code == 422, url
        assert response.headers["content-type"] == "application/problem+json"
        assert "url" in response.json()["detail"], url
    assert client.get(PATH, headers=admin).json() == []
    for url in ACCEPTED:
        assert client.post(PATH, json={"url": url}, headers=admin).status_code == 201, url
    assert len(client.get(PATH, headers=admin).json()) == len(ACCEPTED)


def test_the_operator_allows_named_private_networks_only(
    ctx: AppContext, client: TestClient, keys: KeyMaker
) -> None:
    admin = keys.headers("admin")
    _allow(ctx, "127.0.0.0/8, ::1/128")
    for url in ("http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://[::1]:22/hook"):
        assert client.post(PATH, json={"url": url}, headers=admin).status_code == 201, url
    for url in (
        "http://10.0.0.5/hook",  # not a network the operator named
        "http://169.254.169.254/",
        "http://2130706433:9/hook",  # still written plainly or not at all
        "http://user:pass@127.0.0.1:9/hook",
    ):
        assert client.post(PATH, json={"url": url}, headers=admin).status_code == 422, url


def test_delivery_checks_the_addresses_it_connects_to(
    ctx: AppContext,
    client: TestClient,
    keys: KeyMaker,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Subscriptions that were allowed when created (or stored before the rule existed) are
    refused at delivery once their addresses are not allowed: a name now resolving to loopback
    (DNS rebinding), an IP host, a host in a legacy numeric form."""
    admin = keys.headers("admin")
    ws = keys.workspace_id()
    port = receiver.url.rsplit(":", 1)[1].split("/")[0]
    _allow(ctx, "127.0.0.0/8")
    by_name = client.post(PATH, json={"url": f"http://localhost:{port}/hook"}, headers=admin)
    by_ip = client.post(PATH, json={"url": receiver.url}, headers=admin)
    assert by_name.status_code == by_ip.status_code == 201
    with ctx.db.write() as session:
        legacy = repository.add_subscription(
            session,
            workspace_id=ws,
            url=f"http://2130706433:{port}/hook",
            secret=new_secret(),
            event_types=None,
            cursor=0,
            at=ctx.clock.now(),
        ).id
    _allow(ctx, "")
    _emit(ctx, ws, "campaign.state_changed", 1)
    with caplog.at_level(logging.WARNING, logger="relaybird.events"):
        assert _run(ctx, None) == [{"PENDING": 3}]
    assert receiver.received == []
    for sub_id in (by_name.json()["id"], by_ip.json()["id"], legacy):
        log = client.get(f"{PATH}/{sub_id}/deliveries", headers=admin).json()["items"]
        assert [(d["status"], d["last_status_code"], d["last_error"]) for d in log] == [
            ("PENDING", None, NO_ANSWER)
        ]
    # The operator's log says why (without the address), the workspace's log does not.
    assert caplog.text.count("public address") == 2
    assert "four decimal numbers" in caplog.text
    assert "127.0.0.1" not in caplog.text

    # Allowed again: the same subscriptions deliver (the legacy one never does).
    _allow(ctx, "127.0.0.0/8")
    assert _run(ctx, timedelta(seconds=5)) == [{"DELIVERED": 2, "PENDING": 1}]
    assert len(receiver.delivered) == 2


def test_the_receivers_body_is_never_kept_or_logged(
    ctx: AppContext,
    client: TestClient,
    keys: KeyMaker,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = keys.headers("admin")
    _allow(ctx, "127.0.0.0/8")
    sub = client.post(PATH, json={"url": receiver.url}, headers=admin).json()
    receiver.down = True
    _emit(ctx, keys.workspace_id(), "campaign.state_changed", 1)
    with caplog.at_level(logging.DEBUG):
        assert _run(ctx, None) == [{"PENDING": 1}]
    log = client.get(f"{PATH}/{sub['id']}/deliveries", headers=admin).json()["items"]
    assert log[0]["last_error"] == "HTTP 500"
    assert "on purpose" not in caplog.text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_timed_out_and_unknown_names_read_the_same() -> None:
    """No port scanner: a closed port, a port that never answers and a name that does not
    resolve give one text."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does) and never answers
    try:
        urls = [
            f"http://127.0.0.1:{_closed_port()}/hook",
            f"http://127.0.0.1:{silent.getsockname()[1]}/hook",
            "http://no-such-receiver.invalid/hook",
        ]

        async def attempts() -> list[PostOutcome]:
            poster = WebhookPoster(timeout_s=0.5, allowed=[ipaddress.ip_network("127.0.0.0/8")])
            try:
                return [await poster.post(url, b"{}", {}) for url in urls]
            finally:
                await poster.close()

        outcomes = asyncio.run(attempts())
    finally:
        silent.close()
    assert [(o.status_code, o.error, o.refused) for o in outcomes] == [(None, NO_ANSWER, None)] * 3


_NON_GLOBAL_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


@st.composite
def _non_global_host(draw: st.DrawFn) -> str:
    network = draw(st.sampled_from(_NON_GLOBAL_V4))
    value = int(network.network_address) + draw(st.integers(0, network.num_addresses - 1))
    address = ipaddress.IPv4Address(value)
    form = draw(st.sampled_from(["dotted", "int", "hex", "octal", "mapped", "nat64", "6to4"]))
    return {
        "dotted": str(address),
        "int": str(value),
        "hex": hex(value),
        "octal": ".".join(f"0{int(part):o}" for part in str(address).split(".")),
        "mapped": f"[::ffff:{address}]",
        "nat64": f"[64:ff9b::{address}]",
        "6to4": f"[{ipaddress.IPv6Address((0x2002 << 112) | (value << 80))}]",
    }[form]


@given(host=_non_global_host(), port=st.sampled_from(["", ":80", ":443", ":8080"]))
def test_no_spelling_of_a_non_public_ipv4_address_passes(host: str, port: str) -> None:
    with pytest.raises(destinations.DestinationError):
        destinations.check(f"http://{host}{port}/hook")
