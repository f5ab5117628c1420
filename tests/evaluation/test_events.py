"""Matching rules of `evaluate` on hand-made truth and detections."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from harborwatch.evaluation import evaluate, read_table

H = 3_600_000
T0 = 1_690_000_000_000


def _t(rows: list[dict]) -> pa.Table:
    out = []
    for r in rows:
        r = dict(r)
        r.setdefault("mmsi_2", None)
        r.setdefault("site_id", None)
        r.setdefault("lat", None)
        r.setdefault("lon", None)
        r["attributes"] = json.dumps(r.get("attributes", {}))
        out.append(r)
    t = pa.Table.from_pylist(out)
    for c in ("start", "end"):
        t = t.set_column(t.column_names.index(c), c, pa.array(t[c].to_pylist(), pa.int64()).cast(
            pa.timestamp("ms", tz="UTC")))
    return t


def visit(mmsi, start_h, end_h, site="kp-rajin", **attrs):
    return {"type": "port_visit", "mmsi": mmsi, "start": T0 + int(start_h * H), "end": T0 + int(end_h * H),
            "site_id": site, "attributes": attrs}


def test_port_visits_within_tolerance_match_one_to_one():
    truth = _t([visit(1, 0, 30, ais="on"), visit(1, 100, 130, ais="on"), visit(2, 0, 10, ais="on")])
    det = _t([visit(1, 1.9, 31.9), visit(1, 1.5, 30), visit(1, 100, 130, site="ru-dunay"), visit(2, 0, 10)])
    s = evaluate(truth, det)["port_visit"]
    # (1, 0-30) matched once; the duplicate and the wrong-site detection are false positives
    assert (s["true_positives"], s["false_positives"], s["false_negatives"]) == (2, 2, 1)
    assert s["precision"] == pytest.approx(0.5) and s["recall"] == pytest.approx(2 / 3)


def test_time_tolerance_edges():
    truth = _t([visit(1, 0, 30, ais="on")])
    assert evaluate(truth, _t([visit(1, 2.0, 32.0)]))["port_visit"]["true_positives"] == 1
    # start 2.5 h late but the intervals still overlap with IoU >= 0.5: a match
    assert evaluate(truth, _t([visit(1, 2.5, 30)]))["port_visit"]["true_positives"] == 1
    # a short visit 3 h off: no match
    short = _t([visit(1, 0, 2, ais="on")])
    assert evaluate(short, _t([visit(1, 3, 5)]))["port_visit"]["true_positives"] == 0


def test_ambiguous_truth_is_neither_counted_nor_penalised():
    truth = _t([visit(1, 0, 30, ais="off"), visit(1, 50, 60, ais="on")])
    s = evaluate(truth, _t([visit(1, 0, 30), visit(1, 50, 60)]))["port_visit"]
    assert (s["truth"], s["detected"], s["true_positives"], s["false_positives"]) == (1, 1, 1, 0)
    assert s["ignored_ambiguous"] == 1


def test_encounters_pair_unordered_and_within_space_tolerance():
    tr = _t([{"type": "encounter", "mmsi": 1, "mmsi_2": 2, "start": T0, "end": T0 + 6 * H, "lat": 42.0, "lon": 131.0}])
    near = _t([{"type": "encounter", "mmsi": 2, "mmsi_2": 1, "start": T0, "end": T0 + 6 * H, "lat": 42.02,
                "lon": 131.0}])
    far = _t([{"type": "encounter", "mmsi": 1, "mmsi_2": 2, "start": T0, "end": T0 + 6 * H, "lat": 42.2,
               "lon": 131.0}])
    assert evaluate(tr, near)["encounter"]["f1"] == 1.0
    assert evaluate(tr, far)["encounter"]["true_positives"] == 0


def test_identity_and_spoofing_episodes_collapse():
    tr = _t([{"type": "identity_change", "mmsi": 1, "mmsi_2": 9, "start": T0, "end": T0},
             {"type": "spoofing", "mmsi": 5, "start": T0, "end": T0 + 72 * H}])
    det = _t([{"type": "identity_change", "mmsi": 1, "mmsi_2": 9, "start": T0 - 5 * H, "end": T0 + 3 * H,
               "attributes": {"field": "mmsi"}},
              {"type": "identity_change", "mmsi": 9, "start": T0 + 5 * H, "end": T0 + 6 * H,
               "attributes": {"field": "name"}},
              {"type": "teleport", "mmsi": 5, "start": T0, "end": T0},
              {"type": "on_land", "mmsi": 5, "start": T0 + H, "end": T0 + 71 * H},
              {"type": "teleport", "mmsi": 5, "start": T0 + 72 * H, "end": T0 + 72 * H},
              {"type": "shared_mmsi", "mmsi": 5, "start": T0, "end": T0 + 72 * H}])
    s = evaluate(tr, det)
    assert s["spoofing"]["detected"] == 1 and s["spoofing"]["f1"] == 1.0
    assert s["shared_mmsi"]["detected"] == 0  # the spoofed fixes' second track is explained
    assert s["identity_change"]["true_positives"] == 1


def test_dark_calls_need_a_covering_gap():
    tr = _t([{"type": "dark_call", "mmsi": 3, "start": T0 + 10 * H, "end": T0 + 40 * H, "site_id": "kp-rajin"},
             {"type": "dark_call", "mmsi": 3, "start": T0 + 200 * H, "end": T0 + 240 * H, "site_id": "kp-rajin"}])
    det = _t([{"type": "gap", "mmsi": 3, "start": T0, "end": T0 + 50 * H,
               "attributes": {"likely_disabling": True}}])
    assert evaluate(tr, det)["dark_call"]["recall"] == 0.5


def test_files_round_trip_csv_and_geojson(tmp_path):
    import pyarrow.parquet as pq

    from harborwatch.events.export import write_events

    truth = _t([visit(1, 0, 30, ais="on")])
    pq.write_table(truth, tmp_path / "truth.parquet")
    truth.to_pandas().to_csv(tmp_path / "truth.csv", index=False)
    from harborwatch.events.schema import EVENTS

    ev = pa.table({"event_id": ["a" * 32], "type": ["port_visit"], "mmsi": pa.array([1], pa.uint32()),
                   "mmsi_2": pa.array([None], pa.uint32()), "start": pa.array([T0], pa.int64()).cast(EVENTS.field(
                       "start").type), "end": pa.array([T0 + 30 * H], pa.int64()).cast(EVENTS.field("end").type),
                   "lat": [42.2], "lon": [130.3], "site_id": ["kp-rajin"], "confidence": pa.array([4], pa.int8()),
                   "attributes": ["{}"], "parameters": ["{}"], "evidence_count": pa.array([1], pa.int32()),
                   "evidence": pa.array([[7]], pa.list_(pa.uint64()))}, schema=EVENTS)
    for suffix in (".csv", ".geojson", ".parquet"):
        p = write_events(ev, tmp_path / f"events{suffix}")
        for truth_file in ("truth.parquet", "truth.csv"):
            s = evaluate(read_table(tmp_path / truth_file), read_table(p))["port_visit"]
            assert s["f1"] == 1.0, (suffix, truth_file)


def test_missing_file_is_a_clear_error(tmp_path):
    from harborwatch.core.errors import HarborwatchError

    with pytest.raises(HarborwatchError, match="no such file"):
        read_table(tmp_path / "nope.parquet")
