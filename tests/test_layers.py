"""The layer rules of STYLE.md, checked on the source instead of hoped for.

- Doors (HTTP routes, dashboard, CLI) call services; they never import a repository.
- Only providers/ imports the outbound HTTP client library (aiohttp) or knows Graph error codes.
  The simulator is the exception: it is not the engine but a separate app playing Meta, and
  aiohttp is its HTTP server and its webhook client.
- The simulator imports nothing of the engine but the wire models and the pure lifecycle rules.
- Business code raises relaybird.errors, never FastAPI's HTTPException.
- Rooms build on contacts, never the reverse: contacts import nothing of rooms, and rooms use
  contacts only through their face (the service, the lifecycle vocabulary, the API schemas),
  never their repository, moves or invitations.
- The Direct networks live in one package, relaybird.direct, above rooms and contacts: it may
  use both; neither of them imports it.
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


def _imports_of(package: str) -> Iterator[tuple[str, str]]:
    """(module, imported relaybird module) for every module of ``package``; a bare package name
    (``from relaybird.contacts import service`` also names ``relaybird.contacts``) is left out:
    the module it names beside it is what counts."""
    for name, _path, imports in _modules():
        if name == package or name.startswith(package + "."):
            for imp in imports:
                if imp.startswith("relaybird.") and imp.count(".") > 1:
                    yield name, imp


def _within(imp: str, package: str) -> bool:
    return imp == package or imp.startswith(package + ".")


# What rooms may use of contacts: the service, the lifecycle vocabulary (Network, statuses),
# the API's schemas.
CONTACTS_FACE = (
    "relaybird.contacts.service",
    "relaybird.contacts.transitions",
    "relaybird.contacts.schemas",
)


def test_contacts_never_import_rooms() -> None:
    offenders = [
        (name, imp)
        for name, imp in _imports_of("relaybird.contacts")
        if _within(imp, "relaybird.rooms")
    ]
    assert offenders == []


def test_rooms_use_contacts_only_through_their_face() -> None:
    offenders = [
        (name, imp)
        for name, imp in _imports_of("relaybird.rooms")
        if _within(imp, "relaybird.contacts") and not imp.startswith(CONTACTS_FACE)
    ]
    assert offenders == []


def test_direct_sits_above_rooms_and_contacts() -> None:
    offenders = [
        (name, imp)
        for package in ("relaybird.rooms", "relaybird.contacts")
        for name, imp in _imports_of(package)
        if _within(imp, "relaybird.direct")
    ]
    assert offenders == []


def test_direct_uses_contacts_only_through_their_face() -> None:
    """Contacts are created and moved only through the contacts service (and its users)."""
    face = (
        *CONTACTS_FACE,
        "relaybird.contacts.users",
        "relaybird.contacts.validation",
        "relaybird.contacts.views",
        "relaybird.contacts.errors",
        "relaybird.contacts.invitations",
    )
    offenders = [
        (name, imp)
        for name, imp in _imports_of("relaybird.direct")
        if _within(imp, "relaybird.contacts") and not imp.startswith(face)
    ]
    assert offenders == []


def test_the_rules_see_the_code() -> None:
    """Guard against the checks above passing because they looked at nothing."""
    names = {name for name, _p, _i in _modules()}
    assert "relaybird.auth.routes" in names and _is_door("relaybird.auth.routes")
    assert "relaybird.auth.repository" in names
    assert any(_is_door(n) for n in names if n.startswith("relaybird.cli"))
    rooms_uses = {imp for _name, imp in _imports_of("relaybird.rooms")}
    assert "relaybird.contacts.service" in rooms_uses
    direct_uses = {imp for _name, imp in _imports_of("relaybird.direct")}
    assert {"relaybird.rooms.service", "relaybird.contacts.service"} <= direct_uses
