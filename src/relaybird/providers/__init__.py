"""Outbound providers. Only this package knows HTTP client libraries and provider error codes."""
