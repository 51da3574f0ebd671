"""Customer-service windows: WhatsApp's 24 h, WeChat's 48 h with its quotas, none elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from relaybird.providers.windows import (
    Allowance,
    Interaction,
    WeChatQuotas,
    after_send,
    has_window,
    may_send,
    open_window,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_whatsapp_24h_from_the_last_message_without_a_count() -> None:
    window = open_window(None, "WHATSAPP_DIRECT", Interaction.MESSAGE, T0)
    assert window is not None and window.expires_at == T0 + 24 * H and window.remaining is None
    assert may_send(after_send(window), T0 + 23 * H)
    assert not may_send(window, T0 + 24 * H)
    assert open_window(None, "WHATSAPP", Interaction.FOLLOW, T0) is None


def test_wechat_48h_and_5_messages_after_a_message() -> None:
    window = open_window(None, "WECHAT", Interaction.MESSAGE, T0)
    assert window is not None and window.expires_at == T0 + 48 * H
    for _ in range(5):
        assert may_send(window, T0 + 47 * H)
        window = after_send(window)
    assert not may_send(window, T0 + H)
    assert not may_send(open_window(None, "WECHAT", Interaction.MESSAGE, T0), T0 + 48 * H)


def test_wechat_3_messages_within_a_minute_after_a_follow_or_scan() -> None:
    for interaction in (Interaction.FOLLOW, Interaction.SCAN, Interaction.MENU_CLICK):
        window = open_window(None, "WECHAT", interaction, T0)
        assert window is not None and window.remaining == 3
        assert may_send(window, T0 + timedelta(seconds=59))
        assert not may_send(window, T0 + timedelta(seconds=60))


def test_a_window_never_moves_backwards_and_quotas_are_data() -> None:
    long = open_window(None, "WECHAT", Interaction.MESSAGE, T0)
    short = open_window(long, "WECHAT", Interaction.SCAN, T0 + H)
    assert short == long  # the scan's minute ends before the message's 48 h
    later = open_window(long, "WECHAT", Interaction.MESSAGE, T0 + H)
    assert later is not None and later.expires_at == T0 + 49 * H and later.remaining == 5
    legacy = WeChatQuotas(after_message=Allowance(48 * H, None))
    unlimited = open_window(None, "WECHAT", Interaction.MESSAGE, T0, legacy)
    assert unlimited is not None and after_send(unlimited).remaining is None


def test_sms_and_line_have_no_window() -> None:
    for network in ("SMS_DIRECT", "LINE"):
        assert not has_window(network)
        assert open_window(None, network, Interaction.MESSAGE, T0) is None
    assert has_window("WECHAT") and has_window("WHATSAPP")
