from pathlib import Path

from relaybird.lifecycles import render_markdown

DOC = Path(__file__).parents[1] / "docs" / "state-machines.md"


def test_docs_match_the_transition_tables() -> None:
    assert DOC.read_text() == render_markdown(), "docs/state-machines.md is stale: run `make docs`"
