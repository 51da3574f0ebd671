"""Small helpers for the Direct-network tests: run a coroutine, load a fixture, build requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from relaybird.providers.channel import CallbackRequest

T = TypeVar("T")
DATA = Path(__file__).parent.parent / "data"


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def fixture(network: str, name: str) -> bytes:
    return (DATA / network / name).read_bytes()


def fixture_json(network: str, name: str) -> Any:
    return json.loads(fixture(network, name))


def form_request(
    url: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> CallbackRequest:
    return CallbackRequest(
        method="POST",
        url=url,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        body=urlencode(params).encode(),
    )
