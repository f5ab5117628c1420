"""The column-wise event builders write exactly what the one-event-at-a-time ones write."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
from helpers import port  # type: ignore[import-not-found]
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.core.ids import canonical_json
from harborwatch.events.context import Context
from harborwatch.events.params import EventsConfig
from harborwatch.events.rows import (
    EventRows,
    coded,
    json_objects,
    ranges,
    take_lists,
    track_labels,
)

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


CTX = Context(EventsConfig(), port())
SITES = ["Rajin", "Port \"B\"", "Порт", "Zarubino"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(floats, st.integers(-2**40, 2**40), st.booleans(),
                          st.one_of(st.none(), st.text(max_size=8)), st.one_of(st.none(), st.integers(0, 3)),
                          st.integers(-1, 3), st.integers(0, 3)),
                min_size=1, max_size=20))
def test_json_objects_equal_canonical_json(rows):
    f, i, b, s, mixed, site, hull = (list(c) for c in zip(*rows, strict=True))
    got = json_objects(len(rows), {"z_float": np.array(f), "int": np.array(i, np.int64), "bool": np.array(b),
                                   "text": s, "mixed": mixed, "const": "x", "none": None,
                                   "site": coded(np.array(site), pa.array(SITES)),
                                   "track": track_labels(np.array(hull))}).to_pylist()
    want = [canonical_json({"z_float": fv, "int": iv, "bool": bv, "text": sv, "mixed": mv, "const": "x", "none": None,
                            "site": None if k < 0 else SITES[k], "track": "main" if h == 0 else f"hull {h}"})
            for fv, iv, bv, sv, mv, k, h in rows]
    assert got == want


def test_json_objects_keep_bools_and_ints_apart():
    assert json_objects(3, {"v": [True, 1, 1.0]}).to_pylist() == ['{"v":true}', '{"v":1}', '{"v":1.0}']
    assert json.loads(json_objects(1, {"a": np.array([np.nan])})[0].as_py()) == {"a": None}


def test_ranges_and_extend_match_add():
    refs = np.arange(100, 110, dtype=np.uint64)
    lists = ranges(refs, np.array([0, 3, 9]), np.array([2, 3, 9]))
    assert lists.to_pylist() == [[100, 101, 102], [103], [109]]
    one, many = EventRows(), EventRows()
    for k, (a, b) in enumerate(((0, 2), (3, 3), (9, 9))):
        one.add("gap", 7 + k, 1000 * k, 1000 * k + 5, float("nan") if k == 1 else 1.5, 2.5, refs[a:b + 1],
                {"n": k, "x": 0.25 * k}, site_id=None if k else "S", confidence=k + 1)
    many.extend("gap", np.array([7, 8, 9]), np.array([0, 1000, 2000]), np.array([5, 1005, 2005]),
                np.array([1.5, np.nan, 1.5]), np.array([2.5] * 3), lists,
                {"n": np.array([0, 1, 2]), "x": np.array([0.0, 0.25, 0.5])}, site_id=["S", None, None],
                confidence=np.array([1, 2, 3]))
    assert one.table(CTX).equals(many.table(CTX))
    coded_sites = EventRows()  # site ids as a coded column
    coded_sites.extend("gap", np.array([7, 8, 9]), np.array([0, 1000, 2000]), np.array([5, 1005, 2005]),
                       np.array([1.5, np.nan, 1.5]), np.array([2.5] * 3), lists,
                       {"n": np.array([0, 1, 2]), "x": np.array([0.0, 0.25, 0.5])},
                       site_id=coded(np.array([1, -1, -1]), pa.array(["T", "S"])), confidence=np.array([1, 2, 3]))
    assert one.table(CTX).equals(coded_sites.table(CTX))


lists = st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=5), max_size=6)
with_nulls = st.lists(st.one_of(st.none(), st.lists(st.integers(0, 2**64 - 1), max_size=5)), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(lists, min_size=1, max_size=4), st.lists(with_nulls, min_size=1, max_size=4)), st.data())
def test_take_lists_equals_arrow_take(chunks, data):
    """Gathering evidence lists from chunks (the first sliced) equals Arrow's take, nulls included."""
    arrays = [pa.array(c, pa.list_(pa.uint64())) for c in chunks]
    arrays[0] = arrays[0].slice(min(1, len(arrays[0])))  # an offset into the child values
    col = pa.chunked_array(arrays, pa.list_(pa.uint64()))
    rows = data.draw(st.lists(st.integers(0, max(0, len(col) - 1)), max_size=10)) if len(col) else []
    got = take_lists(col, np.array(rows, np.int64))
    assert got.to_pylist() == col.take(pa.array(rows, pa.int64())).to_pylist()
