"""The spill of encounter points: every point comes back once, in the window of its slot."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.events.schema import POINTS
from harborwatch.events.spill import PointSpill, slot_edges


def _points(slots: list[int]) -> pa.Table:
    n = len(slots)
    return pa.table({"slot": slots, "mmsi": [1] * n, "hull": [0] * n, "lat": [0.0] * n, "lon": [0.0] * n,
                     "speed_kn": [0.0] * n, "ref0": list(range(n)), "ref1": list(range(n))}, schema=POINTS)


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.lists(st.integers(-5, 60), max_size=30), max_size=5), windows=st.integers(1, 6))
def test_every_point_comes_back_once_in_its_window(batches, windows, tmp_path_factory):
    edges = slot_edges(0, 50 * 600_000, 600_000, windows)
    with PointSpill(edges, tmp_path_factory.mktemp("spill")) as sp:
        for b in batches:
            sp.add(_points(b))
        back = list(sp.windows())
    got = sorted(s for t in back for s in t["slot"].to_pylist())
    assert got == sorted(s for b in batches for s in b)
    for t in back:  # one window's slots all fall between the same two edges
        w = np.searchsorted(edges, t["slot"].to_numpy(), side="right")
        assert len(set(w.tolist())) == 1


def test_edges_split_the_span_evenly():
    e = slot_edges(0, 99 * 60_000, 60_000, 4)
    assert e.tolist() == [25, 50, 75]
    assert slot_edges(0, 10, 60_000, 1).tolist() == []
