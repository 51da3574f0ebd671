"""Errors of the templates domain."""

from __future__ import annotations

from relaybird.errors import AppError


class CatalogueUnavailable(AppError):
    """Meta refused or did not answer a catalogue read or a media upload."""

    status = 502
    code = "provider_error"
    title = "Provider error"
