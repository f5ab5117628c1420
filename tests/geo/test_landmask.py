"""The bit-packed, memory-mapped land mask answers exactly as global-land-mask does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.geo import landmask


def test_same_answers_as_global_land_mask():
    from global_land_mask import globe

    rng = np.random.default_rng(7)
    lat = np.concatenate([rng.uniform(-90, 90, 50_000), [90.0, -90.0, 0.0, 42.24, 42.9]])
    lon = np.concatenate([rng.uniform(-180, 180, 50_000), [180.0, -180.0, 0.0, 130.3, 131.9]])
    assert np.array_equal(landmask.is_land(lat, lon), globe.is_land(lat, lon))


@settings(max_examples=200, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180))
def test_single_points_agree(lat, lon):
    from global_land_mask import globe

    assert bool(landmask.is_land(np.array([lat]), np.array([lon]))[0]) == bool(globe.is_land(lat, lon))


def test_known_places_and_nan():
    # the open Sea of Japan; Pyongyang; a NaN fix
    out = landmask.is_land(np.array([40.0, 39.03, np.nan]), np.array([134.0, 125.75, 130.0]))
    assert out.tolist() == [False, True, False]


def test_cache_is_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("HARBORWATCH_CACHE", str(tmp_path))
    landmask._mask.cache_clear()
    try:
        packed, meta = landmask._mask()
        files = sorted(p.suffix for p in tmp_path.iterdir())
        assert files == [".json", ".npy"] and isinstance(packed, np.memmap)
        assert meta["shape"] == [21600, 43200] and packed.shape == (21600, 5400)
        landmask._mask.cache_clear()
        again, _ = landmask._mask()
        assert isinstance(again, np.memmap) and np.array_equal(again[10_000], packed[10_000])
    finally:
        landmask._mask.cache_clear()


def _nine_points(lat, lon, margin_m):
    """The definition: the fix and 8 points ``margin_m`` around it are all land (NumPy, point by point)."""
    out = landmask.is_land(lat, (lon + 180.0) % 360.0 - 180.0)
    dlat = margin_m / 111_195.0
    dlon = dlat / np.maximum(np.cos(np.radians(lat)), 0.01)
    r = 0.7071
    for a, b in ((dlat, 0.0), (-dlat, 0.0), (0.0, 1.0), (0.0, -1.0),
                 (r * dlat, r), (r * dlat, -r), (-r * dlat, r), (-r * dlat, -r)):
        out &= landmask.is_land(np.clip(lat + a, -89.999, 89.999), (lon + b * dlon + 180.0) % 360.0 - 180.0)
    return out


def test_land_with_margin_is_the_nine_point_test():
    rng = np.random.default_rng(11)
    # coasts (Rason, the Baltic), anywhere, longitudes past the antimeridian, the poles, NaN
    lat = np.concatenate([rng.uniform(42.0, 43.0, 20_000), rng.uniform(53.5, 56.0, 20_000),
                          rng.uniform(-90, 90, 20_000), [89.9995, -89.9995, np.nan, 42.3]])
    lon = np.concatenate([rng.uniform(130.0, 131.0, 20_000), rng.uniform(9.0, 13.0, 20_000),
                          rng.uniform(-540, 540, 20_000), [10.0, 10.0, 130.0, np.nan]])
    for margin in (0.0, 250.0, 5_000.0):
        want = _nine_points(lat, lon, margin)
        assert want.sum() > 1_000  # the sample holds land and sea
        assert np.array_equal(landmask.is_land_with_margin(lat, lon, margin), want)
    where = rng.uniform(size=len(lat)) < 0.5
    got = landmask.is_land_with_margin(lat, lon, 250.0, where=where)
    assert np.array_equal(got, _nine_points(lat, lon, 250.0) & where)
