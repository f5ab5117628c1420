"""Stage helpers equal the plain definitions they implement."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.events.fixes import Fixes, receiver_codes
from harborwatch.events.rules import Gaps
from harborwatch.tracks.track import vessel_offsets

fixes = st.lists(st.tuples(st.sampled_from([211000001, 211000002, 273000003]), st.integers(0, 3 * 24 * 60),
                           st.floats(54.0, 56.0), st.floats(10.0, 13.0),
                           st.sampled_from(["terrestrial", "satellite", None])), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(fixes)
def test_reception_counts_positions_and_distinct_vessels_per_cell_day_receiver(rows):
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    mm = np.array([r[0] for r in rows], np.int64)
    t = np.array([r[1] * 60_000 for r in rows], np.int64)
    lat, lon = np.array([r[2] for r in rows]), np.array([r[3] for r in rows])
    fx = Fixes(t, lat, lon, np.full(len(rows), np.nan), mm, np.zeros(len(rows), np.int64),
               np.arange(len(rows), dtype=np.uint64), *receiver_codes(pa.chunked_array([[r[4] for r in rows]])),
                vessel_offsets(mm))
    cell = 0.5
    got = {(r["cell_r"], r["cell_c"], r["day"], r["receiver"]): (r["positions"], r["vessels"])
           for r in Gaps(reception_cell_deg=cell).reception(fx).to_pylist()}
    want: dict[tuple, tuple[int, set]] = {}
    for m, minute, la, lo, rec in rows:
        k = (math.floor((la + 90) / cell), math.floor((lo + 180) / cell), minute // (24 * 60), rec or "unknown")
        n, ves = want.get(k, (0, set()))
        want[k] = (n + 1, ves | {m})
    assert got == {k: (n, len(v)) for k, (n, v) in want.items()}
