"""The sampling floor: an oracle that counts every call it can exactly and samples radar-only
hulls at the scene times."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from harborwatch.analysis.periods import Period
from harborwatch.evaluation.floor import covering_scenes, radar_only, sampling_floor

T0 = int(dt.datetime(2023, 1, 2, tzinfo=dt.UTC).timestamp())
D, H = 86_400, 3_600
SITE = (42.0, 130.0)
SPANS = (Period("p1", None, T0 + 14 * D), Period("p2", T0 + 14 * D, None))


def _truth(rows: list[tuple]) -> pa.Table:
    """(type, vessel, start_s, end_s, site_id, attributes) rows as a truth table."""
    ts = pa.timestamp("ms", tz="UTC")
    return pa.table({"type": [r[0] for r in rows], "vessel": [r[1] for r in rows],
                     "start": pa.array([r[2] * 1000 for r in rows], pa.int64()).cast(ts),
                     "end": pa.array([r[3] * 1000 for r in rows], pa.int64()).cast(ts),
                     "lat": [SITE[0] if r[4] else None for r in rows], "lon": [SITE[1] if r[4] else None for r in rows],
                     "site_id": [r[4] for r in rows], "attributes": [r[5] for r in rows]})


def _scenes(times: list[int], inside: list[bool]) -> pa.Table:
    lat0 = [41.9 if k else 43.0 for k in inside]
    return pa.table({"time": pa.array([t * 1000 for t in times], pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
                     "lat_min": lat0, "lat_max": [x + 0.3 for x in lat0],
                     "lon_min": [129.9] * len(times), "lon_max": [130.2] * len(times)})


def _story(stay_h: float = 48) -> list[tuple]:
    on, off = '{"ais": "on"}', '{"ais": "off"}'
    rows = [("voyage", "z", T0, T0 + 28 * D, None, "{}"),  # spans the whole window
            ("port_visit", "a", T0 + D, T0 + 2 * D, "s", on),
            ("port_visit", "b", T0 + 3 * D, T0 + 4 * D, "s", off),
            ("dark_call", "b", T0 + 3 * D, T0 + 4 * D, "s", "{}")]  # a silence bracketed by transmissions
    rows += [("port_visit", "c", T0 + d * D, T0 + d * D + int(stay_h * H), "s", off) for d in (2, 6, 10, 16, 20, 24)]
    return rows


def test_radar_only_calls_are_silent_and_unbracketed():
    assert radar_only(_truth(_story()), "s").tolist() == [False, False, True, True, True, True, True, True]


def test_covering_scenes_keep_the_footprints_over_the_site():
    got = covering_scenes(_scenes([T0 + 5 * D, T0, T0 + 5 * D, T0 + 9 * D], [True, True, True, False]), *SITE)
    assert got.tolist() == [T0, T0 + 5 * D]


def test_the_oracle_counts_known_calls_and_samples_the_rest_at_the_scene_times():
    times = [T0 + 2 * D + 12 * H, T0 + 5 * D, T0 + 10 * D + H, T0 + 13 * D,  # c present, away, present, away
             T0 + 16 * D + H, T0 + 22 * D + H, T0 + 24 * D + H,  # present, away, present
             T0 + 6 * D + H]  # c is in port, but the footprint misses the site
    r = sampling_floor(_truth(_story()), _scenes(times, [True] * 7 + [False]), "s", SPANS)
    assert r["mean_stay_h"] == 48.0
    p1, p2 = r["rows"]
    radar1 = 0.5 / (48 / 168)  # half the scenes see c; Little's law with the true stay
    assert p1 == {"period": "p1", "scenes": 4, "truth": 2.5, "radar_only_truth": 1.5,
                  "oracle_radar_only": round(radar1, 2), "oracle_estimate": round(1.0 + radar1, 2),
                  "oracle_rel_error": round((1.0 + radar1 - 2.5) / 2.5, 4)}
    radar2 = (2 / 3) / (48 / 168)
    assert p2["scenes"] == 3 and p2["truth"] == 1.5 and p2["oracle_estimate"] == pytest.approx(radar2, abs=0.01)
    assert r["within_10pct"] == int(abs(p1["oracle_rel_error"]) <= 0.1) + int(abs(p2["oracle_rel_error"]) <= 0.1)


def test_scenes_every_hour_leave_no_sampling_error():
    """A hull that calls every four days and stays two: with a scene every hour the oracle is exact."""
    times = list(range(T0, T0 + 28 * D, H))
    rows = [("voyage", "z", T0, T0 + 28 * D, None, "{}")]
    rows += [("port_visit", "c", T0 + d * D, T0 + d * D + 48 * H, "s", '{"ais": "off"}') for d in range(0, 28, 4)]
    r = sampling_floor(_truth(rows), _scenes(times, [True] * len(times)), "s", SPANS)
    for row in r["rows"]:
        assert row["oracle_estimate"] == pytest.approx(row["truth"], rel=0.01)
        assert row["oracle_rel_error"] == pytest.approx(0.0, abs=0.01)
    assert r["within_10pct"] == 2


def test_no_calls_at_the_site_give_no_rows():
    r = sampling_floor(_truth([("voyage", "z", T0, T0 + D, None, "{}")]), _scenes([T0], [True]), "s", SPANS)
    assert r == {"site": "s", "mean_stay_h": None, "rows": [], "within_10pct": 0}
