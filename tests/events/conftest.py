from __future__ import annotations

import pytest

from relaybird.context import AppContext


@pytest.fixture
def allow_loopback_receivers(ctx: AppContext) -> None:
    """RELAYBIRD_EVENT_PRIVATE_NETWORKS=127.0.0.0/8: the test receivers listen on 127.0.0.1,
    which the destination rule refuses unless the operator allows it."""
    ctx.settings = ctx.settings.model_copy(update={"event_private_networks": "127.0.0.0/8"})
