"""New structures in radar stacks: the omnibus test's calibration, and polygons with dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.core.errors import DataError
from harborwatch.evaluation.structures import evaluate_structures
from harborwatch.sar.scene import from_array
from harborwatch.sar.structures import Structures, find_structures, multilook, sequential_p

T0 = datetime(2023, 1, 1, tzinfo=UTC)
GT = (500_000.0, 10.0, 0.0, 4_700_000.0, 0.0, -10.0)


def _stack(k=16, n=120, appear=6, box=(40, 60, 30, 70), fade=None, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(k):
        m = np.full((n, n), 0.02)
        m[80:100, 80:100] = 0.1  # stable land
        if appear is not None and i >= appear and (fade is None or i < fade):
            m[box[0]:box[1], box[2]:box[3]] = 0.5
        out.append(from_array((m * rng.gamma(4.4, 1 / 4.4, (n, n))).astype(np.float32), name=f"s{i}",
                              time=T0 + timedelta(days=12 * i), pixel_m=10.0, geotransform=GT, crs="EPSG:32652"))
    return out


def test_the_test_is_calibrated_under_no_change():
    rng = np.random.default_rng(0)
    x = rng.gamma(4.4, 1 / 4.4, (12, 200, 200)) * 0.03
    p = sequential_p(x, 4.4)
    assert p.shape == (11, 200, 200)
    assert abs((p < 0.01).mean() - 0.01) < 0.002 and abs((p < 0.05).mean() - 0.05) < 0.005


def test_a_new_bright_structure_is_found_with_its_date_and_area():
    g = find_structures(_stack())
    assert len(g["features"]) == 1
    q = g["features"][0]["properties"]
    assert q["first_seen"] == (T0 + timedelta(days=72)).date().isoformat()
    assert q["last_before"] == (T0 + timedelta(days=60)).date().isoformat()
    assert q["area_m2"] == pytest.approx(20 * 40 * 100, rel=0.1) and q["brightening_db"] > 10
    lon, lat = np.array(g["features"][0]["geometry"]["coordinates"][0]).T
    assert 128 < lon.min() < lon.max() < 130 and 42 < lat.min() < lat.max() < 43  # UTM 52N to lon / lat


def test_no_change_and_a_change_that_goes_away_are_not_structures():
    assert find_structures(_stack(appear=None))["features"] == []
    assert find_structures(_stack(appear=4, fade=9))["features"] == []


def test_evaluation_matches_polygons_and_dates():
    g = find_structures(_stack())
    truth = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": g["features"][0]["geometry"],
         "properties": {"appears": (T0 + timedelta(days=65)).date().isoformat()}}]}
    r = evaluate_structures(g, truth)
    assert (r["precision"], r["recall"], r["f1"]) == (1.0, 1.0, 1.0) and r["median_date_error_days"] == 7.0
    assert evaluate_structures({"features": []}, truth)["recall"] == 0.0


def test_a_stack_must_share_one_grid_and_have_times():
    s = _stack(k=4)
    with pytest.raises(DataError, match="one grid"):
        find_structures([*s[:3], from_array(np.ones((10, 10), np.float32), name="odd", time=T0)])
    with pytest.raises(DataError, match="no acquisition time"):
        find_structures([*s[:3], from_array(np.ones((120, 120), np.float32), name="untimed")])
    with pytest.raises(DataError, match="alpha"):
        Structures(alpha=2.0)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(4, 9), st.integers(5, 11))
def test_multilook_is_a_block_mean(m, r, c):
    a = np.arange(r * c, dtype=float).reshape(r, c)
    b = multilook(a, m)
    assert b.shape == (r // m, c // m)
    if b.size:
        assert b[0, 0] == pytest.approx(a[:m, :m].mean())


def test_pixels_without_data_and_a_stretched_grey_scale_are_not_changes():
    s = _stack(appear=None)
    # the first scenes miss a corner (0 = no data), and the grey scale of later scenes is stretched
    first = [from_array(np.where(np.arange(120)[None, :] < 50, 0.0, sc.read(0, 120, 0, 120)).astype(np.float32),
                        name=sc.name, time=sc.time, pixel_m=10.0, geotransform=GT, crs="EPSG:32652") for sc in s[:3]]
    stretched = [from_array(sc.read(0, 120, 0, 120) * 3.0, name=sc.name, time=sc.time, pixel_m=10.0,
                            geotransform=GT, crs="EPSG:32652") for sc in s[8:]]
    assert find_structures([*first, *s[3:]])["features"] == []
    assert find_structures([*s[:8], *stretched], Structures(normalize=True))["features"] == []
    assert find_structures([*s[:8], *stretched])["features"] != []  # without normalising, all of it "changed"
