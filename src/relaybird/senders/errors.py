"""Errors of the senders domain."""

from __future__ import annotations

from relaybird.errors import AppError


class ProviderFailed(AppError):
    """The provider refused or did not answer a read about the number (sync)."""

    status = 502
    code = "provider_error"
    title = "Provider error"
