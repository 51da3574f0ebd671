"""RELAYBIRD_SEND_TIMEOUT is the provider calls' timeout (issue 12 item 17): it was a hard-coded
15 s the lease knew nothing about. The simulator holds its answer longer than the setting."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from relaybird.context import AppContext
from relaybird.providers.port import ErrorKind, SenderCredentials, TemplateMessage
from tests.fixtures.simulator import SimHandle


def test_the_send_timeout_setting_bounds_a_send(
    sqlite_ctx: AppContext, simulator: SimHandle
) -> None:
    ctx = sqlite_ctx
    ctx.settings = ctx.settings.model_copy(
        update={"graph_api_url": simulator.url, "send_timeout": timedelta(milliseconds=300)}
    )
    simulator.add_number("1001", "tok-1001")
    simulator.fault("timeout", seconds=2.0)
    message = TemplateMessage(
        to="+15550001",
        template_name="spring_sale",
        language="en_US",
        body_params=("Ana",),
        callback_data="r:1",
    )

    async def main():  # type: ignore[no-untyped-def]
        try:
            provider = ctx.provider
            return await provider.send_template(SenderCredentials("1001", "tok-1001"), message)
        finally:
            await ctx.aclose()

    result = asyncio.run(main())
    assert result.error is not None, "the send waited past RELAYBIRD_SEND_TIMEOUT"
    assert result.error.kind is ErrorKind.SENDER_TRANSIENT
    assert result.error.ambiguous  # written, then abandoned: its outcome is unknown
