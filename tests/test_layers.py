"""The layer rules of STYLE.md, checked on the source instead of hoped for.

- Doors (HTTP routes, dashboard, CLI) call services; they never import a repository.
- Only providers/ imports the outbound HTTP client library (aiohttp) or knows Graph error codes.
  The simulator is the exception: it is not the engine but a separate app playing Meta, and
  aiohttp is its HTTP server and its webhook client.
- The simulator imports nothing of the engine but the wire models and the pure lifecycle rules.
- Business code raises relaybird.errors, never FastAPI's HTTPException.
- The house's layers (issue 13): the composition root (relaybird.wiring, relaybird.app) above
  every domain; no domain imports another domain's routes; rooms build on contacts, never the
  reverse (contacts import nothing of rooms; rooms use contacts only through their service and
  vocabulary, never their repository, moves or invitations); the Direct networks live in one
  package above both, which neither imports, and which creates and moves contacts only through
  the contacts service; no import circle, at most 6 imports back up a layer (bench/layers.py
  draws the graph and names each layer).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

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


# --- The house's layers (issue 13): the composition root on top, Direct above rooms and
# contacts, domains that do not reach into each other's doors. docs/DEVELOPING.md "Map of the
# house" says the same in words; bench/layers.py draws the whole graph.

ROOT_MODULES = ("relaybird.wiring", "relaybird.app")
ENTRY = ("relaybird.cli",)


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _package(name: str) -> str:
    return ".".join(name.split(".")[:2])


def _imports_between(source: str, target: str) -> list[tuple[str, str]]:
    return [
        (name, imp)
        for name, _path, imports in _modules()
        if _under(name, (source,))
        for imp in imports
        if _under(imp, (target,))
    ]


def test_the_composition_root_sits_above_every_domain() -> None:
    """Only the root itself and the process's commands import the wiring or the app factory: the
    applier, the scheduler and the loops get what is registered as arguments."""
    offenders = [
        (name, imp)
        for name, _path, imports in _modules()
        if not _under(name, ROOT_MODULES + ENTRY)
        for imp in imports
        if _under(imp, ROOT_MODULES)
    ]
    assert offenders == []


def test_no_domain_imports_another_domains_routes() -> None:
    """A domain's routes are its door: the composition root mounts them, nobody else imports
    them (what two doors share lives in a service or in api/)."""
    offenders = [
        (name, imp)
        for name, _path, imports in _modules()
        if not _under(name, ROOT_MODULES + ENTRY)
        for imp in imports
        if imp.startswith("relaybird.")
        and _package(imp) != _package(name)
        and (imp.split(".")[-1].startswith("routes") or ".routes" in imp)
    ]
    assert offenders == []


# What rooms may use of contacts: the service, the lifecycle vocabulary (Network, statuses), the
# API's schemas and path parameters. Never the repository, the moves or the invitations: those
# are contacts' own.
CONTACTS_FACE = (
    "relaybird.contacts.service",
    "relaybird.contacts.transitions",
    "relaybird.contacts.schemas",
    "relaybird.contacts.params",
)
# What only contacts may touch: Direct (above both) creates and moves contacts through the service.
CONTACTS_INSIDE = ("relaybird.contacts.repository", "relaybird.contacts.moves")


def test_rooms_build_on_contacts_never_the_reverse() -> None:
    assert _imports_between("relaybird.contacts", "relaybird.rooms") == []
    through = _imports_between("relaybird.rooms", "relaybird.contacts")
    assert through != []  # the rule below looked at something
    assert [
        (name, imp)
        for name, imp in through
        if imp != "relaybird.contacts" and not _under(imp, CONTACTS_FACE)
    ] == []


def test_direct_sits_above_rooms_and_contacts() -> None:
    """Direct uses rooms and contacts; neither knows Direct."""
    assert (SRC / "direct").is_dir()
    assert _imports_between("relaybird.rooms", "relaybird.direct") == []
    assert _imports_between("relaybird.contacts", "relaybird.direct") == []
    assert _imports_between("relaybird.direct", "relaybird.rooms") != []
    assert [
        imp
        for _name, imp in _imports_between("relaybird.direct", "relaybird.contacts")
        if _under(imp, CONTACTS_INSIDE)
    ] == []


def _bench_layers() -> ModuleType:
    path = SRC.parent.parent / "bench" / "layers.py"
    spec = importlib.util.spec_from_file_location("bench_layers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_no_import_circle_and_few_imports_back_up_a_layer() -> None:
    layers = _bench_layers()
    edges = layers.graph(SRC)
    assert [n for n in edges if layers.layer_of(n) is None] == []  # every module has its layer
    assert layers.circles(edges) == []
    assert len(layers.back_up(edges)) <= 6, layers.back_up(edges)
