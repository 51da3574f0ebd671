"""The process's Direct-network adapters, one per provider, kept in ``ctx.resources`` (closed
with the context's other resources). Base URLs are settings (the real APIs or the simulator);
credentials come per call from the connector (``connectors.service``)."""

from __future__ import annotations

from relaybird.context import AppContext
from relaybird.providers.twilio.client import TwilioChannel

TWILIO_KEY = "twilio_channel"


def twilio_channel(ctx: AppContext) -> TwilioChannel:
    channel = ctx.resources.get(TWILIO_KEY)
    if channel is None:
        channel = TwilioChannel(
            ctx.settings.twilio_api_url, timeout=ctx.settings.send_timeout.total_seconds()
        )
        ctx.resources[TWILIO_KEY] = channel
    result: TwilioChannel = channel
    return result
