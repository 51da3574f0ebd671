from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from relaybird.config import Settings
from relaybird.kit.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("2s", timedelta(seconds=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("90", timedelta(seconds=90)),
        (" 2W ", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7 days", "d7", "1x", "-3s", "2s3"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(days=2, hours=3, minutes=4)) == "2d 3h"
    assert format_duration(timedelta(seconds=45)) == "45s"


def test_settings_read_the_documented_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "RELAYBIRD_DATABASE_URL": "postgresql://x@y/z",
        "RELAYBIRD_PUBLIC_URL": "https://rb.example.com/",
        "RELAYBIRD_GRAPH_API_URL": "http://127.0.0.1:9999",
        "RELAYBIRD_GRAPH_API_VERSION": "v21.0",
        "RELAYBIRD_WHATSAPP_APP_SECRET": "s1",
        "RELAYBIRD_WHATSAPP_VERIFY_TOKEN": "s2",
        "RELAYBIRD_DIRECT_WEBHOOK_SECRET": "s3",
        "RELAYBIRD_SMTP_URL": "smtp://127.0.0.1:2525",
        "RELAYBIRD_INVITE_EXPIRY": "2s",
        "RELAYBIRD_BOOTSTRAP_ADMIN_KEY": "k" * 20,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = Settings()
    assert s.database_url == "postgresql://x@y/z"
    assert s.public_url == "https://rb.example.com"
    assert s.graph_api_url == "http://127.0.0.1:9999"
    assert s.graph_api_version == "v21.0"
    assert s.whatsapp_app_secret.get_secret_value() == "s1"
    assert s.whatsapp_verify_token.get_secret_value() == "s2"
    assert s.direct_webhook_secret.get_secret_value() == "s3"
    assert s.smtp_url == "smtp://127.0.0.1:2525"
    assert s.invite_expiry == timedelta(seconds=2)
    assert s.bootstrap_admin_key is not None
    assert "s1" not in repr(s)  # secrets never printed


def test_bad_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBIRD_INVITE_EXPIRY", "soon")
    with pytest.raises(ValidationError, match="not a duration"):
        Settings()


@pytest.mark.parametrize(("lease", "send_timeout"), [("10s", "15s"), ("30s", "15s"), ("2s", "1s")])
def test_a_lease_that_can_end_during_a_send_is_refused(lease: str, send_timeout: str) -> None:
    """Issue 12 item 17: with a lease shorter than a send can take, crash recovery judges a live
    send (at-least-once: sends it twice). Refused when the settings are read, at start."""
    with pytest.raises(ValidationError, match=r"RELAYBIRD_LEASE .* RELAYBIRD_SEND_TIMEOUT"):
        Settings(lease=lease, send_timeout=send_timeout)


def test_the_lease_and_send_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBIRD_LEASE", "10s")
    monkeypatch.setenv("RELAYBIRD_SEND_TIMEOUT", "4s")
    s = Settings()
    assert (s.lease, s.send_timeout) == (timedelta(seconds=10), timedelta(seconds=4))
    # The defaults agree with each other.
    monkeypatch.delenv("RELAYBIRD_LEASE")
    monkeypatch.delenv("RELAYBIRD_SEND_TIMEOUT")
    default = Settings()
    assert default.lease > 2 * default.send_timeout
    with pytest.raises(ValidationError, match="must be positive"):
        Settings(send_timeout="0s")
