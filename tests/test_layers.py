"""The layer rules of STYLE.md, checked on the source instead of hoped for.

- Doors (HTTP routes, dashboard, CLI) call services; they never import a repository.
- Only providers/ imports the outbound HTTP client library (aiohttp) or knows Graph error codes.
  The simulator is the exception: it is not the engine but a separate app playing Meta, and
  aiohttp is its HTTP server and its webhook client.
- The simulator imports nothing of the engine but the wire models and the pure lifecycle rules.
- Business code raises relaybird.errors, never FastAPI's HTTPException.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import relaybird

SRC = Path(relaybird.__file__).parent


def _modules() -> Iterator[tuple[str, Path, set[str]]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        name = ".".join(("relaybird", *rel.parts)).removesuffix(".__init__")
        tree = ast.parse(path.read_text(), filename=str(path))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        yield name, path, imported


def _is_door(name: str) -> bool:
    parts = name.split(".")
    if len(parts) < 2:
        return False
    return (
        parts[-1] == "routes"
        or parts[1] in {"api", "dashboard", "cli"}
        or (len(parts) > 2 and parts[2].startswith("routes"))
    )


def test_doors_do_not_import_repositories() -> None:
    offenders = [
        (name, imp)
        for name, _path, imports in _modules()
        if _is_door(name)
        for imp in imports
        if imp.startswith("relaybird.") and "repository" in imp.split(".")
    ]
    assert offenders == []


def test_only_providers_import_the_http_client_library() -> None:
    offenders = [
        (name, imp)
        for name, _path, imports in _modules()
        if not name.startswith(("relaybird.providers", "relaybird.simulator"))
        for imp in imports
        if imp == "aiohttp" or imp.startswith("aiohttp.")
    ]
    assert offenders == []


SIMULATOR_MAY_IMPORT = (
    "relaybird.simulator",
    "relaybird.providers.whatsapp",
    # The Direct networks' wire shapes, signatures and pure rules (never their clients).
    "relaybird.providers.twilio.wire",
    "relaybird.providers.twilio.signature",
    "relaybird.providers.twilio.keywords",
    "relaybird.providers.line.wire",
    "relaybird.providers.line.signature",
    "relaybird.providers.wechat.wire",
    "relaybird.providers.wechat.signature",
    "relaybird.providers.wechat.crypto",
    "relaybird.providers.windows",
    "relaybird.providers.channel_events",
    "relaybird.providers.port",
    "relaybird.senders.lifecycle",
    "relaybird.senders.tiers",
    "relaybird.senders.explain",
    "relaybird.senders.transitions",
    "relaybird.config",
    "relaybird.kit",
    "relaybird.__init__",
)


def test_simulator_imports_only_wire_models_and_pure_rules() -> None:
    offenders = [
        (name, imp)
        for name, _path, imports in _modules()
        if name.startswith("relaybird.simulator")
        for imp in imports
        if imp.startswith("relaybird")
        and imp != "relaybird"
        and not imp.startswith(SIMULATOR_MAY_IMPORT)
    ]
    assert offenders == []


def test_business_code_never_raises_http_exceptions() -> None:
    offenders = [
        name
        for name, _path, imports in _modules()
        for imp in imports
        if imp.endswith("HTTPException") and not name.startswith("relaybird.api.problems")
    ]
    assert offenders == []


def test_the_rules_see_the_code() -> None:
    """Guard against the checks above passing because they looked at nothing."""
    names = {name for name, _p, _i in _modules()}
    assert "relaybird.auth.routes" in names and _is_door("relaybird.auth.routes")
    assert "relaybird.auth.repository" in names
    assert any(_is_door(n) for n in names if n.startswith("relaybird.cli"))
