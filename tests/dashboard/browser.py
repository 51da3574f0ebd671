"""Playwright driving Debian's Chromium (/usr/bin/chromium), headless.

Without Chromium the browser tests skip with a one-line reason, unless
RELAYBIRD_TEST_REQUIRE_BROWSER=1 (CI, where .ci/run installs it) makes that a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RELAYBIRD_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("RELAYBIRD_TEST_REQUIRE_BROWSER") == "1"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if REQUIRE:
            pytest.fail(f"RELAYBIRD_TEST_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()
