"""``in_order``: a table sorted by its keys, by a stable sort on the first key where that is enough."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from harborwatch.tracks.track import in_order, is_ordered

KEYS = ("mmsi", "hull", "slot")
row = st.tuples(st.one_of(st.none(), st.integers(0, 4)), st.integers(0, 1), st.integers(0, 6))


def _table(rows: list[tuple]) -> pa.Table:
    return pa.table({"mmsi": pa.array([r[0] for r in rows], pa.uint32()), "hull": [r[1] for r in rows],
                     "slot": [r[2] for r in rows], "row": list(range(len(rows)))})


@given(st.lists(row, max_size=40), st.booleans())
def test_in_order_is_a_sort_by_all_keys(rows, whole_vessels):
    """Whole vessels in order, given in any vessel order (the stable sort suffices), or rows in
    any order, with or without null MMSIs: the same table as a sort by all the keys."""
    if whole_vessels:  # each vessel's rows in order, the vessels in the order they first appear
        first = {r[0]: i for i, r in reversed(list(enumerate(rows)))}
        rows = sorted(rows, key=lambda r: (first[r[0]], r[1], r[2]))
    t = _table(rows)
    got = in_order(t, KEYS)
    assert is_ordered(got.filter(got["mmsi"].is_valid()), KEYS)
    want = t.sort_by([(k, "ascending") for k in KEYS])
    assert got.drop_columns(["row"]).equals(want.drop_columns(["row"]))
