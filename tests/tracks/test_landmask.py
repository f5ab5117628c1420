"""The bit-packed, memory-mapped land mask answers exactly as global-land-mask does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harborwatch.tracks import landmask


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
