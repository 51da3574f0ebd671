from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.providers.receiver import Receiver, receiver_fixture


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server recording the simulator's callbacks (see receiver.py)."""
    yield from receiver_fixture()
