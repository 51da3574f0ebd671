"""Shared bits of the template tests: fixture bodies, catalogue items, slots."""

from __future__ import annotations

import json
import zlib
from typing import Any

from relaybird.providers.port import CatalogueTemplate
from relaybird.simulator.template_seed import SEED
from relaybird.templates.slots import TemplateSlots, parse_components
from tests.data import TEMPLATE_FIXTURES, WEBHOOK_FIXTURES


def fixture(name: str) -> Any:
    folder = TEMPLATE_FIXTURES if (TEMPLATE_FIXTURES / name).exists() else WEBHOOK_FIXTURES
    return json.loads((folder / name).read_text())


def listed(name: str) -> dict[str, Any]:
    """A template item of the list API fixtures (pages 1 and 2), by name."""
    for page in ("templates-list-page1--meta-doc.json", "templates-list-page2--adapted.json"):
        for item in fixture(page)["data"]:
            if item["name"] == name:
                return dict(item)
    raise KeyError(name)


def seeded(name: str) -> dict[str, Any]:
    return next(dict(t) for t in SEED if t["name"] == name)


def slots_of(item: dict[str, Any]) -> TemplateSlots:
    return parse_components(item["components"], item.get("parameter_format"))


def catalogue_item(item: dict[str, Any], **changes: Any) -> CatalogueTemplate:
    values = {
        "id": item.get("id")
        or str(9 * 10**14 + zlib.crc32(f"{item['name']}|{item['language']}".encode())),
        "name": item["name"],
        "language": item["language"],
        "status": item.get("status", "APPROVED"),
        "category": item.get("category"),
        "components": item.get("components", []),
        "parameter_format": item.get("parameter_format"),
        "sub_category": item.get("sub_category"),
        "quality_score": item.get("quality"),
        "rejected_reason": item.get("rejected_reason"),
    }
    values.update(changes)
    return CatalogueTemplate(**values)
