"""The importer's chunking: blank rows skipped, only the layout's cells kept, rows numbered as a
spreadsheet shows them; the fast paths give what the plain definition gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from relaybird.campaigns.importer import Layout, chunks
from relaybird.campaigns.readers import RefusedRow

CELLS = st.lists(st.sampled_from(["", " ", "\t", "+12125550100", "Ann", " x "]), max_size=6)
ROWS = st.lists(st.one_of(CELLS, st.just(RefusedRow("over a limit"))), max_size=40)
LAYOUTS = st.builds(
    Layout,
    phone_index=st.integers(0, 5),
    param_indexes=st.lists(st.integers(0, 7), max_size=3).map(tuple),
    param_names=st.just(()),
)


@given(rows=ROWS, layout=LAYOUTS, size=st.integers(1, 7))
def test_chunks_are_the_plain_definition(rows: list[list[str]], layout: Layout, size: int) -> None:
    indexes = (layout.phone_index, *layout.param_indexes)
    expected = []
    for number, cells in enumerate(rows, start=2):
        if isinstance(cells, RefusedRow):
            expected.append((number, "refused"))
        elif any(c.strip() for c in cells):
            expected.append((number, [cells[i] if i < len(cells) else "" for i in indexes]))
    got = [
        (number, "refused" if isinstance(cells, RefusedRow) else list(cells))
        for part in chunks(iter(rows), size, layout)
        for number, cells in part
    ]
    assert got == expected
    assert all(len(part) <= size for part in chunks(iter(rows), size, layout))
