"""Lifecycles as data: a table of (from, event, to) rows and the checks over it.

A table row's ``source`` may be one state, several, or None ("no status", for the nullable
contact status). Targets are explicit; an event may lead to different targets from different
sources (FLAGGED → CONNECTED on recovery keeps the limit; OFFLINE → "the status it had").
The database write lives in ``relaybird.events.transitions``; this module has no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from relaybird.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)
# The table's event names (a StrEnum per table; history rows store the value).
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Move(Generic[S]):
    source: S | None
    event: str
    target: S | None
    note: str = ""


@dataclass
class StateMachine(Generic[S, E]):
    """One lifecycle: its entity name, its states, its event names, its table."""

    entity: str
    states: type[S]
    event_names: type[E]
    rows: tuple[Move[S], ...]
    # Events that may find the entity already in the target state (duplicates are no-ops).
    idempotent_events: frozenset[str] = frozenset()
    final_states: frozenset[S] = frozenset()
    state_field: str = "state"
    _index: dict[tuple[S | None, str], tuple[S | None, ...]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        index: dict[tuple[S | None, str], list[S | None]] = {}
        for move in self.rows:
            index.setdefault((move.source, move.event), []).append(move.target)
        self._index = {key: tuple(dict.fromkeys(targets)) for key, targets in index.items()}
        # Every event of the table is a member of its event enum (a typo in a row fails at
        # import; the lifecycle table tests check that the enum names nothing more).
        unnamed = set(self.events) - {str(e) for e in self.event_names}
        if unnamed:
            raise ValueError(
                f"{self.entity}: events {sorted(unnamed)} are not in {self.event_names.__name__}"
            )
        # A final state no row produces is a claim about a status this lifecycle never has
        # (docs would print it under a network that cannot take it): refuse it at import.
        unreachable = set(self.final_states) - {m.target for m in self.rows}
        if unreachable:
            raise ValueError(
                f"{self.entity}: final states {sorted(map(str, unreachable))} are produced by "
                "no row of the table"
            )

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.event for m in self.rows))

    @property
    def event_type(self) -> str:
        return f"{self.entity}.{self.state_field}_changed"

    def targets(self, source: S | None, event: str) -> tuple[S | None, ...]:
        return self._index.get((source, event), ())

    def can(self, source: S | None, event: str, target: S | None) -> bool:
        return target in self.targets(source, event)

    def sources(self, event: str, target: S | None) -> frozenset[S | None]:
        return frozenset(m.source for m in self.rows if m.event == event and m.target == target)

    def resolve(
        self, source: S | None, event: str, target: S | None = None, *, explicit: bool = False
    ) -> S | None:
        """The target of ``event`` from ``source``; raises IllegalTransition if the table has no
        such row. When an event leads to several targets from ``source``, the caller names one
        (``explicit=True`` also allows naming "no status", None)."""
        options = self.targets(source, event)
        if explicit or target is not None:
            if target in options:
                return target
        elif len(options) == 1:
            return options[0]
        elif len(options) > 1:
            raise IllegalTransition(
                f"{self.entity}: event {event!r} from {_label(source)} needs an explicit target "
                f"({', '.join(_label(o) for o in options)})"
            )
        wanted = _label(target) if (explicit or target is not None) else "any status"
        raise IllegalTransition(
            f"{self.entity} cannot go from {_label(source)} to {wanted} on {event!r}",
            entity=self.entity,
            from_state=None if source is None else str(source),
            event=event,
            to_state=None if target is None else str(target),
        )


def table(*rows: tuple[Any, ...]) -> tuple[Move[Any], ...]:
    """Expand rows whose source is a tuple of states into one Move per source state."""
    moves: list[Move[Any]] = []
    for row in rows:
        source, event, target = row[0], row[1], row[2]
        note = row[3] if len(row) > 3 else ""
        sources = source if isinstance(source, tuple) else (source,)
        moves.extend(Move(s, event, target, note) for s in sources)
    return tuple(moves)


def rank_never_decreases(rank: Mapping[S, int], machine: StateMachine[S, Any]) -> list[Move[S]]:
    """Rows that would move a ranked state to a lower rank (used by tests and docs)."""
    return [
        m
        for m in machine.rows
        if m.source in rank and m.target in rank and rank[m.target] < rank[m.source]  # type: ignore[index]
    ]


def _label(state: StrEnum | None) -> str:
    return "no status" if state is None else str(state)


def markdown_table(machine: StateMachine[S, Any], states: Iterable[S] | None = None) -> str:
    """Render the table as Markdown: one row per (from, event) with its targets."""
    lines = ["| from | event | to | note |", "| --- | --- | --- | --- |"]
    grouped: dict[tuple[str, str], list[str]] = {}
    notes: dict[tuple[str, str], str] = {}
    for move in machine.rows:
        key = (move.event, _label(move.target))
        grouped.setdefault(key, []).append(_label(move.source))
        if move.note:
            notes[key] = move.note
    for (event, target), sources in grouped.items():
        lines.append(
            f"| {', '.join(sources)} | {event} | {target} | {notes.get((event, target), '')} |"
        )
    return "\n".join(lines)
