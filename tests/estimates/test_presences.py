"""Radar-only presences from hand-built scenes: coverage, explanation by dark calls, Little's law."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from harborwatch.core.ids import canonical_json
from harborwatch.estimates.presences import (
    Presences,
    detection_weights,
    mean_stays_h,
    per_period,
    presences,
    rate,
    weekly,
)
from harborwatch.events.schema import events_from_rows

DAY = 86_400_000
T0 = 1_672_531_200_000  # 2023-01-01
SITES = pa.table({"site_id": ["kp-a", "kp-far"], "lat": [42.0, 45.0], "lon": [130.0, 135.0]})
BOX = [[129.5, 41.5], [130.5, 41.5], [130.5, 42.5], [129.5, 42.5], [129.5, 41.5]]  # covers kp-a only


def _scenes(days: list[int]) -> pa.Table:
    return pa.table({"scene_id": [f"S{d}" for d in days],
                     "time": pa.array([T0 + d * DAY for d in days], pa.timestamp("ms", "UTC")),
                     "footprint": [canonical_json({"type": "Polygon", "coordinates": [BOX]})] * len(days)})


def _events(dark_in: dict[int, int], stays_h: list[float]) -> pa.Table:
    rows = []
    for d, n in dark_in.items():
        for k in range(n):
            rows.append({"event_id": f"d{d}-{k}", "type": "dark_vessel", "mmsi": 0, "start": T0 + d * DAY,
                         "end": T0 + d * DAY, "lat": 42.0, "lon": 130.0, "site_id": "kp-a", "confidence": 3,
                         "attributes": json.dumps({"scene": f"S{d}", "length_m": 90.0}), "parameters": "{}",
                         "evidence_count": 0, "evidence": []})
    for i, h in enumerate(stays_h):
        t = T0 + i * DAY
        rows.append({"event_id": f"v{i}", "type": "port_visit", "mmsi": 273000001, "start": t,
                     "end": t + int(h * 3.6e6), "lat": 42.0, "lon": 130.0, "site_id": "kp-a", "confidence": 3,
                     "attributes": "{}", "parameters": "{}", "evidence_count": 2, "evidence": [1, 2]})
    return events_from_rows(rows)


NO_DARK = pa.table({"site_id": pa.array([], pa.string()), "start": pa.array([], pa.timestamp("ms", "UTC")),
                    "end": pa.array([], pa.timestamp("ms", "UTC")), "probability": pa.array([], pa.float64()),
                    "distance_out_m": pa.array([], pa.float64()), "distance_back_m": pa.array([], pa.float64())})


def test_only_covered_sites_get_rows_and_empty_scenes_count():
    ev = _events({0: 2, 10: 0, 20: 1}, [24.0] * 3)
    p = presences(ev, _scenes([0, 10, 20]), NO_DARK, SITES)
    assert set(p["site_id"].to_pylist()) == {"kp-a"}
    assert p["dark_detections"].to_pylist() == [2, 0, 1]
    assert p["unexplained"].to_pylist() == [2.0, 0.0, 1.0]
    assert p["revisit_h"].to_pylist() == [120.0, 240.0, 120.0]


def test_littles_law_turns_presences_into_calls_per_week():
    # one vessel present per scene on average, stays of a day: 7 calls a week
    ev = _events({0: 1, 7: 1, 14: 2, 21: 0}, [24.0] * 5)
    p = presences(ev, _scenes([0, 7, 14, 21]), NO_DARK, SITES)
    r = rate(p, mean_stays_h(ev)["kp-a"], Presences(), np.random.default_rng(0))
    assert r is not None and r["per_week"] == pytest.approx(7.0)
    assert r["low"] < 7.0 < r["high"]


def test_a_dark_call_in_port_at_the_scene_time_explains_a_detection():
    dark = pa.table({"site_id": ["kp-a"], "start": pa.array([T0 - 2 * DAY], pa.timestamp("ms", "UTC")),
                     "end": pa.array([T0 + 2 * DAY], pa.timestamp("ms", "UTC")), "probability": [0.75],
                     "distance_out_m": [50_000.0], "distance_back_m": [50_000.0]})
    ev = _events({0: 1, 10: 1}, [24.0] * 3)
    p = presences(ev, _scenes([0, 10]), dark, SITES)
    assert p["explained"].to_pylist() == [0.75, 0.0]
    assert p["unexplained"].to_pylist() == [0.25, 1.0]
    w = detection_weights(p, mean_stays_h(ev))
    assert w[("S0", "kp-a")] == pytest.approx(0.25 * 120 / 24)


def test_scenes_with_nobody_unexplained_leave_room_above_zero():
    # five scenes, no dark detection: the estimate is 0, but a hull away at each pass is possible
    ev = _events({0: 0}, [24.0] * 5)
    p = presences(ev, _scenes([0, 7, 14, 21, 28]), NO_DARK, SITES)
    r = rate(p, mean_stays_h(ev)["kp-a"], Presences(), np.random.default_rng(0))
    assert r is not None and r["per_week"] == 0.0 and r["low"] == pytest.approx(0.0, abs=0.05)
    assert 1.0 < r["high"] < 4.0  # Jeffreys: Gamma(1/2) 95th percentile 1.92 / 5 scenes / (1/7 week)


def test_too_few_scenes_or_stays_give_no_estimate():
    ev = _events({0: 1, 7: 1}, [24.0])
    p = presences(ev, _scenes([0, 7]), NO_DARK, SITES)
    assert rate(p, mean_stays_h(ev)["kp-a"], Presences(), np.random.default_rng(0)) is None
    got = per_period(p, mean_stays_h(ev), "kp-a", (("all", None, None),), 0, 2**40)
    assert got["all"] is None
    assert weekly(p, mean_stays_h(ev), "kp-a", np.array([T0 // 1000])).tolist() == [0.0]


def test_weekly_radar_calls_stay_within_each_scenes_revisit():
    # one unexplained vessel in the day-14 scene only; stays of a day; scenes every 7 days
    ev = _events({14: 1}, [24.0] * 3)
    p = presences(ev, _scenes([0, 7, 14, 21, 28]), NO_DARK, SITES)
    weeks = np.array([T0 // 1000 + 7 * 86_400 * k for k in range(5)])
    w = weekly(p, mean_stays_h(ev), "kp-a", weeks)
    assert w.sum() == pytest.approx(7.0)  # the scene stands for 7 days: 7 calls of a day
    assert w[0] == 0.0 and w[4] == 0.0 and w[1] == pytest.approx(3.5) and w[2] == pytest.approx(3.5)
