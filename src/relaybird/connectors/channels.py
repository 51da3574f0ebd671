"""The process's Direct-network adapters, one per provider, kept in ``ctx.resources`` (closed
with the context's other resources). Base URLs are settings (the real APIs or the simulator);
credentials come per call from the connector (``connectors.service``)."""

from __future__ import annotations

from relaybird.access_tokens.store import DbTokenStore
from relaybird.connectors.service import secret_box
from relaybird.context import AppContext
from relaybird.providers.access_tokens import AccessTokens
from relaybird.providers.line.client import LineChannel
from relaybird.providers.twilio.client import TwilioChannel
from relaybird.providers.wechat.client import WeChatChannel

TWILIO_KEY = "twilio_channel"
LINE_KEY = "line_channel"
WECHAT_KEY = "wechat_channel"


def twilio_channel(ctx: AppContext) -> TwilioChannel:
    channel = ctx.resources.get(TWILIO_KEY)
    if channel is None:
        channel = TwilioChannel(
            ctx.settings.twilio_api_url, timeout=ctx.settings.send_timeout.total_seconds()
        )
        ctx.resources[TWILIO_KEY] = channel
    result: TwilioChannel = channel
    return result


def line_channel(ctx: AppContext) -> LineChannel:
    channel = ctx.resources.get(LINE_KEY)
    if channel is None:
        channel = LineChannel(
            ctx.settings.line_api_url,
            access_url=ctx.settings.line_access_url,
            timeout=ctx.settings.send_timeout.total_seconds(),
        )
        ctx.resources[LINE_KEY] = channel
    result: LineChannel = channel
    return result


def wechat_channel(ctx: AppContext) -> WeChatChannel:
    """Its access tokens live in the database, sealed like the connectors' secrets (one refresh
    across workers)."""
    channel = ctx.resources.get(WECHAT_KEY)
    if channel is None:
        tokens = AccessTokens(
            DbTokenStore(ctx.db, secret_box(ctx.settings)),
            clock=ctx.clock,
            refresh_margin=ctx.settings.wechat_token_refresh_margin,
        )
        channel = WeChatChannel(
            ctx.settings.wechat_api_url,
            tokens,
            mp_url=ctx.settings.wechat_mp_url,
            timeout=ctx.settings.send_timeout.total_seconds(),
            clock=ctx.clock,
        )
        ctx.resources[WECHAT_KEY] = channel
    result: WeChatChannel = channel
    return result
