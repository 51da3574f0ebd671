"""Customer-service windows as pure rules: when may a business send free-form messages?

- WhatsApp (and WhatsApp Direct): 24 h after the person's last message, no count.
- WeChat Official Accounts: customer-service messages only after a user action. Current quotas
  (developers.weixin.qq.com .../api_sendcustommessage): a message from the user allows 5
  messages within 48 h; a follow, a QR scan or a menu click allows 3 within 1 minute. Older
  rules were "unlimited within 48 h", so the quotas are data (``WeChatQuotas``).
- SMS and LINE have no window (LINE pushes are limited by the monthly quota instead).

A window is a value: ``open_window`` after an interaction, ``may_send`` before a send,
``after_send`` once one was accepted. The rooms' WhatsApp rule (rooms/messages.py) and the
WeChat simulator read the same numbers from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

WHATSAPP_WINDOW = timedelta(hours=24)
WECHAT_WINDOW = timedelta(hours=48)


class Interaction(StrEnum):
    MESSAGE = "MESSAGE"  # the person wrote to us
    FOLLOW = "FOLLOW"  # followed / subscribed
    SCAN = "SCAN"  # scanned a parametric QR code
    MENU_CLICK = "MENU_CLICK"  # clicked a menu item (click / scan-push types)


@dataclass(frozen=True)
class Allowance:
    length: timedelta
    messages: int | None  # None: no count within the window


@dataclass(frozen=True)
class WeChatQuotas:
    after_message: Allowance = Allowance(WECHAT_WINDOW, 5)
    after_event: Allowance = Allowance(timedelta(minutes=1), 3)


@dataclass(frozen=True)
class Window:
    opened_at: datetime
    expires_at: datetime
    remaining: int | None  # messages still allowed; None: unlimited until expiry


def allowance(
    network: str, interaction: Interaction, quotas: WeChatQuotas | None = None
) -> Allowance | None:
    """What an interaction grants on a network; None: the network has no window (or this
    interaction opens none)."""
    if network in ("WHATSAPP", "WHATSAPP_DIRECT"):
        return Allowance(WHATSAPP_WINDOW, None) if interaction is Interaction.MESSAGE else None
    if network == "WECHAT":
        q = quotas or WeChatQuotas()
        return q.after_message if interaction is Interaction.MESSAGE else q.after_event
    return None


def has_window(network: str) -> bool:
    return network in ("WHATSAPP", "WHATSAPP_DIRECT", "WECHAT")


def open_window(
    current: Window | None,
    network: str,
    interaction: Interaction,
    at: datetime,
    quotas: WeChatQuotas | None = None,
) -> Window | None:
    """The window after an interaction at ``at``: the new grant replaces the current one when it
    reaches further (a window never moves backwards)."""
    grant = allowance(network, interaction, quotas)
    if grant is None:
        return current
    candidate = Window(at, at + grant.length, grant.messages)
    if current is None or candidate.expires_at >= current.expires_at:
        return candidate
    return current


def may_send(window: Window | None, now: datetime) -> bool:
    return (
        window is not None
        and window.expires_at > now
        and (window.remaining is None or window.remaining > 0)
    )


def after_send(window: Window) -> Window:
    if window.remaining is None:
        return window
    return replace(window, remaining=max(0, window.remaining - 1))
