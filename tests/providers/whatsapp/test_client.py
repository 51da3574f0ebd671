"""The real adapter against the simulator over real HTTP: sends, reads, every error class."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from relaybird.providers.port import ErrorKind, SenderCredentials, TemplateMessage
from relaybird.providers.whatsapp.client import ProviderCallFailed, WhatsAppCloudClient
from tests.fixtures.simulator import SimHandle

T = TypeVar("T")
SENDER = SenderCredentials(phone_number_id="1001", access_token="tok-1001")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def client_for(sim: SimHandle, **kwargs: float) -> WhatsAppCloudClient:
    return WhatsAppCloudClient(sim.url, "v23.0", **kwargs)  # type: ignore[arg-type]


def template(to: str = "+15550001", callback: str | None = "r:1") -> TemplateMessage:
    return TemplateMessage(
        to=to,
        template_name="spring_sale",
        language="en_US",
        # The simulator's seeded spring_sale has one body parameter ({{1}}), as Meta would check.
        body_params=("Ana",),
        callback_data=callback,
    )


async def _send_once(sim: SimHandle, message: TemplateMessage, **kwargs: float):  # type: ignore[no-untyped-def]
    client = client_for(sim, **kwargs)
    try:
        return await client.send_template(SENDER, message)
    finally:
        await client.close()


def test_template_send_is_accepted_and_recorded_as_meta_would_see_it(
    simulator: SimHandle,
) -> None:
    simulator.add_number("1001", "tok-1001")
    result = run(_send_once(simulator, template()))
    assert result.accepted and result.error is None
    assert result.message_id is not None and result.message_id.startswith("wamid.")
    [sent] = simulator.sent()
    assert sent["wamid"] == result.message_id
    assert sent["to"] == "15550001"
    assert sent["template"] == "spring_sale"
    assert sent["language"] == "en_US"
    assert sent["params"] == ["Ana"]
    assert sent["callback_data"] == "r:1"


def test_concurrent_sends_share_one_pooled_session(simulator: SimHandle) -> None:
    simulator.add_number("1001", "tok-1001")

    async def main() -> tuple[int, int]:
        client = client_for(simulator)
        try:
            first = await client.send_template(SENDER, template("+15550100"))
            session = client._session
            results = await asyncio.gather(
                *(client.send_template(SENDER, template(f"+1555020{i:02d}")) for i in range(40))
            )
            assert client._session is session
            return sum(r.accepted for r in results) + first.accepted, len(results) + 1
        finally:
            await client.close()

    accepted, total = run(main())
    assert accepted == total == 41
    assert len(simulator.sent()) == 41


def test_phone_number_fields_are_read(simulator: SimHandle) -> None:
    simulator.add_number("1001", "tok-1001", tier="TIER_10K", quality="YELLOW")

    async def main():  # type: ignore[no-untyped-def]
        client = client_for(simulator)
        try:
            return await client.get_phone_number(SENDER)
        finally:
            await client.close()

    info = run(main())
    assert info.status == "CONNECTED"
    assert info.quality_rating == "YELLOW"
    assert info.messaging_limit_tier == "TIER_10K"
    assert info.throughput_level == "STANDARD"
    assert info.raw["id"] == "1001"


def test_wrong_token_is_sender_stop(simulator: SimHandle) -> None:
    simulator.add_number("1001", "the-real-token")
    result = run(_send_once(simulator, template()))
    assert result.error is not None
    assert (result.error.kind, result.error.code) == (ErrorKind.SENDER_STOP, 190)
    assert simulator.sent() == []


def test_unknown_number_when_not_auto_registered(simulator: SimHandle) -> None:
    simulator.configure(auto_register=False)

    async def main() -> None:
        client = client_for(simulator)
        try:
            await client.get_phone_number(SENDER)
        finally:
            await client.close()

    with pytest.raises(ProviderCallFailed) as caught:
        run(main())
    assert caught.value.error.code == 100


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (131026, ErrorKind.RECIPIENT_PERMANENT),
        (131056, ErrorKind.RECIPIENT_TRANSIENT),
        (130429, ErrorKind.SENDER_TRANSIENT),
        (131000, ErrorKind.SENDER_TRANSIENT),  # answered with HTTP 500
        (133004, ErrorKind.SENDER_TRANSIENT),  # answered with HTTP 503
        (131048, ErrorKind.SENDER_STOP),
        (368, ErrorKind.SENDER_STOP),  # HTTP 403
        (132001, ErrorKind.TEMPLATE_STOP),  # HTTP 404
        (132015, ErrorKind.TEMPLATE_STOP),
    ],
)
def test_every_error_class_over_http(simulator: SimHandle, code: int, kind: ErrorKind) -> None:
    simulator.add_number("1001", "tok-1001")
    simulator.fault("error", code=code, title="scripted")
    result = run(_send_once(simulator, template()))
    assert result.error is not None
    assert (result.error.kind, result.error.code) == (kind, code)
    assert not result.error.ambiguous
    assert result.error.details["code"] == code
    # The fault was used once: the next send goes through.
    assert run(_send_once(simulator, template())).accepted


def test_throughput_cap_answers_130429(simulator: SimHandle) -> None:
    simulator.add_number("1001", "tok-1001", throughput_mps=1)

    async def main() -> list[int | None]:
        client = client_for(simulator)
        try:
            results = [
                await client.send_template(SENDER, template(f"+155503{i:02d}")) for i in range(6)
            ]
            return [r.error.code if r.error else None for r in results]
        finally:
            await client.close()

    codes = run(main())
    assert codes[0] is None
    assert 130429 in codes


def test_timeout_after_sending_is_ambiguous_and_the_message_did_go_out(
    simulator: SimHandle,
) -> None:
    simulator.add_number("1001", "tok-1001")
    simulator.fault("timeout", seconds=1.0)
    result = run(_send_once(simulator, template(), timeout=0.3))
    assert result.error is not None
    assert result.error.kind is ErrorKind.SENDER_TRANSIENT
    assert result.error.ambiguous
    assert len(simulator.sent()) == 1  # this is why a blind retry would send twice


def test_dropped_connection_is_ambiguous(simulator: SimHandle) -> None:
    simulator.add_number("1001", "tok-1001")
    simulator.fault("disconnect")
    result = run(_send_once(simulator, template()))
    assert result.error is not None
    assert result.error.kind is ErrorKind.SENDER_TRANSIENT
    assert result.error.ambiguous


def test_connection_refused_is_sender_transient_and_not_ambiguous() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = WhatsAppCloudClient(f"http://127.0.0.1:{port}", "v23.0")

    async def main():  # type: ignore[no-untyped-def]
        try:
            return await client.send_template(SENDER, template())
        finally:
            await client.close()

    result = run(main())
    assert result.error is not None
    assert result.error.kind is ErrorKind.SENDER_TRANSIENT
    assert not result.error.ambiguous


def test_free_form_text_needs_an_open_customer_service_window(simulator: SimHandle) -> None:
    simulator.add_number("1001", "tok-1001")

    async def send() -> tuple[bool, int | None]:
        client = client_for(simulator)
        try:
            r = await client.send_text(SENDER, "+15550009", "hello", callback_data="m:7")
            return r.accepted, r.error.code if r.error else None
        finally:
            await client.close()

    assert run(send()) == (False, 131047)
    simulator.inbound("1001", "+15550009", "hi there")
    assert run(send()) == (True, None)
    [sent] = simulator.sent()
    assert (sent["type"], sent["text"], sent["callback_data"]) == ("text", "hello", "m:7")
