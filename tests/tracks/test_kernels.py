"""Track kernels: cleaning, segmentation, resampling and the bucket keys of the encounter join."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.geo.distance import haversine_m
from harborwatch.tracks import Clean, Resample, Segment, Track, TrackCollection
from harborwatch.tracks import kernels as K

T0 = 1_690_329_600_000


def track(rows, receivers=None, mmsi=211000001):
    n = len(rows)
    return Track(pa.table({
        "mmsi": pa.array([mmsi] * n, pa.uint32()),
        "timestamp": pa.array([T0 + int(r[0] * 1000) for r in rows], pa.timestamp("ms", tz="UTC")),
        "lat": [r[1] for r in rows], "lon": [r[2] for r in rows],
        "sog_kn": pa.array([r[3] if len(r) > 3 else 5.0 for r in rows], pa.float32()),
        "receiver": receivers or ["terrestrial"] * n,
        "record_hash": pa.array(range(1, n + 1), pa.uint64()),
    }))


def test_clean_duplicates_and_satellite_clock_offset():
    tr = track([(0, 5.0, 20.0), (0, 5.0, 20.0), (60, 5.0, 20.0), (120, 5.01, 20.0)],
               ["terrestrial", "terrestrial", "satellite", "terrestrial"])
    codes = Clean().codes(tr)
    assert [K.CLEAN_REASONS[c] for c in codes] == ["kept", "duplicate", "clock_offset", "kept"]
    # a moored ship repeating its position through the same receiver kind keeps every report
    moored = track([(0, 5.0, 20.0, 0.0), (180, 5.0, 20.0, 0.0), (360, 5.0, 20.0, 0.0)])
    assert list(Clean().codes(moored)) == [0, 0, 0]


def test_segment_splits_at_24h_and_impossible_speed():
    rows = [(0, 5.0, 20.0), (600, 5.01, 20.0), (600 + 25 * 3600, 5.02, 20.0), (600 + 25 * 3600 + 600, 5.03, 20.0)]
    assert len(Segment().split(track(rows))) == 2
    rows = [(0, 5.0, 20.0), (600, 5.01, 20.0), (1200, 5.02, 20.0)]
    assert len(Segment().split(track(rows))) == 1


def test_out_of_order_input_is_sorted():
    tr = track([(600, 5.01, 20.0), (0, 5.0, 20.0), (1200, 5.02, 20.0)])
    t = tr.table["timestamp"].to_pylist()
    assert t == sorted(t)


def test_two_hulls_interleaved_are_two_segments_not_a_zigzag():
    rows = []
    for k in range(30):
        rows.append((600 * k, 5.0 + 0.01 * k, 20.0))
        rows.append((600 * k + 300, 7.0 + 0.01 * k, 20.0))
    segs = Segment().split(track(rows))
    assert sorted(len(s) for s in segs) == [30, 30]
    out = Segment().apply(track(rows)).table
    assert sorted(set(out["primary"].to_pylist())) == [False, True]


def test_antimeridian_crossing_is_one_segment():
    rows = [(600 * k, 5.0, 179.97 + 0.01 * k if 179.97 + 0.01 * k <= 180 else 179.97 + 0.01 * k - 360)
            for k in range(7)]
    assert len(Segment().split(track(rows))) == 1


def test_resample_interpolates_and_never_across_long_gaps():
    tr = track([(0, 5.0, 20.0), (1200, 5.02, 20.0), (1200 + 3 * 3600, 5.05, 20.0)])
    r = tr.pipe(Resample(step_min=10.0))
    slots = (np.array(r["timestamp"].cast(pa.int64())) - T0) // 600_000
    assert list(slots[:3]) == [0, 1, 2]
    assert r["lat"][1].as_py() == 5.01
    assert len(r) == 4  # 0, 10, 20 min, and the fix exactly on a slot at 3 h 20 min


def test_collection_iterates_vessels():
    a = track([(0, 5.0, 20.0)], mmsi=211000001).table
    b = track([(0, 6.0, 20.0), (60, 6.0, 20.0)], mmsi=211000002).table
    tc = TrackCollection(pa.concat_tables([b, a]))
    assert [len(t) for t in tc] == [1, 2] and len(tc[211000002]) == 2
    assert tc.to_pandas().shape[0] == 3
    assert tc.to_geopandas().crs.to_epsg() == 4326


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-180.0, 180.0)), min_size=0, max_size=20),
       st.integers(0, 20))
def test_step_distances_are_haversine_to_the_last_bit(pts, cut):
    """Step distances reuse each fix's latitude cosine; the result is haversine_m's, bit for bit."""
    lat = np.array([p[0] for p in pts], np.float64)
    lon = np.array([p[1] for p in pts], np.float64)
    n = len(pts)
    off = np.array(sorted({0, min(cut, n), n}), np.int64)
    got = K.step_distances(off, lat, lon)
    want = np.zeros(n)
    for a, b in zip(off[:-1], off[1:], strict=True):
        for i in range(a + 1, b):
            want[i] = haversine_m(lat[i - 1], lon[i - 1], lat[i], lon[i])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
