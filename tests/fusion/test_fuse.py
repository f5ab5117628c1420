"""Fusion of radar detections with AIS on hand-built positions (DuckDB over Arrow tables)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa

from harborwatch.fusion import FUSED, Fusion, counts, dark_events, fuse
from harborwatch.sar.detect import DETECTIONS

T = datetime(2023, 8, 1, 21, 20, tzinfo=UTC)
T_MS = int(T.timestamp() * 1000)
LAT, LON = 42.0, 131.0  # sea east of Rason
FOOT = [[130.9, 41.9], [131.1, 41.9], [131.1, 42.1], [130.9, 42.1], [130.9, 41.9]]
SCENE = {"image": "S1", "source": "", "time": T.isoformat(), "pixel_m": 10.0, "shape": [2000, 2000],
         "footprint": FOOT}


class MiniStore:
    """The two tables fusion reads, in DuckDB."""

    def __init__(self, positions: list[tuple], lengths: dict[int, float]):
        self.con = duckdb.connect()
        pos = pa.table({"mmsi": pa.array([p[0] for p in positions], pa.uint32()),
                        "timestamp": pa.array([T_MS + int(p[1] * 1000) for p in positions],
                                              pa.timestamp("ms", tz="UTC")),
                        "lat": [p[2] for p in positions], "lon": [p[3] for p in positions],
                        "sog_kn": pa.array([p[4] for p in positions], pa.float32())})
        ident = pa.table({"mmsi": pa.array(list(lengths), pa.uint32()), "length_m": list(lengths.values())})
        self.con.register("positions", pos)
        self.con.register("identity", ident)

    def sql(self, q, params=None):
        return self.con.sql(q, params=list(params) if params else None).to_arrow_table()


def _det(i, lat, lon, length_m=100.0):
    return {"image": "S1", "detection_id": f"d{i}", "row": 1.0, "col": 1.0, "bbox_px": [0, 0, 2, 2], "lon": lon,
            "lat": lat, "area_px": 10, "length_px": 10.0, "width_px": 2.0, "length_m": length_m, "width_m": 20.0,
            "orientation_deg": 0.0, "peak_z": 20.0, "mean_z": 10.0, "contrast_db": 15.0, "background_cv": 0.5,
            "score": 0.95, "time": T}


def _run(positions, lengths, dets, p=Fusion()):
    st = MiniStore(positions, lengths)
    return fuse(st, pa.Table.from_pylist(dets, schema=DETECTIONS), [SCENE], p).to_pylist()


def test_match_interpolated_position():
    # vessel 1 moves north: fixes 10 min before and after, detection where it is at t
    pos = [(1, -600, LAT - 0.01, LON, 10.0), (1, 600, LAT + 0.01, LON, 10.0)]
    rows = _run(pos, {1: 100.0}, [_det(0, LAT + 0.0005, LON)])
    assert [r["class"] for r in rows] == ["matched"]
    assert rows[0]["mmsi"] == 1 and rows[0]["distance_m"] < 100 and rows[0]["ais_dt_s"] == 600


def test_dark_missed_and_outside_swath():
    pos = [(2, -60, LAT + 0.05, LON + 0.05, 0.0),  # in the swath, no detection: missed
           (3, -60, 42.5, 131.0, 0.0),  # north of the footprint: outside the swath
           (4, -60, 41.92, 131.08, 0.0)]  # in the swath, 8 km from the detection: missed
    rows = _run(pos, {}, [_det(0, LAT - 0.05, LON - 0.05)])
    got = sorted((r["class"], r["reason"] or "", r["mmsi"] or 0) for r in rows)
    assert got == [("ais_only", "missed", 2), ("ais_only", "missed", 4), ("ais_only", "outside_swath", 3),
                   ("dark", "", 0)]
    c = counts(pa.Table.from_pylist(rows, schema=FUSED))
    assert (c[0]["seen"], c[0]["dark"], c[0]["on_ais"], c[0]["matched"]) == (1, 1, 2, 0)


def test_on_land_mask_reason():
    """A vessel at a quay that the 1 km land mask calls land could not be seen: on_land_mask;
    unless a water polygon (harbour basin) covers it."""
    import shapely

    from harborwatch.geo.landmask import is_land

    la, lo = 42.21, 130.335  # on the mask's land, on the coast south of Rajin
    assert is_land(np.array([la]), np.array([lo]))[0]
    coast = dict(SCENE, footprint=[[130.2, 42.1], [130.5, 42.1], [130.5, 42.3], [130.2, 42.3], [130.2, 42.1]])
    st = MiniStore([(5, 0, la, lo, 0.0)], {})
    empty = pa.Table.from_pylist([], schema=DETECTIONS)
    assert fuse(st, empty, [coast], Fusion())["reason"].to_pylist() == ["on_land_mask"]
    basin = shapely.Point(lo, la).buffer(0.01)
    assert fuse(st, empty, [coast], Fusion(), water=basin)["reason"].to_pylist() == ["missed"]


def test_allowed_distance_grows_with_time_to_the_fix():
    far = LAT + 15_000 / 111_195  # 15 km north of the AIS position
    old = [(6, -3600, LAT, LON, 10.0)]  # an hour old at 10 kn: allowed 0.5 + 18.5 km
    assert _run(old, {}, [_det(0, far, LON)])[0]["class"] == "matched"
    fresh = [(6, -60, LAT, LON, 10.0)]  # a minute old: allowed about 0.8 km
    assert sorted(r["class"] for r in _run(fresh, {}, [_det(0, far, LON)])) == ["ais_only", "dark"]


def test_lengths_must_agree():
    pos = [(7, -60, LAT, LON, 0.0)]
    assert _run(pos, {7: 100.0}, [_det(0, LAT, LON, 120.0)])[0]["class"] == "matched"
    assert sorted(r["class"] for r in _run(pos, {7: 50.0}, [_det(0, LAT, LON, 300.0)])) == ["ais_only", "dark"]


def test_two_hulls_sharing_an_mmsi_are_placed_apart():
    """A second hull broadcasting the MMSI 80 km away: its fixes interleave with the first's.
    Interpolating across the two would put the vessel in between, outside the swath, and leave
    the detection of the first hull dark; each hull gets its own position instead."""
    far = (LAT + 0.6, LON + 0.6)
    pos = [(10, -1200, LAT, LON, 0.0), (10, -900, *far, 0.0), (10, -600, LAT, LON, 0.0), (10, -300, *far, 0.0),
           (10, 300, LAT, LON, 0.0), (10, 600, *far, 0.0), (10, 900, LAT, LON, 0.0)]
    rows = _run(pos, {10: 90.0}, [_det(0, LAT, LON, 76.0)])
    got = sorted((r["class"], r["reason"] or "", r["mmsi"]) for r in rows)
    assert got == [("ais_only", "outside_swath", 10), ("matched", "", 10)]


def test_a_position_spike_is_not_a_second_hull():
    spike = (LAT + 0.6, LON + 0.6)
    pos = [(11, -1200, LAT, LON, 0.0), (11, -600, LAT, LON, 0.0), (11, -300, *spike, 0.0), (11, 300, LAT, LON, 0.0)]
    rows = _run(pos, {}, [_det(0, LAT, LON)])
    assert [(r["class"], r["mmsi"]) for r in rows] == [("matched", 11)]
    # without the spike rule the spike would be a hull of its own, reported outside the swath
    rows = _run(pos, {}, [_det(0, LAT, LON)], Fusion(max_spike_fixes=0))
    assert sorted(r["class"] for r in rows) == ["ais_only", "matched"]


def test_hungarian_pairs_one_to_one():
    pos = [(8, -60, LAT, LON, 0.0), (9, -60, LAT + 0.002, LON, 0.0)]
    dets = [_det(0, LAT + 0.0019, LON), _det(1, LAT + 0.0001, LON)]
    rows = _run(pos, {}, dets)
    assert {(r["detection_id"], r["mmsi"]) for r in rows} == {("d0", 9), ("d1", 8)}


def test_dark_events_are_content_hashed():
    dets = [_det(0, LAT, LON)]
    st = MiniStore([], {})
    t = pa.Table.from_pylist(dets, schema=DETECTIONS)
    fused = fuse(st, t, [SCENE], Fusion())
    a = dark_events(fused, t, [SCENE], Fusion())
    b = dark_events(fused, t, [SCENE], Fusion())
    assert a.num_rows == 1 and a["event_id"].to_pylist() == b["event_id"].to_pylist()
    r = a.to_pylist()[0]
    assert r["type"] == "dark_vessel" and r["mmsi"] == 0 and r["start"] == T and '"scene":"S1"' in r["attributes"]
    assert dark_events(fused, t, [SCENE], Fusion(base_distance_m=600))["event_id"][0] != a["event_id"][0]


def test_core_fuses_arrow_tables_without_a_store():
    """The store is read at the edge only: the same rows from plain tables."""
    from harborwatch.fusion import fuse_tables
    from harborwatch.fusion.ais import WINDOW

    pos = [(1, -600, LAT - 0.01, LON, 10.0), (1, 600, LAT + 0.01, LON, 10.0)]
    dets = pa.Table.from_pylist([_det(0, LAT + 0.0005, LON), _det(1, LAT - 0.05, LON - 0.05)], schema=DETECTIONS)
    window = pa.table({"mmsi": [p[0] for p in pos], "t": [T_MS + p[1] * 1000 for p in pos],
                       "lat": [p[2] for p in pos], "lon": [p[3] for p in pos], "sog_kn": [p[4] for p in pos]}
                      ).cast(WINDOW)
    lengths = pa.table({"mmsi": pa.array([1], pa.uint32()), "length_m": [100.0]})
    got = fuse_tables(dets, [SCENE], {"S1": window}, lengths, Fusion())
    assert got.equals(fuse(MiniStore(pos, {1: 100.0}), dets, [SCENE], Fusion()))
    assert sorted(got["class"].to_pylist()) == ["dark", "matched"]
    ev = dark_events(got, dets, [SCENE], Fusion(), chips={"d1": "chips/d1.png"})
    assert json.loads(ev["attributes"][0].as_py())["chip_png"] == "chips/d1.png"
