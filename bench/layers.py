"""The house drawn from its own imports: circles and imports running back up a layer.

    python bench/layers.py            # counts, every circle, every back-up import
    python bench/layers.py --quiet    # counts only
    python bench/layers.py --src OTHER/src/relaybird   # another checkout (before/after)

Reads every module of src/relaybird with ``ast`` (nothing is imported or run), draws an arrow
A -> B for each ``import`` of B in A (lazy imports inside functions and ``TYPE_CHECKING`` imports
count too: they are dependencies all the same), gives each module a layer (``LAYERS`` below,
bottom first; docs/DEVELOPING.md "Map of the house" says the same in words) and prints

- circles: strongly connected sets of modules (A imports B imports ... imports A);
- back-up imports: an arrow from a module to one in a HIGHER layer than its own.

An arrow within one layer is never counted: domains of one layer may use each other's services
(tests/test_layers.py states the rules finer than layers: no domain imports another's routes,
rooms and contacts never import each other). Exit status 1 when a module has no layer.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "relaybird"

# Bottom first. A module's layer is the one of the longest prefix listed here ("relaybird.api"
# covers relaybird.api.deps, but "relaybird.api.app" may be listed apart).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",  # shared kit, settings, database, tables
        (
            "relaybird",
            "relaybird.errors",
            "relaybird.config",
            "relaybird.kit",
            "relaybird.db",
            "relaybird.models",
        ),
    ),
    ("providers", ("relaybird.providers", "relaybird.access_tokens")),
    ("context", ("relaybird.context",)),  # what every door hands on: settings, db, adapters
    (
        "platform",  # machinery every domain uses: events, mail, auth, the inbox, the HTTP kit
        (
            "relaybird.events",
            "relaybird.mail",
            "relaybird.auth",
            "relaybird.inbox",
            "relaybird.scheduler",
            "relaybird.api",
            "relaybird.runtime",
        ),
    ),
    # The domains, in four layers: what the higher ones build on first.
    ("numbers", ("relaybird.senders", "relaybird.templates", "relaybird.connectors")),
    ("people", ("relaybird.contacts", "relaybird.campaigns")),
    ("rooms", ("relaybird.rooms",)),  # rooms build on contacts (their service), never the reverse
    ("sending", ("relaybird.dispatcher", "relaybird.operations")),
    ("direct", ("relaybird.direct",)),  # the Direct networks, above rooms and contacts
    ("doors", ("relaybird.dashboard", "relaybird.simulator")),
    ("root", ("relaybird.wiring", "relaybird.app", "relaybird.lifecycles")),
    ("entry", ("relaybird.cli",)),  # the process's commands: serve, worker, api, ...
]


def module_name(path: Path, src: Path = SRC) -> str:
    rel = path.relative_to(src.parent).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


def modules(src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted(src.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The relaybird modules ``name`` imports (``from a import b`` is a.b when b is a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            # `from a import b`: b is the module a.b when there is one, else a name in a.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph(src: Path = SRC) -> dict[str, set[str]]:
    mods = modules(src)
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def layer_of(name: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_label, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), index)
    return None if best is None else best[1]


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def package_of(name: str) -> str:
    """The package a module belongs to: relaybird.rooms.service -> relaybird.rooms (a module at
    the top, relaybird.wiring, is its own)."""
    return ".".join(name.split(".")[:2])


def packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph with each package drawn as one node."""
    drawn: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        drawn[package_of(source)].update(
            package_of(t) for t in targets if package_of(t) != package_of(source)
        )
    return dict(drawn)


def back_up(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Arrows from a module to a module of a higher layer."""
    found = []
    for source, targets in edges.items():
        for target in targets:
            low, high = layer_of(source), layer_of(target)
            if low is not None and high is not None and high > low:
                found.append((source, target))
    return sorted(found)


def label(name: str) -> str:
    layer = layer_of(name)
    return "?" if layer is None else LAYERS[layer][0]


def report(edges: dict[str, set[str]], quiet: bool) -> int:
    unplaced = sorted(n for n in edges if layer_of(n) is None)
    found_circles = circles(edges)
    package_circles = circles(packages(edges))
    ups = back_up(edges)
    arrows = sum(len(t) for t in edges.values())
    print(f"modules {len(edges)}, imports {arrows}")
    print(f"circles {len(found_circles)} (of modules), {len(package_circles)} (of packages)")
    if not quiet:
        for circle in found_circles + package_circles:
            print("  circle: " + " <-> ".join(circle))
    print(f"imports running back up a layer {len(ups)}")
    if not quiet:
        by_pair: dict[tuple[str, str], int] = defaultdict(int)
        for source, target in ups:
            by_pair[(label(source), label(target))] += 1
            print(f"  {source} ({label(source)}) -> {target} ({label(target)})")
        for (low, high), count in sorted(by_pair.items()):
            print(f"  {low} -> {high}: {count}")
    if unplaced:
        print("modules with no layer: " + ", ".join(unplaced))
        return 1
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="counts only")
    parser.add_argument("--src", type=Path, default=SRC, help="the relaybird package to read")
    args = parser.parse_args(list(argv) if argv is not None else None)
    return report(graph(args.src), args.quiet)


if __name__ == "__main__":
    sys.exit(main())
