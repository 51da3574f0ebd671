"""Fixtures of the dashboard tests."""

from tests.dashboard.browser import browser  # noqa: F401  (the Chromium fixture)
